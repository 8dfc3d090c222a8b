// Positions for the native document the front end builds: each native path is traced back to where its value
// stands in the author's dialect file, so every native diagnostic still says FILE:LINE:COL of the user's text.
import type { Diagnostic } from '../diagnostics';
import type { Position, YamlPath } from '../source';
import type { DialectSource } from './parse';

function keyOf(path: YamlPath): string {
  return JSON.stringify(path);
}

/** Reads a dotted path as `formatPath` writes it (`steps[2].depends_on[0]`) back into segments. */
export function parseFormattedPath(text: string): Array<string | number> {
  if (text === '(root)') return [];
  const segments: Array<string | number> = [];
  for (const match of text.matchAll(/\[(\d+)\]|([^.[\]]+)/g)) segments.push(match[1] !== undefined ? Number(match[1]) : match[2]!);
  return segments;
}

export class TranslatedSource {
  private readonly origins = new Map<string, YamlPath>();

  constructor(readonly dialect: DialectSource) {}

  /** Records that the native value at `native` came from `original` in the dialect file (and so does its subtree). */
  map(native: YamlPath, original: YamlPath): void {
    this.origins.set(keyOf(native), original);
  }

  /** The dialect path of a native path: its longest recorded prefix, plus the rest unchanged. */
  original(native: YamlPath): YamlPath {
    for (let length = native.length; length > 0; length--) {
      const origin = this.origins.get(keyOf(native.slice(0, length)));
      if (origin) return [...origin, ...native.slice(length)];
    }
    return native;
  }

  positionOf(native: YamlPath): Position {
    return this.dialect.positionOf(this.original(native));
  }

  positionOfKey(nativeMapPath: YamlPath, key: string): Position {
    const original = this.original([...nativeMapPath, key]);
    const last = original[original.length - 1];
    if (last === undefined) return { line: 1, column: 1 };
    return this.dialect.positionOfKey(original.slice(0, -1), last);
  }

  positionInString(native: YamlPath, index: number): Position {
    return this.dialect.positionInString(this.original(native), index);
  }

  /**
   * A diagnostic the native compiler gave for the native text, moved to the author's file by its path. Its own
   * line:column (in the generated text) is replaced; an unknown key points at the key, anything else at the value.
   */
  translate(diagnostic: Diagnostic): Diagnostic {
    const native = parseFormattedPath(diagnostic.path);
    const last = native[native.length - 1];
    const position =
      diagnostic.code === 'UNKNOWN_KEY' && typeof last === 'string' ? this.positionOfKey(native.slice(0, -1), last) : this.positionOf(native);
    return { ...diagnostic, ...position };
  }
}
