// The Python orchestrator's dialect (spec section 18), normalised into the native document. STUB until the dialect
// helper's front end lands (branch `dialect`): it returns the document unchanged.
import type { CompileOptions } from '../context';
import type { Diagnostic } from '../diagnostics';
import type { ParsedPipeline } from '../front-end';
import type { SourcePositions } from '../source';
import type { PlainObject } from '../values';

export interface NormalizedPyorc {
  /** The native document (what `orc migrate` writes). */
  document: PlainObject;
  /** Positions of the native document's paths in the user's file. */
  source: SourcePositions;
  diagnostics?: Diagnostic[];
  notes?: Diagnostic[];
}

export function normalizePyorc(parsed: ParsedPipeline, _options: CompileOptions): NormalizedPyorc {
  return { document: parsed.value, source: parsed.source };
}
