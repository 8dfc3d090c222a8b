// A parsed YAML document that can say where (line:column) any value came from.
import { CST, isMap, isPair, isScalar, isSeq, Lexer, LineCounter, parseDocument, visit, type Document, type Node, type YAMLError } from 'yaml';
import type { Diagnostic } from './diagnostics';
import { formatPath } from './diagnostics';

export type YamlPath = ReadonlyArray<string | number>;

export interface Position {
  line: number;
  column: number;
}

/** Where each line of a text starts (offsets). */
export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let index = 0; index < text.length; index++) if (text[index] === '\n') starts.push(index + 1);
  return starts;
}

/**
 * line:column in the author's text of an offset in the parsed text, given the offsets where the AUTO pre-pass
 * inserted a character and where the author's lines start.
 */
export function authorPosition(offset: number, insertions: readonly number[], lineStarts: readonly number[]): Position {
  let original = offset;
  for (const inserted of insertions) if (inserted < offset) original--;
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (lineStarts[middle]! <= original) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, column: original - lineStarts[low]! + 1 };
}

/**
 * What the compiler asks of a source: where (line:column in the author's file) a value of the NATIVE document is.
 * A native file is its own document; a dialect front end (src/compiler/pyorc) hands back an object that maps the
 * native paths it wrote to where they came from in the user's file.
 */
export interface SourcePositions {
  /** Position of the value at `path`, or of its nearest existing ancestor. */
  positionOf(path: YamlPath): Position;
  /** Position of the key `key` inside the map at `mapPath`. */
  positionOfKey(mapPath: YamlPath, key: string): Position;
  /** Position of character `index` of the string at `path`. */
  positionInString(path: YamlPath, index: number): Position;
}

export class PipelineSource implements SourcePositions {
  private readonly originalLineStarts: number[];

  private constructor(
    /** The text the YAML parser saw (bare AUTO tags quoted). */
    readonly text: string,
    private readonly document: Document,
    /** Offsets (in `text`) where quoting inserted a character, in order. */
    private readonly insertions: number[],
    originalText: string,
  ) {
    this.originalLineStarts = lineStartsOf(originalText);
  }

  /**
   * Parses YAML; syntax errors come back as diagnostics rather than exceptions. `uniqueKeys: false` reads a
   * duplicate key as PyYAML does (the last one wins; the dialect's front end warns); `onlyDuplicateKeys` says
   * whether every error was a duplicate key.
   */
  static parse(originalText: string, options: { uniqueKeys?: boolean } = {}): { source: PipelineSource; value: unknown; errors: Diagnostic[]; onlyDuplicateKeys: boolean } {
    const { text, insertions } = quoteBareAutoTags(originalText);
    const document = parseDocument(text, { lineCounter: new LineCounter(), prettyErrors: false, uniqueKeys: options.uniqueKeys ?? true });
    const source = new PipelineSource(text, document, insertions, originalText);
    const openings = errorsCanOpenEarlier(document.errors) ? unclosedOpenings(text) : [];
    const errors: Diagnostic[] = document.errors.map((error) => {
      const stopped = source.positionOfOffset(error.pos[0]);
      const message = `malformed YAML: ${error.message.split('\n')[0]}`;
      // The parser notices a missing quote or bracket where it gives up, often lines later; the author needs the opening.
      const opening = openings.filter((candidate) => candidate.offset < error.pos[0]).at(-1);
      const opened = opening ? source.positionOfOffset(opening.offset) : undefined;
      if (!opening || !opened || opened.line === stopped.line) return { code: 'YAML_SYNTAX', message, path: '(root)', ...stopped };
      return {
        code: 'YAML_SYNTAX',
        message: `${message}: the ${opening.what} that opens here is never closed (parsing stopped at line ${stopped.line}, column ${stopped.column})`,
        path: '(root)',
        ...opened,
      };
    });
    const onlyDuplicateKeys = document.errors.length > 0 && document.errors.every((error) => error.code === 'DUPLICATE_KEY');
    if (errors.length > 0) return { source, value: undefined, errors, onlyDuplicateKeys };
    try {
      return { source, value: document.toJS({ maxAliasCount: 100 }), errors, onlyDuplicateKeys };
    } catch (error) {
      // An alias with no anchor before it, or aliases that expand too far: found only when the values are built.
      const alias = firstAlias(document);
      const position = source.positionOfOffset(alias?.range?.[0] ?? 0);
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      return { source, value: undefined, errors: [{ code: 'YAML_SYNTAX', message: `malformed YAML: ${reason}`, path: '(root)', ...position }], onlyDuplicateKeys: false };
    }
  }

