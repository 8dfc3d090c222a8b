// The compiled pipeline: plain, serializable JSON that the workflow interprets. Zod schemas sit next to
// the types inferred from them so every boundary (workflow input, API) can validate.
import { z } from 'zod';

export const inputTypeSchema = z.enum(['string', 'integer', 'number', 'boolean', 'array', 'object']);
export type InputType = z.infer<typeof inputTypeSchema>;

export const inputSpecSchema = z.object({
  type: inputTypeSchema,
  required: z.boolean(),
  default: z.unknown().optional(),
  enum: z.array(z.unknown()).optional(),
  description: z.string().optional(),
  /** Where the input is declared (or, for an implicit input, first used), for errors at start. */
  declaredAt: z.object({ line: z.number(), column: z.number(), path: z.string() }).optional(),
});
export type InputSpec = z.infer<typeof inputSpecSchema>;

const jsonSchemaSchema = z.record(z.string(), z.unknown());
export type JsonSchema = Record<string, unknown>;

/** An `<AUTO>` tag: where it stands, what it asks, and the JSON Schema its value must satisfy. */
export const autoTagSchema = z.object({
  path: z.string(),
  step: z.string().nullable(),
  /** Where the value goes: `parameters` (with a key path) or a step field. */
  target: z.union([
    z.object({ kind: z.literal('parameter'), keys: z.array(z.union([z.string(), z.number()])) }),
    z.object({ kind: z.literal('field'), field: z.enum(['model', 'timeout', 'max_retries', 'max_parallel', 'replicates']) }),
  ]),
  description: z.string(),
  schema: jsonSchemaSchema,
  task: z.string().optional(),
});
export type AutoTag = z.infer<typeof autoTagSchema>;

export const actionKindSchema = z.enum(['prompt', 'named', 'generate', 'run_code', 'mcp', 'approval', 'pipeline', 'agent', 'agents', 'tool', 'loop']);
export type ActionKind = z.infer<typeof actionKindSchema>;

export const onFailureSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fail') }),
  z.object({ kind: z.literal('continue') }),
  z.object({ kind: z.literal('skip') }),
  z.object({ kind: z.literal('retry') }),
  z.object({ kind: z.literal('handler'), step: z.string() }),
]);
export type OnFailure = z.infer<typeof onFailureSchema>;

/**
 * One `on_error` handler (spec section 18; pyorc-dialect.md section 2.6), tried in order once the step's retries
 * are spent and its error matches. Exactly one of handlerStep / handlerAction / fallback acts.
 */
export const compiledErrorHandlerSchema = z.object({
  /** Failure types (ApplicationFailure `type`) it matches; ['*'] for any. */
  errorTypes: z.array(z.string()),
  /** Regular expressions tried on the error message; empty: any. */
  errorPatterns: z.array(z.string()),
  /** A step (an `isHandler` step) run in place of the failed one; it may read `{{ failed.error }}`. */
  handlerStep: z.string().nullable(),
  /** A prompt sent to the step's model with the error; its answer is the handler's result. */
  handlerAction: z.string().nullable(),
  /** The step's result when the handler applies (`fallback_value`). `hasFallback` tells a null fallback from none. */
  hasFallback: z.boolean(),
  fallback: z.unknown().optional(),
  /** Run the failed step again after the handler succeeded. */
  retryWithHandler: z.boolean(),
  /** Try the next handler when this one fails. */
  continueOnHandlerFailure: z.boolean(),
});
export type CompiledErrorHandler = z.infer<typeof compiledErrorHandlerSchema>;

/** What a step's templates read: an input, or another step's result. */
export const referenceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('input'), name: z.string() }),
  z.object({ kind: z.literal('step'), step: z.string() }),
]);
export type Reference = z.infer<typeof referenceSchema>;

export const budgetSchema = z.object({ tokens: z.number().int().nonnegative().optional(), costUsd: z.number().nonnegative().optional() });
export type Budget = z.infer<typeof budgetSchema>;

/** A tool an agent may call: `wireName` is what the model sees (providers allow only some characters). */
export const compiledToolSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mcp'), name: z.string(), wireName: z.string(), server: z.string(), tool: z.string() }),
  z.object({ kind: z.literal('run_code'), name: z.string(), wireName: z.string() }),
  z.object({ kind: z.literal('pipeline'), name: z.string(), wireName: z.string(), file: z.string() }),
]);
export type CompiledTool = z.infer<typeof compiledToolSchema>;

