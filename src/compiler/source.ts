// A parsed YAML document that can say where (line:column) any value came from.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic } from './diagnostics';
import { formatPath } from './diagnostics';

export type YamlPath = ReadonlyArray<string | number>;

export interface Position {
  line: number;
  column: number;
}

export class PipelineSource {
  private constructor(
    readonly text: string,
    private readonly document: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /** Parses YAML; syntax errors come back as diagnostics rather than exceptions. */
  static parse(originalText: string): { source: PipelineSource; value: unknown; errors: Diagnostic[] } {
    const text = quoteBareAutoTags(originalText);
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    const source = new PipelineSource(text, document, lineCounter);
    const errors: Diagnostic[] = document.errors.map((error) => {
      const position = source.positionOfOffset(error.pos[0]);
      return { code: 'YAML_SYNTAX', message: `malformed YAML: ${error.message.split('\n')[0]}`, path: '(root)', ...position };
    });
    const value = errors.length > 0 ? undefined : document.toJS({ maxAliasCount: 100 });
    return { source, value, errors };
  }

  positionOfOffset(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  private nodeAt(path: YamlPath): Node | undefined {
    let node: unknown = this.document.contents;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && item.key.value === segment);
        node = pair?.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else {
        return undefined;
      }
    }
    return (node ?? undefined) as Node | undefined;
  }

  /** Position of the value at `path`, or of its nearest existing ancestor. */
  positionOf(path: YamlPath): Position {
    for (let length = path.length; length >= 0; length--) {
      const node = this.nodeAt(path.slice(0, length));
      if (node?.range) return this.positionOfOffset(node.range[0]);
    }
    return { line: 1, column: 1 };
  }

  /** Position of the key `key` inside the map at `mapPath` (for unknown-key errors). */
  positionOfKey(mapPath: YamlPath, key: string): Position {
    const map = this.nodeAt(mapPath);
    if (isMap(map)) {
      for (const item of map.items) {
        if (isPair(item) && isScalar(item.key) && item.key.value === key && item.key.range) {
          return this.positionOfOffset(item.key.range[0]);
        }
      }
    }
    return this.positionOf(mapPath);
  }

  /**
   * Position of character `index` of the string scalar at `path`. Exact for plain, quoted (without
   * escapes before `index`) and block scalars; otherwise the scalar's start.
   */
  positionInString(path: YamlPath, index: number): Position {
    const node = this.nodeAt(path);
    if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return this.positionOf(path);
    const value = node.value;
    const start = node.range[0];
    const raw = this.text.slice(start, node.range[1]);
    if (node.type === 'PLAIN' && raw.startsWith(value.slice(0, index))) return this.positionOfOffset(start + index);
    if ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && raw.slice(1).startsWith(value.slice(0, index))) {
      return this.positionOfOffset(start + 1 + index);
    }
    if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
      const before = value.slice(0, index);
      const lineInValue = before.split('\n').length - 1;
      const columnInLine = index - (before.lastIndexOf('\n') + 1);
      const headerLine = this.positionOfOffset(start).line;
      const contentLine = headerLine + 1 + lineInValue;
      const lineStart = this.lineCounter.lineStarts[contentLine - 1];
      if (lineStart !== undefined) {
        const lineText = this.text.slice(lineStart, this.text.indexOf('\n', lineStart) >>> 0);
        const indent = lineText.length - lineText.trimStart().length;
        return { line: contentLine, column: indent + columnInLine + 1 };
      }
    }
    return this.positionOfOffset(start);
  }
}

/**
 * The design documents write `key: <AUTO>Choose format: a, b, or c</AUTO>` unquoted, which YAML rejects
 * (a `: ` inside a plain scalar). Such a tag is quoted before parsing; lines stay where they were.
 */
export function quoteBareAutoTags(text: string): string {
  return text.replace(/^(\s*(?:-\s+)?(?:[^\s#'"][^#\n]*?:\s+)?)(<AUTO\b[^\n]*?<\/AUTO>)([ \t]*(?:#[^\n]*)?)$/gm, (_whole, prefix: string, tag: string, rest: string) => {
    return `${prefix}"${tag.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"${rest}`;
  });
}

export function diagnosticAt(
  source: PipelineSource,
  code: Diagnostic['code'],
  message: string,
  path: YamlPath,
  position: Position = source.positionOf(path),
): Diagnostic {
  return { code, message, path: formatPath(path), line: position.line, column: position.column };
}