  /** line:column in the author's file of an offset in the parsed text. */
  positionOfOffset(offset: number): Position {
    return authorPosition(offset, this.insertions, this.originalLineStarts);
  }

  private nodeAt(path: YamlPath): Node | undefined {
    return nodeAtPath(this.document, path);
  }

  /** Position of the value at `path`, or of its nearest existing ancestor. */
  positionOf(path: YamlPath): Position {
    return positionOfPath(path, (at) => this.nodeAt(at), (offset) => this.positionOfOffset(offset));
  }

  /** Position of the key `key` inside the map at `mapPath` (for unknown-key errors). */
  positionOfKey(mapPath: YamlPath, key: string): Position {
    const map = this.nodeAt(mapPath);
    if (isMap(map)) {
      const item = lastOf(map.items, (pair) => isPair(pair) && isScalar(pair.key) && pair.key.value === key);
      if (item && isScalar(item.key) && item.key.range) return this.positionOfOffset(item.key.range[0]);
    }
    return this.positionOf(mapPath);
  }

  /** Position of character `index` of the string scalar at `path` (see `offsetInScalar`). */
  positionInString(path: YamlPath, index: number): Position {
    const node = this.nodeAt(path);
    const offset = offsetInScalar(node, this.text, index);
    return offset === undefined ? this.positionOf(path) : this.positionOfOffset(offset);
  }
}

/**
 * The offset in `text` of character `index` of a string scalar (undefined: `node` is none). Exact for plain
 * scalars; for quoted and block scalars the text from `index` to the next whitespace is found in the source (the
 * same occurrence); otherwise the scalar's start.
 */
export function offsetInScalar(node: Node | undefined, text: string, index: number): number | undefined {
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return undefined;
  const value = node.value;
  const start = node.range[0];
  const raw = text.slice(start, node.range[1]);
  if (node.type === 'PLAIN' && raw.startsWith(value.slice(0, index))) return start + index;
  const needle = /^\S{1,40}/.exec(value.slice(index))?.[0];
  if (!needle) return start;
  let occurrence = 0;
  for (let at = value.indexOf(needle); at !== -1 && at < index; at = value.indexOf(needle, at + 1)) occurrence++;
  let found = -1;
  for (let seen = 0; seen <= occurrence; seen++) {
    found = raw.indexOf(needle, found + 1);
    if (found === -1) break;
  }
  return found === -1 ? start : start + found;
}

/**
 * Positions for a rewritten document (a dialect's front end): `toUserPath` maps a path of the native document to the
 * path it came from in the user's file (undefined: the same path). A renamed key (`parameters` -> `inputs`) is
 * found under its old name.
 */
export function mappedSource(source: SourcePositions, toUserPath: (path: YamlPath) => YamlPath | undefined): SourcePositions {
  const map = (path: YamlPath): YamlPath => toUserPath(path) ?? path;
  return {
    positionOf: (path) => source.positionOf(map(path)),
    positionOfKey: (mapPath, key) => {
      const user = map([...mapPath, key]);
      const last = user[user.length - 1];
      return typeof last === 'string' ? source.positionOfKey(user.slice(0, -1), last) : source.positionOf(user);
    },
    positionInString: (path, index) => source.positionInString(map(path), index),
  };
}

function lastOf<T>(items: readonly T[], matches: (item: T) => boolean): T | undefined {
  for (let index = items.length - 1; index >= 0; index--) if (matches(items[index]!)) return items[index];
  return undefined;
}

