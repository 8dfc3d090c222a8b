// The `orc` command line (spec section 8).
import * as fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { compilePipelineFile, formatDiagnostic, PipelineValidationError, resolveRunInputs, type CompiledPipeline, type Diagnostic, type KnownModels } from '../compiler';
import type { RunProgress, RunResult } from '../base/run-types';
import { DEFAULT_NAMESPACE, defaultDevServerPort, startDevServer } from '../worker/dev-server';
import { resolveAutoTagValues } from '../activities/auto-resolve';
import { autoTagModel, tagsDecidedUpFront } from '../compiler/auto-tags';
import { createModelChoiceActivities } from '../activities/model-choice';
import { readSettings } from '../base/settings';
import { TemporalUnreachableError } from '../base/temporal-unreachable-error';
import { loadModelCatalog, ModelCatalogError, modelNamesOf } from '../models/catalog';
import { LocalModelServer } from '../models/local-server-process';
import { createModelResolver } from '../models/registry';
import { createPipelineWorker, defaultAutoCache } from '../worker/worker';
import { metricsPortFrom } from '../worker/telemetry';
import { pipelineFlowchart } from './mermaid-graph';
import { Orchestrator, type RunListing, type TokenListener } from './orchestrator';
import { Client, Connection } from '@temporalio/client';
import { openDefaultRunStore } from '../store/run-store';
import { startCodecServer } from '../store/codec-server';
import { collectGarbage } from '../store/garbage-collection';
import { describeBytes } from '../store/value-ceiling';
import { parseDuration } from '../compiler/durations';
import { ProgressPrinter } from './progress';
import { register as registerMigrate } from './commands/migrate';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** The models a pipeline may name: the shipped models.yaml merged with the user's; a broken one is reported. */
function knownModels(): KnownModels {
  try {
    return { names: modelNamesOf(loadModelCatalog()) };
  } catch (error) {
    if (!(error instanceof ModelCatalogError)) throw error;
    process.stderr.write(`${error.message}\n`);
    throw new ExitCode(EXIT_FAILED);
  }
}

function compileOrReport(file: string): CompiledPipeline {
  const result = compilePipelineFile(file, { models: knownModels() });
  if (!result.ok) {
    for (const diagnostic of result.diagnostics) process.stderr.write(`${formatDiagnostic(file, diagnostic)}\n`);
    throw new ExitCode(EXIT_FAILED);
  }
  reportNotes(file, result.notes);
  return result.pipeline;
}

/** Keys the file sets that change nothing here, on stderr: the command goes on. */
function reportNotes(file: string, notes: readonly Diagnostic[]): void {
  for (const note of notes) process.stderr.write(`${formatDiagnostic(file, note)}\n`);
}

function parseInputs(pairs: string[], inputFile: string | undefined): Record<string, unknown> {
  let inputs: Record<string, unknown> = {};
  if (inputFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(inputFile, 'utf8'));
    } catch (error) {
      process.stderr.write(`orc: cannot read --input-file ${inputFile}: ${(error as Error).message}\n`);
      throw new ExitCode(EXIT_USAGE);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      process.stderr.write(`orc: --input-file ${inputFile} must hold a JSON object of input values\n`);
      throw new ExitCode(EXIT_USAGE);
    }
    inputs = { ...(parsed as Record<string, unknown>) };
  }
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) {
      process.stderr.write(`orc: -i expects NAME=VALUE, got '${pair}'\n`);
      throw new ExitCode(EXIT_USAGE);
    }
    inputs[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return inputs;
}

function printOutputs(result: RunResult): void {
  const entries = Object.entries(result.outputs);
  if (entries.length === 0) return;
  process.stdout.write('\nOutputs:\n');
  for (const [name, value] of entries) {
    const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
    process.stdout.write(`\n${name}:\n${text.replace(/^/gm, '  ')}\n`);
  }
}

