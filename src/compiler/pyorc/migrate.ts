// `orc migrate`: a dialect file rewritten in the native language, edited in place so the author's comments stay,
// with a comment at each change saying what it was and why.
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import type { YamlPath } from '../source';
import { readDialectText } from './parse';
import { isPlainObject } from '../values';
import { formatDiagnostic, type Diagnostic } from '../diagnostics';
import { normalizePyorcText, type PyorcFrontEnd } from './index';

export type MigrateResult = { ok: true; text: string; notes: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

const MARK = ' orc migrate:';

/** Why a key was renamed (the native key keeps the dialect's meaning). */
const RENAMED: Record<string, string> = {
  parameters: 'the pipeline\'s inputs',
  condition: 'with when_skips: step, a false condition skips only this step',
  if: 'with when_skips: step, a false condition skips only this step',
  foreach: 'the same loop',
  continue_on_error: 'on_failure: continue',
  id: 'the native name is the dialect\'s id',
  default_timeout: 'config.timeout',
};
/** What became of a key the native form does not have. */
const REMOVED: Record<string, string> = {
  text: 'part of the prompt now (analyze_text sends the prompt, then "Data:" and the text)',
  model: 'a step field now (model settings of an LLM step are step fields)',
  max_tokens: 'a step field now',
  temperature: 'a step field now',
  schema: 'the step\'s output_schema now',
  metadata: 'free-form metadata is not part of the native language (default_timeout is config.timeout)',
  produces: 'metadata only, as under the Python orchestrator\'s run',
  location: 'metadata only, as under the Python orchestrator\'s run',
  requires_model: 'the step runs on its own model or the pipeline\'s',
  action: 'the loop\'s body step holds it',
};
/** Why a key was added. */
const ADDED: Record<string, string> = {
  model: 'moved here from parameters.model (a bare or task-less <AUTO> model is the pipeline default)',
  max_tokens: 'moved here from parameters',
  temperature: 'moved here from parameters',
  output_schema: 'was parameters.schema',
  prompt: 'the prompt the dialect builds for this action',
  when_skips: 'the dialect\'s condition skips only this step; its dependents still run',
  config: 'from metadata.default_timeout or the top-level model',
  description: 'the dialect\'s free-text name',
  steps: 'the loop\'s action as its one body step',
  on_failure: 'from continue_on_error',
};

function addComment(node: { commentBefore?: string | null } | null | undefined, text: string): void {
  if (!node) return;
  node.commentBefore = node.commentBefore ? `${node.commentBefore}\n${MARK} ${text}` : `${MARK} ${text}`;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function short(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const line = text.split('\n')[0]!;
  return line.length > 60 || text.includes('\n') ? `${line.slice(0, 57)}...` : line;
}

/** Edits the dialect document's nodes until they hold the native document, keeping every node that survives. */
class Migration {
  constructor(
    private readonly document: Document,
    private readonly front: PyorcFrontEnd,
  ) {}

  /** Makes `node` (at dialect path `at`, native path `native`) hold `target`; returns the node to keep. */
  sync(node: unknown, target: unknown, at: YamlPath, native: YamlPath): Node {
    if (isPlainObject(target) && isMap(node)) return this.syncMap(node, target, at, native);
    if (Array.isArray(target) && isSeq(node)) return this.syncSeq(node, target, at, native);
    if (isScalar(node) && !isPlainObject(target) && !Array.isArray(target)) {
      if (!same(node.value, target)) node.value = target;
      return node;
    }
    return this.document.createNode(target) as Node;
  }

  private syncMap(map: YAMLMap, target: Record<string, unknown>, at: YamlPath, native: YamlPath): Node {
    const pairs = map.items as Array<Pair<unknown, unknown>>;
    const keyOf = (pair: Pair<unknown, unknown>): string => String(isScalar(pair.key) ? pair.key.value : pair.key);
    const lastPairs = new Map<string, Pair<unknown, unknown>>();
    for (const pair of pairs) lastPairs.set(keyOf(pair), pair);
    const matched = new Map<Pair<unknown, unknown>, string>();
    const added: Pair[] = [];
    for (const [key, value] of Object.entries(target)) {
      const origin = this.front.source.original([...native, key]);
      const originKey = origin.length === at.length + 1 && same(origin.slice(0, -1), at) ? String(origin[origin.length - 1]) : key;
      const pair = lastPairs.get(originKey) ?? lastPairs.get(key);
      if (pair && !matched.has(pair)) {
        matched.set(pair, key);
        this.update(pair, key, value, at, native);
      } else {
        const created = this.document.createPair(key, value);
        addComment(created.key as Node, ADDED[key] ?? 'added: the native form of what the dialect did implicitly');
        added.push(created as Pair);
      }
    }
    const removed: string[] = [];
    for (const pair of pairs) {
      if (matched.has(pair)) continue;
      const key = keyOf(pair);
      removed.push(lastPairs.get(key) === pair ? `'${key}' removed: ${this.reasonFor([...at, key], key)}` : `duplicate '${key}' removed: the later one is the one that counted`);
    }
    const kept = [...pairs.filter((pair) => matched.has(pair)), ...added] as Pair[];
    map.items = kept;
    if (removed.length > 0) addComment((kept[0]?.key as Node | undefined) ?? map, removed.join(`\n${MARK} `));
    return map;
  }

  /** One pair whose value (and maybe key) becomes the native one, with a comment when it changed. */
  private update(pair: Pair<unknown, unknown>, key: string, value: unknown, at: YamlPath, native: YamlPath): void {
    const before = String(isScalar(pair.key) ? pair.key.value : pair.key);
    const oldValue = isScalar(pair.value) ? pair.value.value : undefined;
    pair.value = this.sync(pair.value, value, [...at, before], [...native, key]);
    if (before !== key) {
      if (isScalar(pair.key)) pair.key.value = key;
      else pair.key = this.document.createNode(key);
      addComment(pair.key as Node, `was '${before}'${RENAMED[before] ? ` (${RENAMED[before]})` : ''}`);
    } else if (oldValue !== undefined && isScalar(pair.value) && !same(oldValue, pair.value.value)) {
      addComment(pair.key as Node, `was ${short(oldValue)}`);
    }
  }

  /** A list: each native item comes from the dialect item it was made from (synthetic steps are new nodes). */
  private syncSeq(seq: YAMLSeq, target: unknown[], at: YamlPath, native: YamlPath): Node {
    const items = target.map((value, index) => {
      const origin = this.front.source.original([...native, index]);
      const fromHere = origin.length === at.length + 1 && same(origin.slice(0, -1), at) && typeof origin[origin.length - 1] === 'number';
      const source = fromHere ? seq.items[origin[origin.length - 1] as number] : undefined;
      const node = this.sync(source, value, fromHere ? origin : [...at, index], [...native, index]);
      if (!source) addComment(node, 'added by orc migrate (a step the dialect made implicitly)');
      return node;
    });
    seq.items = items;
    return seq;
  }

  /** Why the front end dropped a key: its note at that key, else what became of that key. */
  private reasonFor(at: YamlPath, key: string): string {
    const position = this.front.source.dialect.positionOfKey(at.slice(0, -1), at[at.length - 1]!);
    const note = this.front.notes.find((candidate) => candidate.line === position.line && candidate.column === position.column);
    if (note) return note.message;
    if (key === 'name' && at.length === 1 && this.front.title) return `the native name is the id; the dialect's display name was "${this.front.title}"`;
    return REMOVED[key] ?? 'the native language has no such key here';
  }
}

/** The native text of a dialect file, keeping its comments and saying at each change what it was. */
export function migratePyorc(text: string, file = '<pipeline>'): MigrateResult {
  const front = normalizePyorcText(text, { file, force: true })!;
  if (!front.document || front.errors.length > 0) return { ok: false, diagnostics: front.errors };
  // The same reading as the front end's (AUTO tags quoted, under-indented quoted lines indented), with its comments.
  const document = parseDocument(readDialectText(text).text, { uniqueKeys: false });
  document.contents = new Migration(document, front).sync(document.contents, front.document, [], []) as typeof document.contents;
  const header = [
    ` Migrated by \`orc migrate\` from the Python orchestrator's dialect${front.title ? ` ("${front.title}")` : ''}.`,
    ' Each change is marked "orc migrate:" where it was made; what the dialect did implicitly:',
    ...front.notes.map((note) => `   ${formatDiagnostic(file, note)}`),
  ];
  document.commentBefore = document.commentBefore ? `${header.join('\n')}\n\n${document.commentBefore}` : header.join('\n');
  return { ok: true, text: document.toString({ lineWidth: 0 }), notes: front.notes };
}
