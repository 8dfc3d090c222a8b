// The Python orchestrator's own pipelines (72 files, read from ORC_PYORC_CORPUS, never copied here): which ones
// `orc validate` accepts, where it points for the ones it refuses, and `orc migrate` on every accepted one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compilePipeline, compilePipelineFile, type CompiledPipeline, type CompiledStep, type Diagnostic } from '../../src/compiler';
import { migratePyorc } from '../../src/compiler/pyorc/migrate';
import { loadModelCatalog, modelNamesOf } from '../../src/models/catalog';
import { main } from '../../src/client/cli';

const repoRoot = path.resolve(__dirname, '..', '..');
const corpus = process.env.ORC_PYORC_CORPUS ?? path.resolve(repoRoot, '..', 'shared', 'corpus', 'pyorc');

/** The files refused, each with the defect it is refused for (its first diagnostic there). */
const REFUSED: Record<string, Pick<Diagnostic, 'code' | 'line' | 'column'>> = {
  // Issue #199's "enhanced" syntax: steps with inputs/outputs and a tool without an action.
  'examples/enhanced_research_pipeline.yaml': { code: 'UNKNOWN_KEY', line: 84, column: 5 },
  // The whole pipeline wrapped in `pipeline:` (the Python orchestrator refuses it too).
  'examples/enhanced_until_conditions_demo.yaml': { code: 'UNKNOWN_KEY', line: 5, column: 1 },
  // Includes prompts/*.txt and *.md files that are not in the repository.
  'examples/file_inclusion_demo.yaml': { code: 'FILE_UNREADABLE', line: 33, column: 15 },
  // An AUTO tag as a tool's action and as an output; hyphenated step ids read as subtractions.
  'examples/original_research_report_pipeline.yaml': { code: 'AUTO_TAG', line: 29, column: 12 },
  // Includes test_prompt.txt and research_instructions.md, which are not there.
  'tests/fixtures/nested_example.yaml': { code: 'FILE_UNREADABLE', line: 21, column: 15 },
};

function corpusFiles(): string[] {
  if (!fs.existsSync(corpus)) {
    throw new Error(`the py-orc corpus is not at ${corpus}: set ORC_PYORC_CORPUS to the folder holding its 72 pipeline files`);
  }
  const found: string[] = [];
  const visit = (directory: string): void => {
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (/\.ya?ml$/.test(entry.name)) found.push(path.relative(corpus, full));
    }
  };
  visit(corpus);
  return found.sort();
}

/** Every step, loop children included, as what a run would do. */
function shape(pipeline: CompiledPipeline): unknown {
  const steps = (list: CompiledStep[]): unknown[] =>
    list.map((step) => ({ id: step.id, kind: step.actionKind, tool: step.tool, when: step.when, whenSkips: step.whenSkips, dependsOn: step.dependsOn, loop: step.loop ? steps(step.loop.steps) : null }));
  return { inputs: Object.keys(pipeline.inputs).sort(), steps: steps(pipeline.steps), outputs: pipeline.outputs };
}

describe('the Python orchestrator corpus', () => {
  const files = corpusFiles();
  const models = { names: modelNamesOf(loadModelCatalog()) };
  const results = new Map(files.map((file) => [file, compilePipelineFile(path.join(corpus, file), { models })]));

  it('holds the 72 files', () => {
    expect(files).toHaveLength(72);
  });

  it('validates at least 66 of them, and refuses exactly the files with a real defect, pointing at it', () => {
    const refused = files.filter((file) => !results.get(file)!.ok);
    expect(refused).toEqual(Object.keys(REFUSED).sort());
    expect(files.length - refused.length).toBeGreaterThanOrEqual(66);
    for (const file of refused) {
      const { diagnostics } = results.get(file)!;
      expect(diagnostics).toContainEqual(expect.objectContaining(REFUSED[file]));
      const lines = fs.readFileSync(path.join(corpus, file), 'utf8').split('\n').length;
      for (const diagnostic of diagnostics) {
        expect(diagnostic.line).toBeGreaterThanOrEqual(1);
        expect(diagnostic.line).toBeLessThanOrEqual(lines);
        expect(diagnostic.column).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('records the dialect and the id of an accepted file', () => {
    const result = results.get('examples/research_minimal.yaml')!;
    expect(result.ok && result.pipeline).toMatchObject({ dialect: 'pyorc', id: 'research_minimal' });
  });

  it('migrates every accepted file to native text that compiles to the same steps', () => {
    const problems: string[] = [];
    for (const file of files) {
      const original = results.get(file)!;
      if (!original.ok) continue;
      const migrated = migratePyorc(fs.readFileSync(path.join(corpus, file), 'utf8'), file);
      if (!migrated.ok) {
        problems.push(`${file}: migrate refused it`);
        continue;
      }
      const native = compilePipeline(migrated.text, { file, models, dialect: 'native' });
      if (!native.ok) problems.push(`${file}: ${native.diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`).join('; ')}`);
      else if (JSON.stringify(shape(native.pipeline)) !== JSON.stringify(shape(original.pipeline))) problems.push(`${file}: the migrated steps differ`);
    }
    expect(problems).toEqual([]);
  });

  it('orc migrate -o writes the native file with the comments kept', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'orc-migrate-')), 'for_loop.yaml');
    const code = await main(['migrate', path.join(corpus, 'examples/control_flow_for_loop.yaml'), '-o', out]);
    expect(code).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    expect(text).toContain('# Process each file'); // the author's comment
    expect(text).toContain("# orc migrate: was 'parameters'");
    expect(compilePipeline(text, { dialect: 'native' }).ok).toBe(true);
  });
});
