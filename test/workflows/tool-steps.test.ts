// Parameters of run_code and mcp steps: defaults, checks and messages (pure functions the workflow uses).
import { packFiles, unpackFiles } from '../../src/activities/sandbox-tar';
import type { CompiledStep } from '../../src/base/compiled-pipeline';
import { codeFromText, mcpServerFor, runCodeInput } from '../../src/workflows/tool-steps';
import { compileYaml } from '../helpers/compile';

const step = compileYaml('name: t\nsteps:\n  - id: run\n    action: run_code\n    timeout: 10\n    parameters: { code: "print(1)" }\n').steps[0] as CompiledStep;

test('run_code defaults: python, 30 s capped by the step timeout, 256 MB, no files', () => {
  expect(runCodeInput(step, { code: 'print(1)' })).toEqual({ stepId: 'run', language: 'python', code: 'print(1)', timeoutSeconds: 10, memoryMb: 256, files: {} });
  expect(runCodeInput(step, { code: 'x', timeout: '2m', memory_mb: 64, files: { 'a/b.json': { n: 1 } } })).toMatchObject({
    timeoutSeconds: 120,
    memoryMb: 64,
    files: { 'a/b.json': '{\n  "n": 1\n}' },
  });
});

test.each([
  [{ code: 'x', language: 'ruby' }, `step 'run': parameters.language must be one of python, javascript, bash, got "ruby"`],
  [{ code: '  ' }, "step 'run': parameters.code must be the program to run"],
  [{ code: 'x', timeout: 'soon' }, `step 'run': parameters.timeout must be a duration such as 30 or "2m", got "soon"`],
  [{ code: 'x', memory_mb: 1 << 20 }, "step 'run': parameters.memory_mb must be a whole number from 16 to 4096, got 1048576"],
  [{ code: 'x', files: { '../escape': 'x' } }, "step 'run': file name '../escape' must be a relative path inside the work directory"],
  [{ code: 'x', files: { '/etc/passwd': 'x' } }, "step 'run': file name '/etc/passwd' must be a relative path inside the work directory"],
])('bad run_code parameters %j are refused: %s', (parameters, message) => {
  expect(() => runCodeInput(step, parameters)).toThrow(message);
});

test('the first fenced block of a model answer is the program; plain code is kept as it is', () => {
  expect(codeFromText('Sure!\n```python\nprint(1)\n```\nThis prints 1.\n```\nother\n```')).toBe('print(1)\n');
  expect(codeFromText('```\necho hi\n```')).toBe('echo hi\n');
  expect(codeFromText('```py\nprint(2)')).toBe('print(2)');
  expect(codeFromText('print(3)')).toBe('print(3)');
});

test('an MCP server is a declared name, a URL or a command line', () => {
  const named = { files: { command: 'node', args: ['server.js', '--root', '/data'] } };
  expect(mcpServerFor(step, 'files', named)).toEqual({ serverName: 'files', server: named.files });
  expect(mcpServerFor(step, 'http://127.0.0.1:3001/mcp', named)).toEqual({ serverName: 'http://127.0.0.1:3001/mcp', server: { url: 'http://127.0.0.1:3001/mcp' } });
  expect(mcpServerFor(step, 'npx --no-install mcp-server-everything', named)).toEqual({
    serverName: 'npx --no-install mcp-server-everything',
    server: { command: 'npx', args: ['--no-install', 'mcp-server-everything'] },
  });
  expect(() => mcpServerFor(step, 42, named)).toThrow("step 'run': parameters.server must name an MCP server, a URL or a command");
  // A name that only an object's prototype has is not a declared server.
  expect(mcpServerFor(step, 'constructor', named).server).toEqual({ command: 'constructor', args: [] });
});

test('tar round trip: files in, the same files out, long names and binary content included', () => {
  const long = `${'deep/'.repeat(30)}file.txt`;
  const binary = Buffer.from([0, 255, 1, 2, 3]);
  const files = unpackFiles(packFiles({ 'a.txt': 'héllo', [long]: 'x'.repeat(1000), 'b.bin': binary }));
  expect(files.get('a.txt')!.toString('utf8')).toBe('héllo');
  expect(files.get(long)!.toString('utf8')).toBe('x'.repeat(1000));
  expect(files.get('b.bin')).toEqual(binary);
});
