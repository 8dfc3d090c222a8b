// Problems a pipeline author gets, each tied to a YAML path and a line:column.

export type DiagnosticCode =
  | 'YAML_SYNTAX'
  | 'FILE_UNREADABLE'
  | 'UNKNOWN_MODEL'
  | 'UNKNOWN_KEY'
  | 'MISSING_FIELD'
  | 'INVALID_VALUE'
  | 'BAD_ID'
  | 'DUPLICATE_ID'
  | 'UNKNOWN_DEPENDENCY'
  | 'CYCLE'
  | 'UNKNOWN_REFERENCE'
  | 'ITEM_OUTSIDE_FOR_EACH'
  | 'TEMPLATE_SYNTAX'
  | 'AUTO_TAG'
  | 'UNKNOWN_HANDLER'
  | 'BAD_DURATION'
  | 'INPUT_MISSING'
  | 'INPUT_TYPE'
  /** A `tool:` step naming a tool this worker has no backend for (a note), or a refused cloud tool (an error). */
  | 'TOOL_UNAVAILABLE'
  /** A note in the dialect: a key written twice in one mapping, the last one used (as PyYAML reads it). */
  | 'DUPLICATE_KEY'
  /** Not a problem: a key the spec accepts that changes nothing here (a compile note, never a failure). */
  | 'NO_EFFECT';

export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  /** Dotted YAML path, e.g. `steps[2].depends_on[0]`. */
  path: string;
  line: number;
  column: number;
}

export function formatDiagnostic(file: string, diagnostic: Diagnostic): string {
  return `${file}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.code} ${diagnostic.message}`;
}

/** Thrown where a caller wants an exception rather than a list (the API, `orc run`). */
export class PipelineValidationError extends Error {
  override readonly name = 'PipelineValidationError';
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
  ) {
    super(diagnostics.map((diagnostic) => formatDiagnostic(file, diagnostic)).join('\n'));
  }
}

export function formatPath(segments: ReadonlyArray<string | number>): string {
  let text = '';
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text || '(root)';
}

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment), for did-you-mean. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The candidate closest to `word` (case-insensitive edit distance), and how far it is. */
export function nearest(word: string, candidates: Iterable<string>): { candidate: string; distance: number } | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  return best;
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const threshold = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && bestDistance <= threshold ? ` (did you mean '${best}'?)` : '';
}
