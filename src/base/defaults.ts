// Defaults that workflow code reads. Kept apart from compiled-pipeline.ts, whose zod schemas would otherwise be
// bundled into (and evaluated by) every workflow sandbox.

/** How long an approval (an approval step, an agent's tool call that needs one) waits for a person when nothing says. */
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 7 * 24 * 3600;
