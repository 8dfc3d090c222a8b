// `orc compile FILE`: the execution plan of a pipeline; with --resolve, the AUTO tags decided before any step.
import type { Command } from 'commander';
import type { CompiledPipeline } from '../../compiler';
import { resolveEarlyAutoTags } from '../early-auto-tags';
import { collectValues, compileOrReport, parseInputs } from '../pipeline-file';

interface CompileFlags {
  json?: boolean;
  resolve?: boolean;
  input: string[];
  inputFile?: string;
  model?: string;
}

function planOf(pipeline: CompiledPipeline, resolved: Map<string, unknown>): unknown {
  return {
    name: pipeline.name,
    inputs: pipeline.inputs,
    steps: pipeline.steps.map((step) => ({ id: step.id, depends_on: step.dependsOn, action_kind: step.actionKind })),
    levels: pipeline.levels,
    auto_tags: pipeline.autoTags.map((tag) => ({
      path: tag.path,
      description: tag.description,
      schema: tag.schema,
      ...(resolved.has(tag.path) ? { value: resolved.get(tag.path) } : {}),
    })),
  };
}

function printPlan(pipeline: CompiledPipeline, resolved: Map<string, unknown>, resolving: boolean): void {
  process.stdout.write(`${pipeline.name}: ${pipeline.steps.length} steps in ${pipeline.levels.length} levels\n`);
  pipeline.levels.forEach((level, index) => process.stdout.write(`  level ${index}: ${level.join(', ')}\n`));
  for (const step of pipeline.steps) {
    process.stdout.write(`  ${step.id} [${step.actionKind}]${step.dependsOn.length ? ` <- ${step.dependsOn.join(', ')}` : ''}\n`);
  }
  if (pipeline.autoTags.length > 0) process.stdout.write('AUTO tags:\n');
  for (const tag of pipeline.autoTags) {
    const decided = resolved.has(tag.path) ? ` = ${JSON.stringify(resolved.get(tag.path))}` : resolving ? ' (decided at run time: it needs step results)' : '';
    process.stdout.write(`  ${tag.path}${decided}\n    ${tag.description}\n    schema: ${JSON.stringify(tag.schema)}\n`);
  }
}

export function register(program: Command): void {
  program
    .command('compile')
    .description('show the execution plan of a pipeline')
    .argument('<file>', 'pipeline YAML file')
    .option('--json', 'print the plan as JSON')
    .option('--resolve', 'also decide the AUTO tags that need no step result, with the model, and show their values')
    .option('-i, --input <NAME=VALUE>', 'an input value, for --resolve (repeatable)', collectValues, [] as string[])
    .option('--input-file <file>', 'a JSON file of input values, for --resolve')
    .option('--model <model>', 'the model that decides the AUTO tags (default: config.auto_model, else the step\'s model)')
    .action(async (file: string, flags: CompileFlags) => {
      const pipeline = compileOrReport(file);
      const resolved = flags.resolve ? await resolveEarlyAutoTags(file, pipeline, parseInputs(flags.input, flags.inputFile), flags.model) : new Map<string, unknown>();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(planOf(pipeline, resolved), (key, value: unknown) => (key === 'declaredAt' ? undefined : value), 2)}\n`);
        return;
      }
      printPlan(pipeline, resolved, flags.resolve === true);
    });
}
