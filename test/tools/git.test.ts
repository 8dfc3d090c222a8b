// git: unavailable (with the reason) while the sandbox image has no git; the clone's files land in the workspace
// when the sandbox answers (a stand-in sandbox here, as the real image has no git); private remotes refused.
// Remotes are public IP literals: the tests resolve no names.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FailureType } from '../../src/base/failure-types';
import { findTool } from '../../src/tools';
import type { SandboxAnswer, SandboxRequest } from '../../src/tools/types';
import { callTool, toolContext } from './tool-context';

const answer = (overrides: Partial<SandboxAnswer>): SandboxAnswer => ({ stdout: '', stderr: '', exit_code: 0, files: {}, timed_out: false, oom_killed: false, duration_ms: 5, ...overrides });

test('the image built from sandbox/image.json has no git: git is unavailable and says what to add', () => {
  const recipe = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../sandbox/image.json'), 'utf8')) as { packages: string[] };
  const availability = findTool('git')!.availability({ PATH: process.env.PATH });
  if (recipe.packages.includes('git')) expect(availability).toEqual({ available: true });
  else expect(availability).toEqual({ available: false, reason: expect.stringContaining('add "git" to the packages of sandbox/image.json') });
});

test('clone: the URL travels as a file, the text files are written under the destination, the log is read', async () => {
  const requests: SandboxRequest[] = [];
  const context = {
    ...toolContext({ ...process.env, ORC_SANDBOX_NETWORK: '1' }),
    services: {
      runCode: async (request: SandboxRequest) => {
        requests.push(request);
        return answer({ files: { 'repo/README.md': '# hi\n', 'repo/src/a.txt': 'a', 'repo/logo.png': '[binary file, 10 bytes]', 'log.tsv': 'abc123\tAda\t2026-01-01T00:00:00Z\tFirst\n' } });
      },
    },
  };
  const result = await callTool('git', 'clone', { url: 'https://93.184.215.14/team/tool.git', destination: 'vendor/tool' }, context);
  expect(result).toEqual({ path: 'vendor/tool', commit: 'abc123', log: [{ commit: 'abc123', author: 'Ada', date: '2026-01-01T00:00:00Z', subject: 'First' }], files: ['vendor/tool/README.md', 'vendor/tool/src/a.txt'], count: 2 });
  expect(fs.readFileSync(path.join(context.workspace.root, 'vendor/tool/src/a.txt'), 'utf8')).toBe('a');
  expect(requests[0]).toMatchObject({ language: 'bash', network: true, files: { 'orc-url': 'https://93.184.215.14/team/tool.git' } });
  expect(requests[0]!.code).not.toContain('93.184.215.14');
  context.remove();
});

test('a sandbox without git, a worker without sandbox network, a private remote and a non-https URL are refused', async () => {
  const noGit = { ...toolContext({ ...process.env, ORC_SANDBOX_NETWORK: '1' }), services: { runCode: async () => answer({ exit_code: 127, stderr: 'orc: the sandbox image has no git\n' }) } };
  await expect(callTool('git', 'clone', { url: 'https://93.184.215.14/x.git' }, noGit)).rejects.toMatchObject({ type: FailureType.ToolUnavailable, message: expect.stringContaining('sandbox/image.json') });
  await expect(callTool('git', 'clone', { url: 'https://10.0.0.8/x.git' }, noGit)).rejects.toMatchObject({ type: FailureType.NetworkRefused });
  await expect(callTool('git', 'clone', { url: 'ssh://example.org/x.git' }, noGit)).rejects.toMatchObject({ type: FailureType.InvalidStep });
  const closed = { ...toolContext(process.env), services: noGit.services };
  await expect(callTool('git', 'ls_remote', { url: 'https://93.184.215.14/x.git' }, { ...closed, env: { ...process.env, ORC_SANDBOX_NETWORK: '' } })).rejects.toMatchObject({ type: FailureType.NetworkRefused });
  noGit.remove();
  closed.remove();
});
