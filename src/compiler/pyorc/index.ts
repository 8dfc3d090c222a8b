// The Python orchestrator's dialect (spec section 18), normalised into the native document. STUB until the dialect
// helper's front end lands (branch `dialect`): it returns the document unchanged.
import type { CompileOptions } from '../context';
import type { Diagnostic } from '../diagnostics';
import type { ParsedPipeline } from '../front-end';
import type { SourcePositions } from '../source';
import { isPlainObject, type PlainObject } from '../values';

export interface NormalizedPyorc {
  /** The native document (what `orc migrate` writes); undefined when the file cannot be read even as the dialect. */
  document: PlainObject | undefined;
  /** Positions of the native document's paths in the user's file. */
  source: SourcePositions;
  /** Problems, each at a position in the user's file. */
  diagnostics?: Diagnostic[];
  /** Warnings (not problems) for the user, e.g. an input default that aliased its own spec. */
  notes?: Diagnostic[];
  /** The file's top-level `id` (CompiledPipeline.id). */
  id?: string;
}

export function normalizePyorc(parsed: ParsedPipeline, _options: CompileOptions): NormalizedPyorc {
  return { document: isPlainObject(parsed.value) ? parsed.value : undefined, source: parsed.source };
}