/** The first alias (`*name`) that names no anchor before it, else the first alias. */
function firstAlias(document: Document): Node | undefined {
  let unresolved: Node | undefined;
  let first: Node | undefined;
  visit(document, {
    Alias(_key, alias) {
      first ??= alias;
      if (!alias.resolve(document)) {
        unresolved = alias;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return unresolved ?? first;
}

/**
 * The design documents write `key: <AUTO>Choose format: a, b, or c</AUTO>` unquoted, which YAML rejects
 * (a `: ` inside a plain scalar). Such a tag is quoted before parsing; lines stay where they were, and the
 * inserted characters are recorded so positions still point into the author's text.
 *
 * Only a line that holds `</AUTO>` and is at most 2,000 characters long is looked at: on a line of many `: <AUTO`
 * the pattern's work grows with the square of the line's length (fuzzing found a 300 KB line taking seconds).
 */
export function quoteBareAutoTags(text: string): { text: string; insertions: number[] } {
  const insertions: number[] = [];
  let shift = 0;
  const quoted = text.replace(
    /^(?=[^\n]{0,2000}(?:\n|$))(?=[^\n]*<\/AUTO>)(\s*(?:-\s+)?(?:[^\s#'"][^#\n]*?:\s+)?)(<AUTO\b[^\n]*?<\/AUTO>)([ \t]*(?:#[^\n]*)?)$/gm,
    (_whole, prefix: string, tag: string, rest: string, offset: number) => {
      let position = offset + shift + prefix.length;
      insertions.push(position++);
      let body = '';
      for (const character of tag) {
        if (character === '\\' || character === '"') {
          insertions.push(position++);
          body += '\\';
        }
        body += character;
        position++;
      }
      insertions.push(position);
      shift = insertions.length;
      return `${prefix}"${body}"${rest}`;
    },
  );
  return { text: quoted, insertions };
}

export function diagnosticAt(
  source: SourcePositions,
  code: Diagnostic['code'],
  message: string,
  path: YamlPath,
  position: Position = source.positionOf(path),
): Diagnostic {
  return { code, message, path: formatPath(path), line: position.line, column: position.column };
}

/** Errors that a string or flow collection left open can cause (rather than, say, a duplicate key). */
function errorsCanOpenEarlier(errors: readonly YAMLError[]): boolean {
  return errors.some((error) => error.code !== 'DUPLICATE_KEY');
}

interface Opening {
  offset: number;
  what: string;
}

/**
 * Quoted strings and flow collections (`[`, `{`) that the text never closes, by offset. One pass over the lexer's
 * tokens: linear in the text, where walking the parser's token tree cost seconds on a long line of errors.
 */
function unclosedOpenings(text: string): Opening[] {
  const found: Opening[] = [];
  const flows: Opening[] = [];
  let offset = 0;
  let scalarNext = false;
  for (const token of new Lexer().lex(text)) {
    // After the scalar prefix comes a scalar's own text, whatever it looks like (a plain `---` is no document start).
    const type: string | null | undefined = scalarNext ? undefined : CST.tokenType(token);
    scalarNext = type === 'scalar';
    if (type === 'double-quoted-scalar' || type === 'single-quoted-scalar') {
      const quote = type === 'double-quoted-scalar' ? '"' : "'";
      if (token.length < 2 || !token.trimEnd().endsWith(quote)) found.push({ offset, what: `${quote === '"' ? 'double' : 'single'}-quoted string` });
    } else if (type === 'flow-seq-start' || type === 'flow-map-start') {
      flows.push({ offset, what: type === 'flow-seq-start' ? 'flow sequence [' : 'flow mapping {' });
    } else if (type === 'flow-seq-end' || type === 'flow-map-end') {
      flows.pop();
    } else if (type === 'flow-error-end' || type === 'doc-start' || type === 'doc-end') {
      // The lexer gave up on the open collections (or a document ended inside them): none of them was closed.
      found.push(...flows.splice(0));
    }
    // Control tokens (document mode, scalar prefix, flow error end) are not text of the source.
    if (type !== 'doc-mode' && type !== 'scalar' && type !== 'flow-error-end') offset += token.length;
  }
  found.push(...flows);
  return found.sort((a, b) => a.offset - b.offset);
}

/** The node at `path`; with duplicate keys, the last one (the value read is the last). */
export function nodeAtPath(document: Document, path: YamlPath): Node | undefined {
  let node: unknown = document.contents;
  for (const segment of path) {
    // A key written as a number (`1:`) is read back by its text (`'1'`, as Object.keys gives it).
    if (isMap(node)) node = lastOf(node.items, (item) => isScalar(item.key) && (item.key.value === segment || String(item.key.value) === String(segment)))?.value;
    else if (isSeq(node) && typeof segment === 'number') node = node.items[segment];
    else return undefined;
  }
  return (node ?? undefined) as Node | undefined;
}

/** Position of the value at `path`, or of its nearest existing ancestor (1:1 when none has a place). */
export function positionOfPath(path: YamlPath, nodeAt: (path: YamlPath) => Node | undefined, positionOfOffset: (offset: number) => Position): Position {
  for (let length = path.length; length >= 0; length--) {
    const node = nodeAt(path.slice(0, length));
    if (node?.range) return positionOfOffset(node.range[0]);
  }
  return { line: 1, column: 1 };
}
