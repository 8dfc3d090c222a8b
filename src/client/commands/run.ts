// `orc run FILE`: runs a pipeline (with an embedded server and worker unless TEMPORAL_ADDRESS names one) and prints its outputs.
import * as path from 'node:path';
import type { Command } from 'commander';
import { PipelineValidationError } from '../../compiler';
import { readSettings } from '../../base/settings';
import type { RunResult } from '../../base/run-types';
import { EXIT_FAILED, ExitCode } from '../exit-code';
import { Orchestrator } from '../orchestrator';
import { collectValues, compileOrReport, parseInputs, reportDiagnostics } from '../pipeline-file';
import { RunOutput } from '../run-output';

interface RunFlags {
  input: string[];
  inputFile?: string;
  dryRun?: boolean;
  json?: boolean;
  id?: string;
  model?: string;
  cache: boolean;
  workspace?: string;
}

async function runPipeline(file: string, flags: RunFlags): Promise<void> {
  const pipeline = compileOrReport(file);
  const inputs = parseInputs(flags.input, flags.inputFile);
  // Step failures are reported in the result; the in-process worker need not also log them.
  const orchestrator = new Orchestrator({ logLevel: 'ERROR' });
  const output = new RunOutput(flags.json === true);
  let result: RunResult;
  try {
    const { handle } = await orchestrator.start(pipeline, inputs, {
      coerceStrings: true,
      onValid: () => {
        if (!readSettings().temporalAddress) output.say('Starting the embedded Temporal server and worker...\n');
      },
      ...(flags.dryRun ? { dryRun: true } : {}),
      ...(flags.id ? { runId: flags.id } : {}),
      ...(flags.model ? { defaultModel: flags.model } : {}),
      ...(flags.cache ? {} : { noCache: true }),
      // Where tool steps read and write files (spec section 19): the directory given, else the current one.
      workspace: path.resolve(flags.workspace ?? process.cwd()),
      onStart: ({ runId, attached }) => {
        output.say(`${attached ? 'Attached to running' : 'Started'} run ${runId}\n`);
        const ui = orchestrator.uiUrl;
        if (ui) output.say(`Temporal Web UI: ${ui}/namespaces/${orchestrator.namespace}/workflows/${encodeURIComponent(runId)}\n`);
      },
    });
    if (!orchestrator.hasWorker && !(await orchestrator.hasPollers())) {
      process.stderr.write(`orc: no worker is polling task queue '${orchestrator.taskQueue}' on ${orchestrator.address}; start one with \`orc worker\` (waiting for one)\n`);
    }
    result = await output.follow(orchestrator, handle);
  } catch (error) {
    if (error instanceof PipelineValidationError) {
      reportDiagnostics(file, error.diagnostics);
      throw new ExitCode(EXIT_FAILED);
    }
    throw error;
  } finally {
    await orchestrator.close();
  }
  output.report(result);
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run a pipeline and print its outputs')
    .argument('<file>', 'pipeline YAML file')
    .option('-i, --input <NAME=VALUE>', 'an input value (repeatable)', collectValues, [] as string[])
    .option('--input-file <file>', 'a JSON file of input values')
    .option('--dry-run', 'run every LLM step with the echo model')
    .option('--json', 'print only the result object as JSON')
    .option('--id <runId>', 'the run id (Temporal workflow id)')
    .option('--model <model>', 'the model for steps that name none (overrides config.model)')
    .option('--no-cache', 'cached steps read no entry: they call their model or tool again (and store the new answer)')
    .option('--workspace <dir>', 'the directory tool steps read and write files in (default: the current directory)')
    .action((file: string, flags: RunFlags) => runPipeline(file, flags));
}