export const compiledAgentSchema = z.object({
  /** null: the step's model, else the pipeline's. */
  model: z.union([z.string(), z.record(z.string(), z.unknown())]).nullable(),
  system: z.string().nullable(),
  tools: z.array(compiledToolSchema),
});
export type CompiledAgent = z.infer<typeof compiledAgentSchema>;

/** What an `agent` or `agents` step runs: every agent it uses, so the step needs nothing else from the pipeline. */
export const compiledAgentStepSchema = z.object({
  kind: z.enum(['agent', 'agents']),
  /** The agent that gets the prompt: the `agent`, or the `coordinator` of a team. */
  lead: z.string(),
  /** The members a coordinator hands tasks to (empty for `agent`). */
  members: z.array(z.string()),
  agents: z.record(z.string(), compiledAgentSchema),
  /** Model turns, counted over every agent of the step. */
  maxTurns: z.number().int().positive(),
  /** Tools (as written) whose calls wait for `orc approve`. */
  approveTools: z.array(z.string()),
});
export type CompiledAgentStep = z.infer<typeof compiledAgentStepSchema>;

/** A step run k times whose result is an evidence bundle (spec section 10). */
export const compiledReplicatesSchema = z.object({
  /** How many calls; null while `replicates` is an AUTO tag not yet decided. */
  count: z.number().int().positive().nullable(),
  /** Replicate i uses models[i mod n]; empty: the step's model. */
  models: z.array(z.string()),
  /** null: majority for structured or short answers, medoid for free text. */
  consensus: z.enum(['majority', 'medoid', 'judge']).nullable(),
  /** Below it the step fails with CONFLICT. */
  minAgreement: z.number().min(0).max(1).nullable(),
  /** The judge's model (consensus: judge); null: the step's model. */
  judgeModel: z.string().nullable(),
});
export type CompiledReplicates = z.infer<typeof compiledReplicatesSchema>;

export const compiledStepSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  actionKind: actionKindSchema,
  /** The prompt template (kind `prompt`) or the action name (other kinds). */
  action: z.string(),
  /** Parameters as written (strings may hold templates; AUTO tags stay as written until resolved). */
  parameters: z.record(z.string(), z.unknown()),
  dependsOn: z.array(z.string()),
  /** A model spec, or null for the pipeline default. An AUTO tag here is listed in `autoTags`. */
  model: z.union([z.string(), z.record(z.string(), z.unknown())]).nullable(),
  outputSchema: jsonSchemaSchema.nullable(),
  /** The most this step may use; over it, the step fails and its on_failure applies. */
  budget: budgetSchema.nullable().optional(),
  /** Models to move to, in order, when the step's model fails for good (step `fallback`, else config.fallback_models). */
  fallbackModels: z.array(z.string()),
  timeoutSeconds: z.number().positive(),
  maxRetries: z.number().int().min(0),
  onFailure: onFailureSchema,
  /** True for a step that only runs as another step's failure handler. */
  isHandler: z.boolean(),
  when: z.union([z.string(), z.boolean()]).nullable(),
  forEach: z.union([z.string(), z.array(z.unknown())]).nullable(),
  maxParallel: z.number().int().positive().nullable(),
  temperature: z.number().nullable(),
  maxTokens: z.number().int().nullable(),
  /** What the step's own templates read (action, parameters, when, model): sent with each of its calls. */
  references: z.array(referenceSchema),
  /** What its for_each expression reads: needed once, to get the list, not by every item's call. */
  forEachReferences: z.array(referenceSchema),
  autoTags: z.array(autoTagSchema),
  /** Result caching (spec section 9): the step's `cache_results`/`cache_ttl`, else config's; null when off. */
  cache: z.object({ ttlSeconds: z.number().positive() }).nullable().optional(),
  /** For `agent` and `agents` steps. */
  agent: compiledAgentStepSchema.optional(),
  /** Evidence bundles (spec section 10): run k times, the result is the consensus. */
  replicates: compiledReplicatesSchema.nullable().optional(),
  /** For `tool` steps (spec section 19): the tool's name as written and its action. */
  tool: z.object({ name: z.string(), action: z.string() }).optional(),
  /** For `loop` steps (spec section 18): a block of steps run per item, or while/until a condition holds. */
  loop: z.lazy(() => compiledLoopSchema).optional(),
  /** `on_error` handlers, tried in order after retries (absent: only `onFailure` applies). */
  errorHandlers: z.array(compiledErrorHandlerSchema).optional(),
  /**
   * What a false `when` does: `step` skips only this step, recording `{status: skipped, reason: condition_false}`
   * and its dependents still run (the dialect's `condition`/`if`); `dependents` (absent) is the native rule.
   */
  whenSkips: z.enum(['step', 'dependents']).optional(),
  /**
   * Forward jumps (the dialect's routing): once this step ends, the pending steps between it and the target (in
   * the file's order) are skipped, recording `{status: skipped, reason: jumped, by}`, and what depends on them runs.
   * `onFalse`: its `when` was false; `onSuccess`: it completed; `goto`: it completed or was skipped by its `when`.
   */
  jumps: z.object({ onFalse: z.string().optional(), onSuccess: z.string().optional(), goto: z.string().optional() }).optional(),
  /** `expect:` checks (spec section 14), evaluated in an activity once the result exists. */
  expect: z.array(z.record(z.string(), z.unknown())).optional(),
  onExpectFail: z.enum(['fail', 'warn', 'retry']).optional(),
});
export interface CompiledStep extends z.infer<typeof compiledStepBaseSchema> {
  loop?: CompiledLoop;
}
const compiledStepBaseSchema = compiledStepSchema.omit({ loop: true });

