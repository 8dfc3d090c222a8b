// Last passes, once the file is known to be correct: inputs that templates read without a declaration, the
// output schema of model steps whose fields are read downstream, and the compiled pipeline.
import { type CompileContext, type Reader } from '../context';
import type { FrontEnd } from '../front-end';
import { executionLevels } from '../graph';
import { STEP_KINDS } from '../kinds';
import type { YamlPath } from '../source';
import { DEFAULT_MAX_PARALLEL, DEFAULT_MODEL, type CompiledPipeline, type CompiledStep, type JsonSchema } from '../../base/compiled-pipeline';
import { isPlainObject, type PlainObject } from '../values';
import { budgetOf } from './steps';

/**
 * Plural-looking field names are lists; everything else is text (what a small model can fill). Bounds keep a
 * model that starts repeating itself from running past its token limit inside the JSON.
 */
function inferredFieldSchema(field: string): JsonSchema {
  return /[a-z]s$/.test(field) && !/(ss|us|is|status|analysis)$/.test(field)
    ? { type: 'array', items: { type: 'string', maxLength: 120 }, maxItems: 6 }
    : { type: 'string', maxLength: 800 };
}

/** A model step whose fields are read downstream is asked for structured output with those fields. */
function inferOutputSchemas(context: CompileContext, steps: CompiledStep[], at: YamlPath): void {
  steps.forEach((step, index) => {
    if (step.loop) inferOutputSchemas(context, step.loop.steps, [...at, index, 'steps']);
    const fields = context.fieldsRead.get(`${at.join('/')}#${step.id}`);
    if (!fields || step.outputSchema || !STEP_KINDS[step.actionKind].modelAnswer) return;
    step.outputSchema = {
      type: 'object',
      properties: Object.fromEntries([...fields].map((field) => [field, inferredFieldSchema(field)])),
      required: [...fields],
    };
  });
}

function compiledConfig(context: CompileContext): CompiledPipeline['config'] {
  const config = context.config;
  return {
    model: typeof config.model === 'string' || isPlainObject(config.model) ? (config.model as string | PlainObject) : DEFAULT_MODEL,
    autoModel: typeof config.auto_model === 'string' ? config.auto_model : null,
    timeoutSeconds: context.defaults.timeoutSeconds,
    maxRetries: context.defaults.maxRetries,
    maxParallel: typeof config.max_parallel === 'number' ? config.max_parallel : DEFAULT_MAX_PARALLEL,
    temperature: typeof config.temperature === 'number' ? config.temperature : null,
    maxTokens: typeof config.max_tokens === 'number' ? config.max_tokens : null,
    budget: budgetOf(config.budget),
  };
}

export function assemblePipeline(context: CompileContext, steps: CompiledStep[], outputs: Reader, front: Pick<FrontEnd, 'dialect' | 'id'>): CompiledPipeline {
  const { document, options } = context;
  for (const [name, declaredAt] of context.implicitInputs) context.inputs[name] = { type: 'string', required: true, declaredAt };
  inferOutputSchemas(context, steps, ['steps']);
  const dependencies = new Map(steps.map((step) => [step.id, step.dependsOn]));
  return {
    name: String(document.name),
    version: document.version === undefined ? null : String(document.version),
    description: typeof document.description === 'string' ? document.description : null,
    sourceFile: options.file ?? null,
    inputs: context.inputs,
    config: compiledConfig(context),
    steps,
    outputs: isPlainObject(document.outputs) ? document.outputs : {},
    outputReferences: [...outputs.references.values()],
    levels: executionLevels(steps.map((step) => step.id), dependencies),
    autoTags: context.autoTags,
    ...(Object.keys(context.mcpServers).length > 0 ? { mcpServers: context.mcpServers } : {}),
    ...(front.dialect !== 'native' ? { dialect: front.dialect } : {}),
    ...(front.id !== undefined ? { id: front.id } : {}),
  };
}
