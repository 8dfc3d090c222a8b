// What every compiler fuzz test asserts about one input: compilePipeline returns (never throws) within a second,
// every diagnostic points at a line:column inside the text, and a pipeline that compiles fits the compiled schema.
import { compiledPipelineSchema, compilePipeline, formatDiagnostic } from '../../src/compiler';

/**
 * A correctness bound against pathological inputs (a runaway regex or loop), far above a normal compile. It is
 * CPU time, not wall time: on a loaded machine a compile waits for a core without doing more work.
 */
export const COMPILE_TIME_LIMIT_MS = 1000;

function shown(text: string): string {
  return JSON.stringify(text.length > 2000 ? `${text.slice(0, 2000)}…` : text);
}

/** Throws (failing the property) with the input when a property does not hold. */
export function checkCompile(text: string, limitMs = COMPILE_TIME_LIMIT_MS): void {
  const started = process.cpuUsage();
  let result: ReturnType<typeof compilePipeline>;
  try {
    result = compilePipeline(text, { file: 'fuzz.yaml' });
  } catch (error) {
    throw new Error(`compilePipeline threw ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\non input ${shown(text)}`);
  }
  const used = process.cpuUsage(started);
  const elapsed = (used.user + used.system) / 1000;
  if (elapsed > limitMs) throw new Error(`compilePipeline took ${elapsed.toFixed(0)} ms of CPU on input ${shown(text)}`);
  const lines = text.split('\n');
  for (const diagnostic of result.diagnostics) {
    const line = lines[diagnostic.line - 1];
    const inside =
      Number.isInteger(diagnostic.line) && Number.isInteger(diagnostic.column) && line !== undefined && diagnostic.column >= 1 && diagnostic.column <= line.length + 1;
    if (!inside) throw new Error(`diagnostic outside the file (${lines.length} lines): ${formatDiagnostic('fuzz.yaml', diagnostic)}\non input ${shown(text)}`);
  }
  if (result.ok) {
    const parsed = compiledPipelineSchema.safeParse(result.pipeline);
    if (!parsed.success) throw new Error(`compiled pipeline does not fit its schema: ${parsed.error.message}\non input ${shown(text)}`);
  } else if (result.diagnostics.length === 0) {
    throw new Error(`compilePipeline failed with no diagnostic on input ${shown(text)}`);
  }
}