/**
 * A loop over a block of steps. The block's steps have their short ids (`child`); in results, the Web UI and
 * history each iteration's step is `LOOP_I_CHILD`, and a child's short name inside the block means this
 * iteration's step. The loop's own result lists its iterations (`iterations`, `completed`, `results`, and
 * `stopped_by: max_iterations` when the limit stopped it).
 */
export const compiledLoopSchema: z.ZodType<CompiledLoop> = z.object({
  kind: z.enum(['for_each', 'while', 'until']),
  /** for_each: the items (a template, an AUTO tag, or a literal list). */
  items: z.union([z.string(), z.array(z.unknown())]).nullable(),
  /** while/until: the condition, rendered before (while) or after (until) each iteration. */
  condition: z.union([z.string(), z.boolean()]).nullable(),
  maxIterations: z.number().int().positive(),
  /** for_each: iterations at once (default 1). */
  maxParallel: z.number().int().positive(),
  steps: z.array(z.lazy(() => compiledStepSchema as unknown as z.ZodType<CompiledStep>)),
}) as unknown as z.ZodType<CompiledLoop>;
export interface CompiledLoop {
  kind: 'for_each' | 'while' | 'until';
  items: string | unknown[] | null;
  condition: string | boolean | null;
  maxIterations: number;
  maxParallel: number;
  steps: CompiledStep[];
}

export const mcpServerSpecSchema = z.union([
  z.object({ command: z.string(), args: z.array(z.string()).optional(), env: z.record(z.string(), z.string()).optional(), cwd: z.string().optional() }),
  z.object({ url: z.string(), headers: z.record(z.string(), z.string()).optional() }),
]);

export const compiledPipelineSchema = z.object({
  name: z.string(),
  version: z.string().nullable(),
  description: z.string().nullable(),
  sourceFile: z.string().nullable(),
  inputs: z.record(z.string(), inputSpecSchema),
  config: z.object({
    model: z.union([z.string(), z.record(z.string(), z.unknown())]),
    autoModel: z.string().nullable(),
    timeoutSeconds: z.number().positive(),
    maxRetries: z.number().int().min(0),
    maxParallel: z.number().int().positive(),
    temperature: z.number().nullable(),
    maxTokens: z.number().int().nullable(),
    /** The most the whole run may use; no step starts that would cross it. */
    budget: budgetSchema.nullable().optional(),
  }),
  steps: z.array(compiledStepSchema),
  outputs: z.record(z.string(), z.unknown()),
  outputReferences: z.array(referenceSchema),
  levels: z.array(z.array(z.string())),
  autoTags: z.array(autoTagSchema),
  /** Named MCP servers (`mcp_servers`, top level or in config) that `mcp` steps may name. */
  mcpServers: z.record(z.string(), mcpServerSpecSchema).optional(),
  /** The language the file was written in (spec section 18); absent: native. */
  dialect: z.enum(['native', 'pyorc']).optional(),
  /** The dialect's pipeline `id`, when it differs from `name`. */
  id: z.string().optional(),
});
export type CompiledPipeline = z.infer<typeof compiledPipelineSchema>;

export const DEFAULT_MODEL = 'local';
export const DEFAULT_TIMEOUT_SECONDS = 300;
export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_MAX_PARALLEL = 10;
/** How long a cached step result is used when neither the step nor config gives `cache_ttl` (spec section 9). */
export const DEFAULT_CACHE_TTL_SECONDS = 7 * 24 * 3600;

export { DEFAULT_APPROVAL_TIMEOUT_SECONDS } from './defaults';
