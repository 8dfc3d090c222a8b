// `tool:` steps (spec section 19): compiled as actionKind `tool`; the compiler checks the name's shape, refuses
// cloud tools, and notes tools the worker lacks when told which it has.
import { compilePipeline, formatDiagnostic } from '../../src/compiler';
import { stepOf, yaml, native, NATIVE } from './helpers';

const { compileOk, onlyDiagnostic } = native;

const readFile = yaml`
  name: files
  steps:
    - id: read
      tool: filesystem
      action: read
      parameters:
        path: "notes/{{ inputs.topic }}.md"
    - id: sum
      action: Summarise {{ read.content }}
`;

describe('tool steps', () => {
  it('compile with the tool and its action, and their templates read as any step', () => {
    const pipeline = compileOk(readFile);
    const read = stepOf(pipeline, 'read');
    expect(read).toMatchObject({ actionKind: 'tool', action: 'read', tool: { name: 'filesystem', action: 'read' }, cache: null, outputSchema: null });
    expect(read.references).toEqual([{ kind: 'input', name: 'topic' }]);
    expect(stepOf(pipeline, 'sum').dependsOn).toEqual(['read']);
  });

  it('record that the file was read as the dialect (a tool step is one of its constructs)', () => {
    const result = compilePipeline(readFile);
    expect(result.ok && result.pipeline.dialect).toBe('pyorc');
  });

  it('note a tool the worker lacks, when told which it has, and still compile', () => {
    const result = compilePipeline(readFile, { file: 'f.yaml', ...NATIVE, knownTools: ['filesystm', 'web'] });
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    expect(result.notes.map((note) => formatDiagnostic('f.yaml', note))).toEqual([
      expect.stringMatching(/^f\.yaml:4:11: TOOL_UNAVAILABLE step 'read': tool 'filesystem' has no backend on this worker \(did you mean 'filesystm'\?\)/),
    ]);
    const known = compilePipeline(readFile, { ...NATIVE, knownTools: ['filesystem'] });
    expect(known.ok && known.notes).toEqual([]);
  });

  it.each(['aws-s3', 'gcp-storage', 'azure-blob'])('refuse the cloud tool %s with TOOL_UNAVAILABLE at the name', (tool) => {
    const result = compilePipeline(yaml`
      name: p
      steps:
        - id: upload
          tool: ${tool}
          action: put
    `, { file: 'c.yaml', ...NATIVE });
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((diagnostic) => formatDiagnostic('c.yaml', diagnostic))).toEqual([
      expect.stringMatching(new RegExp(`^c\\.yaml:4:11: TOOL_UNAVAILABLE step 'upload': tool '${tool}' is not available`)),
    ]);
  });

  it('need an action', () => {
    expect(onlyDiagnostic(yaml`
      name: p
      steps:
        - id: read
          tool: filesystem
    `, 'MISSING_FIELD')).toMatchObject({ line: 3, column: 5, message: "missing required 'action' in step 'read'" });
  });

  it('refuse an empty or templated tool name, a templated action, and caching', () => {
    const result = compilePipeline(yaml`
      name: p
      steps:
        - id: a
          tool: ""
          action: read
        - id: b
          tool: "{{ inputs.which }}"
          action: "{{ inputs.verb }}"
          cache_results: true
    `, { file: 't.yaml', ...NATIVE });
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((diagnostic) => formatDiagnostic('t.yaml', diagnostic))).toEqual([
      expect.stringMatching(/^t\.yaml:4:11: INVALID_VALUE step 'a': 'tool' must name a tool/),
      expect.stringMatching(/^t\.yaml:7:11: INVALID_VALUE step 'b': 'tool' must name a tool, not a template/),
      expect.stringMatching(/^t\.yaml:8:13: INVALID_VALUE step 'b': a tool step's action is the tool's action name/),
      expect.stringMatching(/^t\.yaml:9:20: INVALID_VALUE 'cache_results' does not apply to action tool/),
    ]);
  });

  it("refuse 'tool' beside nested steps (a loop), naming both kinds", () => {
    expect(onlyDiagnostic(yaml`
      name: p
      steps:
        - id: a
          tool: filesystem
          action: read
          while: true
    `, 'INVALID_VALUE')).toMatchObject({ line: 6, column: 12, message: "step 'a': 'while' belongs to loop steps, and this is a tool step" });
  });
});
