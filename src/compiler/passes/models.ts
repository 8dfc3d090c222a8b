// Pass: every model the file names, checked against the models that exist (CompileOptions.models), when given.
import { report, type CompileContext } from '../context';
import { modelNameProblem, type KnownModels } from '../model-names';
import type { YamlPath } from '../source';
import { isPlainObject, type PlainObject } from '../values';

function checkModel(context: CompileContext, known: KnownModels, value: unknown, at: YamlPath): void {
  const problem = typeof value === 'string' ? modelNameProblem(value, known) : undefined;
  if (problem) report(context, 'UNKNOWN_MODEL', problem, at);
}

function checkModels(context: CompileContext, known: KnownModels, value: unknown, at: YamlPath): void {
  if (Array.isArray(value)) value.forEach((model, position) => checkModel(context, known, model, [...at, position]));
}

function checkStepModels(context: CompileContext, known: KnownModels, steps: unknown, at: YamlPath): void {
  if (!Array.isArray(steps)) return;
  steps.forEach((raw, index) => {
    if (!isPlainObject(raw)) return;
    const step: PlainObject = raw;
    const stepAt = [...at, index];
    checkModel(context, known, step.model, [...stepAt, 'model']);
    checkModels(context, known, step.fallback, [...stepAt, 'fallback']);
    checkModels(context, known, step.models, [...stepAt, 'models']);
    checkModel(context, known, step.judge_model, [...stepAt, 'judge_model']);
    // An inline agent (`action: agent` without a named one) names its model among the parameters.
    if ((step.action === 'agent' || step.action === 'agents') && isPlainObject(step.parameters)) {
      checkModel(context, known, step.parameters.model, [...stepAt, 'parameters', 'model']);
    }
    checkStepModels(context, known, step.steps, [...stepAt, 'steps']);
  });
}

export function checkModelNames(context: CompileContext): void {
  const known = context.options.models;
  if (!known) return;
  const { config, configKey, document } = context;
  checkModel(context, known, config.model, [configKey, 'model']);
  checkModel(context, known, config.auto_model, [configKey, 'auto_model']);
  checkModels(context, known, config.fallback_models, [configKey, 'fallback_models']);
  checkStepModels(context, known, document.steps, ['steps']);
  if (isPlainObject(document.agents)) {
    for (const [name, agent] of Object.entries(document.agents)) if (isPlainObject(agent)) checkModel(context, known, agent.model, ['agents', name, 'model']);
  }
}
