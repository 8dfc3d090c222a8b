// `orc compile --resolve`: decides the tags a run would decide before its first step, outside any run.
import { resolveRunInputs, type CompiledPipeline } from '../compiler';
import { autoTagModel, tagsDecidedUpFront } from '../compiler/auto-tags';
import { resolveAutoTagValues } from '../activities/auto-resolve';
import { createModelChoiceActivities } from '../activities/model-choice';
import { readSettings } from '../base/settings';
import { loadModelCatalog } from '../models/catalog';
import { LocalModelServer } from '../models/local/local-server-process';
import { createModelResolver } from '../models/registry';
import { defaultAutoCache } from '../worker/worker';
import { EXIT_FAILED, ExitCode } from './exit-code';
import { reportDiagnostics } from './pipeline-file';

export async function resolveEarlyAutoTags(
  file: string,
  pipeline: CompiledPipeline,
  rawInputs: Record<string, unknown>,
  modelOverride: string | undefined,
): Promise<Map<string, unknown>> {
  const resolution = resolveRunInputs(pipeline, rawInputs, { coerceStrings: true });
  if (!resolution.ok) {
    reportDiagnostics(file, resolution.diagnostics);
    throw new ExitCode(EXIT_FAILED);
  }
  const localServer = new LocalModelServer();
  const catalog = loadModelCatalog();
  const models = createModelResolver({ localServer, catalog });
  const choice = createModelChoiceActivities({ catalog, models });
  const values = new Map<string, unknown>();
  try {
    for (const step of pipeline.steps) {
      if (!tagsDecidedUpFront(step)) continue;
      const inputs: Record<string, unknown> = {};
      for (const reference of step.references) {
        if (reference.kind === 'input' && resolution.values[reference.name] !== undefined) inputs[reference.name] = resolution.values[reference.name];
      }
      // The same model a run would ask; a requirement is resolved by selection, as the workflow does.
      const spec = modelOverride ?? autoTagModel(pipeline, step);
      const model = typeof spec === 'string' ? spec : (await choice.chooseModel({ spec, stepId: step.id, workflowTaskQueue: readSettings().taskQueue })).model;
      const resolved = await resolveAutoTagValues(
        {
          pipelineDescription: pipeline.description,
          step,
          tags: step.autoTags,
          model,
          placeholder: false,
          context: { inputs, steps: {} },
        },
        { models, autoCache: defaultAutoCache() },
      );
      for (const tag of resolved) values.set(tag.path, tag.value);
    }
  } finally {
    await localServer.stop();
  }
  return values;
}
