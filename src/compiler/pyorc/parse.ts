// Reads a py-orc dialect file as that project reads it: AUTO text protected before YAML parsing, and a duplicate
// key keeping its last value (with a note), while every value can still say where it stands in the author's file.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type YAMLMap } from 'yaml';
import type { Diagnostic } from '../diagnostics';
import { formatPath } from '../diagnostics';
import { authorPosition, lineStartsOf, nodeAtPath, offsetInScalar, positionOfPath, quoteBareAutoTags, type Position, type YamlPath } from '../source';
import { indentQuotedContinuations } from './quoted-continuations';

/** A parsed dialect file: positions of values and keys in the author's text. */
export class DialectSource {
  private readonly lineStarts: number[];

  constructor(
    readonly document: Document,
    /** The text the YAML parser saw (AUTO tags quoted). */
    readonly text: string,
    /** Offsets (in `text`) where the AUTO pre-pass inserted a character, in order. */
    private readonly insertions: number[],
    originalText: string,
  ) {
    this.lineStarts = lineStartsOf(originalText);
  }

  positionOfOffset(offset: number): Position {
    return authorPosition(offset, this.insertions, this.lineStarts);
  }

  /** The node at `path`; with duplicate keys, the last one (the one whose value is kept). */
  nodeAt(path: YamlPath): Node | undefined {
    return nodeAtPath(this.document, path);
  }

  positionOf(path: YamlPath): Position {
    return positionOfPath(path, (at) => this.nodeAt(at), (offset) => this.positionOfOffset(offset));
  }

  positionOfKey(mapPath: YamlPath, key: string | number): Position {
    const map = this.nodeAt(mapPath);
    const pair = isMap(map) ? lastPair(map, key) : undefined;
    if (pair && isScalar(pair.key) && pair.key.range) return this.positionOfOffset(pair.key.range[0]);
    return this.positionOf([...mapPath, key]);
  }

  /** Position of character `index` of the string at `path` (see `offsetInScalar`). */
  positionInString(path: YamlPath, index: number): Position {
    const offset = offsetInScalar(this.nodeAt(path), this.text, index);
    return offset === undefined ? this.positionOf(path) : this.positionOfOffset(offset);
  }
}

function lastPair(map: YAMLMap, key: string | number): ReturnType<YAMLMap['items']['at']> {
  for (let index = map.items.length - 1; index >= 0; index--) {
    const pair = map.items[index]!;
    if (isScalar(pair.key) && (pair.key.value === key || String(pair.key.value) === String(key))) return pair;
  }
  return undefined;
}

export interface DialectParse {
  source: DialectSource;
  value: unknown;
  errors: Diagnostic[];
  notes: Diagnostic[];
}

/**
 * The text as PyYAML would read it, parsed: bare AUTO tags quoted, and (only when YAML refuses the file otherwise)
 * quoted scalars' under-indented continuation lines indented. `insertions`: offsets of every inserted character.
 */
export function readDialectText(originalText: string): { text: string; insertions: number[]; document: Document } {
  const quoted = quoteBareAutoTags(originalText);
  const parse = (text: string): Document => parseDocument(text, { lineCounter: new LineCounter(), prettyErrors: false, uniqueKeys: false });
  const document = parse(quoted.text);
  if (document.errors.length === 0) return { ...quoted, document };
  const indented = indentQuotedContinuations(quoted.text, quoted.insertions);
  if (indented.text === quoted.text) return { ...quoted, document };
  const retried = parse(indented.text);
  // Indenting is kept only when it is what made the file readable; otherwise the author's own errors stand.
  return retried.errors.length === 0 ? { ...indented, document: retried } : { ...quoted, document };
}

/** Parses like py-orc: AUTO pre-pass, duplicate keys last-one-wins (noted), YAML errors as diagnostics. */
export function parseDialect(originalText: string): DialectParse {
  const { text, insertions, document } = readDialectText(originalText);
  const source = new DialectSource(document, text, insertions, originalText);
  const errors: Diagnostic[] = document.errors.map((error) => ({
    code: 'YAML_SYNTAX',
    message: `malformed YAML: ${error.message.split('\n')[0]}`,
    path: '(root)',
    ...source.positionOfOffset(error.pos[0]),
  }));
  if (errors.length > 0) return { source, value: undefined, errors, notes: [] };
  try {
    return { source, value: document.toJS({ maxAliasCount: 100 }), errors, notes: duplicateKeyNotes(source) };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { source, value: undefined, errors: [{ code: 'YAML_SYNTAX', message: `malformed YAML: ${reason}`, path: '(root)', line: 1, column: 1 }], notes: [] };
  }
}

/** One note per key that a later duplicate overrides: py-orc (PyYAML) keeps the last value, and so do we. */
function duplicateKeyNotes(source: DialectSource): Diagnostic[] {
  const notes: Diagnostic[] = [];
  visit(source.document, {
    Map(_key, map, ancestry) {
      const seen = new Map<string, { line: number; column: number }>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || !pair.key.range) continue;
        const key = String(pair.key.value);
        const at = source.positionOfOffset(pair.key.range[0]);
        const earlier = seen.get(key);
        if (earlier) {
          notes.push({
            code: 'NO_EFFECT',
            message: `duplicate key '${key}': the one at line ${earlier.line} has no effect, this later one (line ${at.line}) wins, as in the Python orchestrator`,
            path: formatPath([...pathOf(ancestry), key]),
            ...earlier,
          });
        }
        seen.set(key, at);
      }
    },
  });
  return notes;
}

/** The YAML path of a node from the ancestors `visit` hands over. */
function pathOf(ancestry: readonly unknown[]): Array<string | number> {
  const path: Array<string | number> = [];
  for (let index = 0; index < ancestry.length; index++) {
    const node = ancestry[index];
    const child = ancestry[index + 1];
    if (isPair(node) && isScalar(node.key)) path.push(String(node.key.value));
    else if (isSeq(node) && child !== undefined) path.push(node.items.indexOf(child as never));
  }
  return path;
}