/** `orc compile --resolve`: decides the tags a run would decide before its first step, outside any run. */
async function resolveEarlyAutoTags(
  file: string,
  pipeline: CompiledPipeline,
  rawInputs: Record<string, unknown>,
  modelOverride: string | undefined,
): Promise<Map<string, unknown>> {
  const resolution = resolveRunInputs(pipeline, rawInputs, { coerceStrings: true });
  if (!resolution.ok) {
    for (const diagnostic of resolution.diagnostics) process.stderr.write(`${formatDiagnostic(file, diagnostic)}\n`);
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

/** Prints a finished run (only the result object with --json) and fails the command unless it completed. */
function reportResult(result: RunResult, printer: ProgressPrinter, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    printer.finish(result);
    printOutputs(result);
  }
  if (result.status !== 'completed' && result.status !== 'partially_completed') throw new ExitCode(EXIT_FAILED);
}

function formatRunTable(runs: RunListing[]): string {
  if (runs.length === 0) return 'no runs\n';
  const rows = [
    ['RUN ID', 'PIPELINE', 'STATUS', 'STARTED', 'TOKENS', 'COST USD'],
    ...runs.map((run) => [
      run.run_id,
      run.pipeline ?? '?',
      run.status,
      run.started_at.replace('T', ' ').slice(0, 19),
      run.tokens === null ? '' : String(run.tokens),
      run.cost_usd === null ? '' : run.cost_usd.toFixed(4),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => `${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`).join('');
}

/** Answers as they arrive, for a person at a terminal only: logs and --json stay as they were. */
function liveTokens(printer: ProgressPrinter, json: boolean | undefined): TokenListener | undefined {
  if (json || !process.stderr.isTTY) return undefined;
  return (stepId, text, { item }) => printer.token(stepId, text, item);
}

function metricsPortOrExit(flag: string | undefined): number | undefined {
  try {
    return metricsPortFrom(flag);
  } catch (error) {
    process.stderr.write(`orc: ${(error as Error).message}\n`);
    throw new ExitCode(EXIT_USAGE);
  }
}

function controlClient(): Orchestrator {
  return new Orchestrator({ address: readSettings().temporalAddress ?? `127.0.0.1:${defaultDevServerPort()}`, worker: false });
}

/** The Web UI of an embedded dev server, as a browser names it: the origins a codec server lets through CORS. */
function uiOrigins(uiPort: number): string[] {
  return [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`];
}

async function untilSignal(): Promise<void> {
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

function buildProgram(): Command {
  const program = new Command('orc')
    .description('Run LLM pipelines written in YAML as durable Temporal workflows')
    .exitOverride()
    .showHelpAfterError();
  registerMigrate(program);

  program
    .command('validate')
    .description('check pipeline files; print each problem as FILE:LINE:COLUMN: CODE message')
    .argument('<files...>', 'pipeline YAML files')
    .action((files: string[]) => {
      let failed = false;
      const models = knownModels();
      for (const file of files) {
        const result = compilePipelineFile(file, { models });
        if (result.ok) {
          process.stdout.write(`${file}: ok\n`);
          reportNotes(file, result.notes);
        } else {
          failed = true;
          for (const diagnostic of result.diagnostics) process.stdout.write(`${formatDiagnostic(file, diagnostic)}\n`);
        }
      }
      if (failed) throw new ExitCode(EXIT_FAILED);
    });

  program
    .command('compile')
    .description('show the execution plan of a pipeline')
    .argument('<file>', 'pipeline YAML file')
    .option('--json', 'print the plan as JSON')
    .option('--resolve', 'also decide the AUTO tags that need no step result, with the model, and show their values')
    .option('-i, --input <NAME=VALUE>', 'an input value, for --resolve (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--input-file <file>', 'a JSON file of input values, for --resolve')
    .option('--model <model>', 'the model that decides the AUTO tags (default: config.auto_model, else the step\'s model)')
    .action(async (file: string, flags: { json?: boolean; resolve?: boolean; input: string[]; inputFile?: string; model?: string }) => {
      const pipeline = compileOrReport(file);
      const resolved = flags.resolve ? await resolveEarlyAutoTags(file, pipeline, parseInputs(flags.input, flags.inputFile), flags.model) : new Map<string, unknown>();
      const plan = {
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
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(plan, (key, value: unknown) => (key === 'declaredAt' ? undefined : value), 2)}\n`);
        return;
      }
      process.stdout.write(`${pipeline.name}: ${pipeline.steps.length} steps in ${pipeline.levels.length} levels\n`);
      pipeline.levels.forEach((level, index) => process.stdout.write(`  level ${index}: ${level.join(', ')}\n`));
      for (const step of pipeline.steps) {
        process.stdout.write(`  ${step.id} [${step.actionKind}]${step.dependsOn.length ? ` <- ${step.dependsOn.join(', ')}` : ''}\n`);
      }
      if (pipeline.autoTags.length > 0) process.stdout.write('AUTO tags:\n');
      for (const tag of pipeline.autoTags) {
        const decided = resolved.has(tag.path)
          ? ` = ${JSON.stringify(resolved.get(tag.path))}`
          : flags.resolve
            ? ' (decided at run time: it needs step results)'
            : '';
        process.stdout.write(`  ${tag.path}${decided}\n    ${tag.description}\n    schema: ${JSON.stringify(tag.schema)}\n`);
      }
    });

  program
    .command('run')
    .description('run a pipeline and print its outputs')
    .argument('<file>', 'pipeline YAML file')
    .option('-i, --input <NAME=VALUE>', 'an input value (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--input-file <file>', 'a JSON file of input values')
    .option('--dry-run', 'run every LLM step with the echo model')
    .option('--json', 'print only the result object as JSON')
    .option('--id <runId>', 'the run id (Temporal workflow id)')
    .option('--model <model>', 'the model for steps that name none (overrides config.model)')
    .option('--no-cache', 'cached steps read no entry: they call their model or tool again (and store the new answer)')
    .action(async (file: string, flags: { input: string[]; inputFile?: string; dryRun?: boolean; json?: boolean; id?: string; model?: string; cache: boolean }) => {
      const pipeline = compileOrReport(file);
      const inputs = parseInputs(flags.input, flags.inputFile);
      // Step failures are reported in the result; the in-process worker need not also log them.
      const orchestrator = new Orchestrator({ logLevel: 'ERROR' });
      const printer = new ProgressPrinter(process.stderr, !flags.json);
      let result: RunResult;
      try {
        const { handle } = await orchestrator.start(pipeline, inputs, {
          coerceStrings: true,
          onValid: () => {
            if (!flags.json && !readSettings().temporalAddress) process.stderr.write('Starting the embedded Temporal server and worker...\n');
          },
          ...(flags.dryRun ? { dryRun: true } : {}),
          ...(flags.id ? { runId: flags.id } : {}),
          ...(flags.model ? { defaultModel: flags.model } : {}),
          ...(flags.cache ? {} : { noCache: true }),
          onStart: ({ runId, attached }) => {
            if (flags.json) return;
            process.stderr.write(`${attached ? 'Attached to running' : 'Started'} run ${runId}\n`);
            const ui = orchestrator.uiUrl;
            if (ui) process.stderr.write(`Temporal Web UI: ${ui}/namespaces/${orchestrator.namespace}/workflows/${encodeURIComponent(runId)}\n`);
          },
        });
        if (!orchestrator.hasWorker && !(await orchestrator.hasPollers())) {
          process.stderr.write(
            `orc: no worker is polling task queue '${orchestrator.taskQueue}' on ${orchestrator.address}; start one with \`orc worker\` (waiting for one)\n`,
          );
        }
        // --json shows no progress: no status queries (each answer carries every step's result so far).
        result = await orchestrator.follow(handle, flags.json ? undefined : (progress: RunProgress) => printer.update(progress), liveTokens(printer, flags.json));
      } catch (error) {
        if (error instanceof PipelineValidationError) {
          for (const diagnostic of error.diagnostics) process.stderr.write(`${formatDiagnostic(file, diagnostic)}\n`);
          throw new ExitCode(EXIT_FAILED);
        }
        throw error;
      } finally {
        await orchestrator.close();
      }
      reportResult(result, printer, flags.json === true);
    });

  program
    .command('rerun')
    .description("start a new run of a finished run's pipeline and inputs, reusing its completed steps' results")
    .argument('<runId>')
    .option('--from <step>', 'run this step and everything downstream of it again, even if they completed')
    .option('--id <newRunId>', 'the new run id')
    .option('--json', 'print only the result object as JSON')
    .action(async (runId: string, flags: { from?: string; id?: string; json?: boolean }) => {
      const orchestrator = new Orchestrator({ logLevel: 'ERROR' });
      const printer = new ProgressPrinter(process.stderr, !flags.json);
      let result: RunResult;
      try {
        const { handle, reused } = await orchestrator.rerun(runId, {
          ...(flags.from ? { from: flags.from } : {}),
          ...(flags.id ? { runId: flags.id } : {}),
          onStart: ({ runId: newId }) => {
            if (!flags.json) process.stderr.write(`Started run ${newId} (re-run of ${runId})\n`);
          },
        });
        if (!flags.json) process.stderr.write(`Reusing ${reused.length} completed step(s): ${reused.join(', ') || 'none'}\n`);
        result = await orchestrator.follow(handle, flags.json ? undefined : (progress) => printer.update(progress), liveTokens(printer, flags.json));
      } finally {
        await orchestrator.close();
      }
      reportResult(result, printer, flags.json === true);
    });

  program
    .command('status')
    .description("show a run's state")
    .argument('<runId>')
    .option('--json', 'print as JSON')
    .action(async (runId: string, flags: { json?: boolean }) => {
      const orchestrator = controlClient();
      try {
        const progress = await orchestrator.status(runId);
        if (flags.json) process.stdout.write(`${JSON.stringify(progress, null, 2)}\n`);
        else {
          process.stdout.write(`${progress.run_id}: ${progress.status}${progress.paused && progress.status !== 'paused' ? ' (paused)' : ''}\n`);
          for (const waiting of progress.waiting) process.stdout.write(`  waiting for approval: ${waiting.step} - ${waiting.prompt}\n`);
          for (const [id, step] of Object.entries(progress.steps)) {
            process.stdout.write(`  ${id}: ${step.status}${step.attempts ? `, ${step.attempts} attempt(s)` : ''}${step.model ? `, ${step.model}` : ''}${step.error ? ` - ${step.error}` : ''}\n`);
          }
        }
      } finally {
        await orchestrator.close();
      }
    });

  program
    .command('list')
    .description('list runs, newest first')
    .option('--pipeline <name>', "only this pipeline's runs")
    .option('--status <status>', 'only runs in this status (running, completed, failed, cancelled, ...)')
    .option('--limit <n>', 'at most this many runs', (value: string) => Number(value), 50)
    .option('--json', 'print as JSON')
    .action(async (flags: { pipeline?: string; status?: string; limit: number; json?: boolean }) => {
      if (!Number.isInteger(flags.limit) || flags.limit <= 0) {
        process.stderr.write('orc: --limit expects a positive whole number\n');
        throw new ExitCode(EXIT_USAGE);
      }
      const orchestrator = controlClient();
      try {
        const runs = await orchestrator.list({
          ...(flags.pipeline !== undefined ? { pipeline: flags.pipeline } : {}),
          ...(flags.status !== undefined ? { status: flags.status } : {}),
          limit: flags.limit,
        });
        if (flags.json) process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
        else process.stdout.write(formatRunTable(runs));
      } finally {
        await orchestrator.close();
      }
    });

  program
    .command('graph')
    .description("print a pipeline's steps as a Mermaid flowchart; with --run, coloured by that run's step states")
    .argument('<file>', 'pipeline YAML file')
    .option('--run <runId>', 'colour the steps by the state of this run')
    .action(async (file: string, flags: { run?: string }) => {
      const pipeline = compileOrReport(file);
      if (!flags.run) {
        process.stdout.write(pipelineFlowchart(pipeline));
        return;
      }
      const orchestrator = controlClient();
      try {
        const state = await orchestrator.runState(flags.run);
        if (state.pipeline !== pipeline.name) {
          process.stderr.write(`orc: run ${flags.run} is of pipeline '${state.pipeline}', not '${pipeline.name}' (${file})\n`);
          throw new ExitCode(EXIT_USAGE);
        }
        process.stdout.write(pipelineFlowchart(pipeline, state.steps));
      } finally {
        await orchestrator.close();
      }
    });

  for (const [name, description] of [
    ['pause', 'no new step starts; running steps finish'],
    ['resume', 'resume a paused run'],
    ['cancel', 'cancel a run; finished results are kept'],
  ] as const) {
    program
      .command(name)
      .description(description)
      .argument('<runId>')
      .action(async (runId: string) => {
        const orchestrator = controlClient();
        try {
          await orchestrator[name](runId);
          process.stdout.write(`${name}: sent to ${runId}\n`);
        } finally {
          await orchestrator.close();
        }
      });
  }

  program
    .command('approve')
    .description('approve (or --reject) an approval step that is waiting')
    .argument('<runId>')
    .argument('<step>')
    .option('--reject', 'reject instead of approving')
    .option('--comment <text>', 'a comment kept in the step result')
    .option('--by <name>', 'who decides (default: $USER)')
    .action(async (runId: string, step: string, flags: { reject?: boolean; comment?: string; by?: string }) => {
      const orchestrator = controlClient();
      try {
        const by = flags.by ?? process.env.USER ?? process.env.LOGNAME;
        const result = await orchestrator.approve(runId, {
          step,
          approved: !flags.reject,
          ...(flags.comment !== undefined ? { comment: flags.comment } : {}),
          ...(by ? { by } : {}),
        });
        process.stdout.write(`${step}: ${result.approved ? 'approved' : 'rejected'}${result.comment ? ` (${result.comment})` : ''}\n`);
      } catch (error) {
        const cause = (error as { cause?: { message?: string } }).cause?.message;
        process.stderr.write(`orc: approve refused: ${cause ?? (error as Error).message}\n`);
        throw new ExitCode(EXIT_FAILED);
      } finally {
        await orchestrator.close();
      }
    });

  program
    .command('cache')
    .description('the step result cache (cache_results) in the run store')
    .command('clear')
    .description('delete every cached step result; the next runs call their models and tools again')
    .action(async () => {
      const { entries, location } = await new Orchestrator({ worker: false }).clearCache();
      process.stdout.write(`Cleared ${entries} cache ${entries === 1 ? 'entry' : 'entries'} from ${location}\n`);
    });

  program
    .command('worker')
    .description('run a worker for the pipeline task queue on TEMPORAL_ADDRESS')
    .option('--metrics-port <port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (default: ORC_METRICS_PORT, else none)')
    .action(async (flags: { metricsPort?: string }) => {
      const settings = readSettings();
      const address = settings.temporalAddress ?? `127.0.0.1:${defaultDevServerPort()}`;
      const metricsPort = metricsPortOrExit(flags.metricsPort);
      const worker = await createPipelineWorker({
        address,
        namespace: settings.temporalNamespace ?? DEFAULT_NAMESPACE,
        ...(metricsPort !== undefined ? { metricsPort } : {}),
      });
      process.stderr.write(
        `orc worker polling '${worker.worker.options.taskQueue}' on ${address}${metricsPort !== undefined ? `, metrics on port ${metricsPort}` : ''} (Ctrl-C to stop)\n`,
      );
      const running = worker.run();
      await Promise.race([untilSignal(), running]);
      await worker.shutdown();
    });

  program
    .command('server')
    .description('embedded Temporal dev server + Web UI + worker, in the foreground')
    .option('--metrics-port <port>', "serve the worker's Prometheus metrics on this port (default: ORC_METRICS_PORT, else none)")
    .action(async (flags: { metricsPort?: string }) => {
      const metricsPort = metricsPortOrExit(flags.metricsPort);
      // The Web UI shows values kept in the run store through a codec server on loopback.
      const port = defaultDevServerPort();
      const store = openDefaultRunStore();
      const codec = await startCodecServer({ store, allowedOrigins: uiOrigins(port + 1000) });
      const server = await startDevServer({ port, ui: true, reuseExisting: false, codecEndpoint: codec.url });
      const worker = await createPipelineWorker({ address: server.address, store, ...(metricsPort !== undefined ? { metricsPort } : {}) });
      process.stderr.write(
        `Temporal server on ${server.address}\nTemporal Web UI: ${server.uiUrl} (values over 256 KiB decoded by ${codec.url})\n` +
          `Worker polling '${worker.worker.options.taskQueue}' (Ctrl-C to stop)\n`,
      );
      const running = worker.run();
      await Promise.race([untilSignal(), running]);
      await worker.shutdown();
      await server.stop();
      await codec.close();
      await store.close();
    });

  program
    .command('codec-server')
    .description("serve Temporal's codec-server protocol over the run store, so the Web UI shows stored values in full")
    .option('--port <port>', 'port to listen on', '8234')
    .option('--host <host>', 'address to listen on; not loopback requires ORC_CODEC_TOKEN', '127.0.0.1')
    .option('--ui-origin <url>', 'an origin of the Web UI allowed by CORS (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .action(async (flags: { port: string; host: string; uiOrigin: string[] }) => {
      // Bound beyond loopback, startCodecServer refuses to start without a token.
      const token = readSettings().codecToken;
      const store = openDefaultRunStore();
      const origins = flags.uiOrigin.length > 0 ? flags.uiOrigin : uiOrigins(defaultDevServerPort() + 1000);
      const codec = await startCodecServer({ store, host: flags.host, port: Number(flags.port), allowedOrigins: origins, ...(token ? { token } : {}) });
      process.stderr.write(
        `orc codec-server on ${codec.url} (store ${store.location}; CORS for ${origins.join(', ')}${token ? '; token required' : ''})\n` +
          `Point the Web UI at it: temporal server start-dev --ui-codec-endpoint ${codec.url} (orc server does this itself). Ctrl-C to stop.\n`,
      );
      await untilSignal();
      await codec.close();
      await store.close();
    });

  program
    .command('gc')
    .description('delete stored values and cache entries unused for a while, keeping those open runs reference')
    .requiredOption('--older-than <duration>', 'e.g. 30d, 12h')
    .action(async (flags: { olderThan: string }) => {
      const seconds = parseDuration(flags.olderThan);
      if (seconds === undefined) {
        process.stderr.write(`orc: --older-than expects a duration such as 30d or 12h, got '${flags.olderThan}'\n`);
        throw new ExitCode(EXIT_USAGE);
      }
      const address = readSettings().temporalAddress ?? `127.0.0.1:${defaultDevServerPort()}`;
      // Open runs' histories can pass gRPC's default 4 MB message: the references are what gc needs from them.
      const connection = await Connection.connect({ address, channelArgs: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 } });
      const store = openDefaultRunStore();
      try {
        const client = new Client({ connection, namespace: readSettings().temporalNamespace ?? DEFAULT_NAMESPACE });
        const report = await collectGarbage(client, store, seconds);
        process.stdout.write(
          `gc (${store.location}): deleted ${report.values} value(s) (${describeBytes(report.bytes)} stored) and ${report.cacheEntries} cache entr${report.cacheEntries === 1 ? 'y' : 'ies'}; ` +
            `kept ${report.keptValues} value(s) referenced by ${report.openRuns} open run(s)\n`,
        );
      } finally {
        await store.close();
        await connection.close();
      }
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof ExitCode) return error.code;
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    // The SDK wraps what failed on the way (a run store that cannot be reached, say) in a generic message: say both.
    // An unreachable server's message already says what its cause means, and ends with what to do.
    const wrapped = error instanceof Error && error.cause instanceof Error && !(error instanceof TemporalUnreachableError);
    const cause = wrapped && !error.message.includes((error.cause as Error).message) ? `: ${(error.cause as Error).message}` : '';
    process.stderr.write(`orc: ${error instanceof Error ? error.message : String(error)}${cause}\n`);
    return EXIT_FAILED;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    // Exit once stdout is flushed: a large `--json` result written to a pipe is otherwise cut short.
    (code) => process.stdout.write('', () => process.exit(code)),
    (error: unknown) => {
      process.stderr.write(`orc: ${String(error)}\n`);
      process.exit(EXIT_FAILED);
    },
  );
}
