// Compiler fuzzing on mutations of every example pipeline (pipelines/*.yaml) and seed pipeline (test/fixtures):
// characters and YAML tokens inserted, deleted and replaced, lines duplicated, swapped, re-indented, the text cut
// short. compilePipeline never throws, answers within a second, every diagnostic has a line:column in the file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { compilePipeline } from '../../src/compiler';
import { checkCompile, COMPILE_TIME_LIMIT_MS } from './fuzz-checks';

/** Per fixture; fixed, so the suite's time is fixed. The seed is random and printed when a property fails. */
const RUNS_PER_FILE = 35;

const root = path.resolve(__dirname, '..', '..');
const fixtures = ['pipelines', 'test/fixtures/compiler/seeds', 'test/fixtures/fuzz-seeds'].flatMap((directory) =>
  fs
    .readdirSync(path.join(root, directory))
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .map((file) => path.join(directory, file)),
);

/** What an edit puts in: the characters and tokens that mean something to YAML, templates and AUTO tags. */
const token = fc.oneof(
  fc.constantFrom(':', ': ', '-', '- ', '[', ']', '{', '}', ',', '"', "'", '|', '>', '&a ', '*a', '!', '!!str ', '?', '#', '%', '@', '`', '\t', '\n', '\r\n', ' ', '  ', '\\', '\u0000', '\uFEFF', '\u2028', '😀'),
  fc.constantFrom('{{', '}}', '{%', '%}', '{#', '#}', '{{ item }}', '{{ missing.result }}', '<AUTO>', '</AUTO>', '<AUTO>pick: a, b</AUTO>', 'depends_on: [', 'steps:', 'id: x', 'null', '~', '1e999', '-0', '0x1F', '.inf', '<<: *a'),
  fc.string({ maxLength: 6 }),
  // Long runs: work that grows faster than the text shows only on long lines.
  fc.constantFrom('x: <AUTO>'.repeat(3000), ': '.repeat(5000), '['.repeat(2000), '{{ ('.repeat(1000), '- '.repeat(3000), '{% if a %}'.repeat(500), '&a [*a, *a] '.repeat(200)),
);

type Edit =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'replace'; at: number; length: number; text: string }
  | { kind: 'duplicateLine'; line: number }
  | { kind: 'deleteLine'; line: number }
  | { kind: 'swapLines'; line: number; other: number }
  | { kind: 'indent'; line: number; by: number }
  | { kind: 'cut'; at: number };

const position = fc.nat({ max: 1_000_000 });
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: position, text: token }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: position, length: fc.integer({ min: 1, max: 10 }), text: token }),
  fc.record({ kind: fc.constant('duplicateLine' as const), line: position }),
  fc.record({ kind: fc.constant('deleteLine' as const), line: position }),
  fc.record({ kind: fc.constant('swapLines' as const), line: position, other: position }),
  fc.record({ kind: fc.constant('indent' as const), line: position, by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: position }),
);

function applyEdit(text: string, change: Edit): string {
  const at = (offset: number): number => (text.length === 0 ? 0 : offset % (text.length + 1));
  const lines = text.split('\n');
  const line = (index: number): number => index % lines.length;
  switch (change.kind) {
    case 'insert':
      return text.slice(0, at(change.at)) + change.text + text.slice(at(change.at));
    case 'delete':
      return text.slice(0, at(change.at)) + text.slice(at(change.at) + change.length);
    case 'replace':
      return text.slice(0, at(change.at)) + change.text + text.slice(at(change.at) + change.length);
    case 'duplicateLine':
      lines.splice(line(change.line), 0, lines[line(change.line)]!);
      return lines.join('\n');
    case 'deleteLine':
      lines.splice(line(change.line), 1);
      return lines.join('\n');
    case 'swapLines': {
      const [first, second] = [line(change.line), line(change.other)];
      [lines[first], lines[second]] = [lines[second]!, lines[first]!];
      return lines.join('\n');
    }
    case 'indent': {
      const index = line(change.line);
      const current = lines[index]!;
      lines[index] = change.by >= 0 ? ' '.repeat(change.by) + current : current.replace(new RegExp(`^ {0,${-change.by}}`), '');
      return lines.join('\n');
    }
    case 'cut':
      return text.slice(0, at(change.at));
  }
}

describe('compiler fuzzing: mutations of the example and seed pipelines', () => {
  beforeAll(() => {
    // The first compile loads the JSON Schema validator; the time bound is for compiling, not for that.
    compilePipeline('name: warm\nsteps:\n  - id: a\n    action: Say hi\n');
  });

  it('has every example and seed pipeline as a starting point', () => {
    expect(fixtures.filter((file) => file.startsWith('pipelines/')).length).toBeGreaterThanOrEqual(5);
    expect(fixtures.filter((file) => file.includes('seeds/')).length).toBeGreaterThanOrEqual(9);
  });

  it('answers within the bound on a long line of unclosed AUTO tags (found by fuzzing: it took seconds)', () => {
    // 270 KB on one line with ~1,000 YAML errors: a linear compile takes 0.3-0.5 s of CPU here, a quadratic
    // pass tens of seconds; the bound sits between, far enough from the first for a loaded machine.
    checkCompile(`name: long\nsteps:\n  - id: a\n    action: ${'x: <AUTO>'.repeat(30_000)}</AUTO> and more\n`, 3 * COMPILE_TIME_LIMIT_MS);
  });

  it('refuses brackets nested hundreds deep inside a template at once (found by fuzzing: the parser took minutes)', () => {
    const text = `name: deep\nsteps:\n  - id: a\n    action: "{{ x${'['.repeat(2000)} }}"\n`;
    checkCompile(text);
    expect(compilePipeline(text).diagnostics).toEqual([expect.objectContaining({ code: 'TEMPLATE_SYNTAX', line: 4, message: expect.stringMatching(/nested more than 100 deep/) })]);
  });

  it('reports a nesting deeper than the call stack at its line instead of throwing (found by fuzzing)', () => {
    // `x: x: …` after an indented key: the YAML parser recurses once per `x:`, far past any stack.
    const text = `name: deep\ninputs:\n ${'x: '.repeat(30_000)}\nsteps: []\n`;
    checkCompile(text);
    expect(compilePipeline(text).diagnostics).toEqual([expect.objectContaining({ code: 'YAML_SYNTAX', line: 3, column: 1, message: expect.stringMatching(/nested too deeply/) })]);
  });

  it('reports an alias with no anchor, and aliases that expand too far, at the alias (found by fuzzing: it threw)', () => {
    expect(compilePipeline('name: a\nsteps:\n  - id: *nope\n    action: hi\n').diagnostics).toEqual([
      expect.objectContaining({ code: 'YAML_SYNTAX', line: 3, column: 9, message: expect.stringMatching(/Unresolved alias.*nope/) }),
    ]);
    const bomb = `a: &a [1]\nb: &b [${'*a, '.repeat(10)}*a]\nc: &c [${'*b, '.repeat(10)}*b]\nsteps: [${'*c, '.repeat(10)}*c]\n`;
    expect(compilePipeline(bomb).diagnostics).toEqual([expect.objectContaining({ code: 'YAML_SYNTAX', message: expect.stringMatching(/alias/) })]);
  });

  it.each(fixtures)(`holds the compiler's properties on ${RUNS_PER_FILE} mutations of %s`, (file) => {
    const original = fs.readFileSync(path.join(root, file), 'utf8');
    checkCompile(original);
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => checkCompile(edits.reduce(applyEdit, original))),
      { numRuns: RUNS_PER_FILE },
    );
  });
});
