// The programmatic API (seeds/000 `Orchestrator`): compile YAML, start the run on Temporal, wait for its result.
import { randomBytes } from 'node:crypto';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, type WorkflowExecutionDescription, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { compactPipeline, expandPipeline } from '../base/compact-pipeline';
import { compiledPipelineSchema, compileOrThrow, compilePipelineFile, PipelineValidationError, resolveRunInputs, withoutSourcePositions, type CompiledPipeline } from '../compiler';
import { readSettings } from '../base/settings';
import { checkReachable, TEMPORAL_CONNECT_TIMEOUT_MS, TemporalUnreachableError } from '../base/temporal-unreachable-error';
import { answerUpdate, approveUpdate, pauseSignal, resumeSignal, statusQuery, WORKFLOW_TYPE } from '../workflows/definitions';
import type { ApprovalDecision, ApprovalResult, PipelineRunInput, RunOptions, RunProgress, RunResult, StepAnswer } from '../base/run-types';
import { DEFAULT_NAMESPACE, defaultDevServerPort, missingSearchAttributes, startDevServer, type DevServer } from '../worker/dev-server';
import { OrcCostUsd, OrcPipeline, OrcStatus, OrcTokens } from '../base/search-attributes';
import { runDetails, runSummary } from './run-description';
import { forecastFor, pastStepUsage, rememberCompletedRun } from './forecast-history';
import { createPipelineWorker, type PipelineWorker } from '../worker/worker';
import type { ModelResolver } from '../models/registry';
import type { LiveTextDetails } from '../activities/live-text';
import { openDefaultRunStore, type RunStore } from '../store/run-store';
import { resolveStoredPayload, storedPayloadsDataConverter } from '../store/stored-payloads';

export interface OrchestratorOptions {
  /** host:port of a Temporal frontend. Default: TEMPORAL_ADDRESS, else an embedded dev server. */
  address?: string;
  namespace?: string;
  taskQueue?: string;
  /** Run a worker in this process. Default: true with an embedded server, false with an address. */
  worker?: boolean;
  /** Embedded server: serve the Web UI (default true) and keep runs in the data folder's SQLite file. */
  ui?: boolean;
  databaseFile?: string | null;
  /** For tests: bundle the workflow from this source path. */
  workflowsPath?: string;
  /** The in-process worker's models (tests hand in fakes); by default the real ones. */
  models?: ModelResolver;
  /** Log level of the in-process worker (default WARN). */
  logLevel?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** The run store (cached step results); by default ORC_STORE_URL, else the data folder's. */
  store?: RunStore;
}

export interface ExecuteOptions extends RunOptions {
  /** The run's id (its Temporal workflow id). Starting an id that is already running attaches to it. */
  runId?: string;
  /** Input values given as strings (the CLI) are converted to the declared types. */
  coerceStrings?: boolean;
  /** Called with the run's state about twice a second while it runs. */
  onProgress?: (progress: RunProgress) => void;
  /**
   * Called with each new piece of a running LLM step's answer, as the worker reports it (every second or two,
   * wherever the worker runs). `item` is the for_each item's index.
   */
  onToken?: TokenListener;
  /** Called once the run has started (or been attached to). */
  onStart?: (info: { runId: string; attached: boolean }) => void;
  /** Called once the pipeline and inputs are valid, before connecting (which may start the embedded server). */
  onValid?: () => void;
}

/** One line of `orc list`. */
export interface RunListing {
  run_id: string;
  pipeline: string | null;
  status: string;
  started_at: string;
  closed_at: string | null;
  tokens: number | null;
  cost_usd: number | null;
}

/**
 * The run's own status (OrcStatus) while its workflow is open or closed normally; Temporal's status when the
 * workflow ended without saying (terminated, timed out) or the server has no search attributes.
 */
function runListing(execution: Pick<WorkflowExecutionInfo, 'typedSearchAttributes' | 'status' | 'memo' | 'workflowId' | 'startTime' | 'closeTime'>): RunListing {
  const attributes = execution.typedSearchAttributes;
  const temporalStatus = execution.status.name.toLowerCase();
  const orcStatus = attributes.get(OrcStatus);
  const closedWithoutSaying = temporalStatus !== 'running' && (orcStatus === undefined || orcStatus === 'running');
  const memoPipeline = typeof execution.memo?.pipeline === 'string' ? execution.memo.pipeline : null;
  return {
    run_id: execution.workflowId,
    pipeline: attributes.get(OrcPipeline) ?? memoPipeline,
    status: closedWithoutSaying || orcStatus === undefined ? temporalStatus : orcStatus,
    started_at: execution.startTime.toISOString(),
    closed_at: execution.closeTime?.toISOString() ?? null,
    tokens: attributes.get(OrcTokens) ?? null,
    cost_usd: attributes.get(OrcCostUsd) ?? null,
  };
}

/** What the server alone knows of a run (`orc status` when no worker answered its query in time). */
export interface RunRecords extends RunListing {
  answered_by: 'server';
  /** How long the status query waited for a worker. */
  waited_ms: number;
  /** Activities the server holds for the run: scheduled (waiting for a worker) or started. */
  pending_activities: Array<{ activity: string; state: string; attempt: number }>;
}

export type TokenListener = (stepId: string, text: string, info: { item: number | null }) => void;

/** Turns the answers-so-far that running activities heartbeat into the pieces not yet passed on. */
class LiveTextReader {
  private readonly seen = new Map<string, { call: number; end: number }>();

  constructor(private readonly listener: TokenListener) {}

  read(description: WorkflowExecutionDescription): void {
    for (const activity of description.raw.pendingActivities ?? []) {
      const payload = activity.heartbeatDetails?.payloads?.[0];
      if (!payload) continue;
      let details: Partial<LiveTextDetails>;
      try {
        details = defaultPayloadConverter.fromPayload<Partial<LiveTextDetails>>(payload);
      } catch {
        continue;
      }
      if (typeof details?.step !== 'string' || typeof details.text !== 'string' || typeof details.offset !== 'number') continue;
      const item = typeof details.item === 'number' ? details.item : null;
      const key = `${details.step}#${item}#${activity.activityId}#${activity.attempt ?? 1}`;
      const call = details.call ?? 1;
      const before = this.seen.get(key);
      // The repair of invalid JSON (a new call) starts its text over; a new attempt has a key of its own.
      const from = before && before.call === call && before.end <= details.offset + details.text.length ? before.end : 0;
      const end = details.offset + details.text.length;
      this.seen.set(key, { call, end });
      if (end <= from) continue;
      const piece = from < details.offset ? `…${details.text}` : details.text.slice(from - details.offset);
      const restarted = from === 0 && (before !== undefined || (activity.attempt ?? 1) > 1);
      this.listener(details.step, restarted ? `\n${piece}` : piece, { item });
    }
  }
}

export function newRunId(pipelineName: string): string {
  return `${pipelineName}-${randomBytes(4).toString('hex')}`;
}

export class Orchestrator {
  private client?: Client;
  private connection?: Connection;
  private devServer?: DevServer;
  private pipelineWorker?: PipelineWorker;
  private workerRun?: Promise<void>;
  private connecting?: Promise<Client>;
  private searchAttributesKnown?: Promise<boolean>;
  /** The store this object opened for its client (one handed in through the options belongs to the caller). */
  private ownStore?: RunStore;

  constructor(private readonly options: OrchestratorOptions = {}) {}

  get namespace(): string {
    return this.options.namespace ?? readSettings().temporalNamespace ?? DEFAULT_NAMESPACE;
  }

  get taskQueue(): string {
    return this.options.taskQueue ?? readSettings().taskQueue;
  }

  /** The Web UI of the embedded server, when there is one. */
  get uiUrl(): string | null {
    return this.devServer?.uiUrl ?? null;
  }

  get address(): string | undefined {
    return this.options.address ?? readSettings().temporalAddress ?? this.devServer?.address;
  }

  /** True when this process runs a worker (so runs make progress without `orc worker`). */
  get hasWorker(): boolean {
    return this.pipelineWorker !== undefined;
  }

  /** Connects once; after a failed attempt (server down, bad address) the next call tries again from the start. */
  async connect(): Promise<Client> {
    this.connecting ??= this.doConnect().catch(async (error: unknown) => {
      this.connecting = undefined;
      await this.close().catch(() => undefined);
      throw error;
    });
    return this.connecting;
  }

  private async doConnect(): Promise<Client> {
    const given = this.options.address ?? readSettings().temporalAddress;
    const embedded = !given;
    let address = given;
    if (!address) {
      this.devServer = await startDevServer({
        port: defaultDevServerPort(),
        ui: this.options.ui ?? true,
        ...(this.options.databaseFile !== undefined ? { databaseFile: this.options.databaseFile } : {}),
      });
      address = this.devServer.address;
    }
    const source = this.options.address ? 'the address option' : embedded ? 'the embedded dev server' : 'TEMPORAL_ADDRESS';
    await checkReachable(address, source);
    try {
      this.connection = await Connection.connect({ address, connectTimeout: TEMPORAL_CONNECT_TIMEOUT_MS });
    } catch (error) {
      throw new TemporalUnreachableError(address, source, error);
    }
    // Values over 256 KiB travel through the run store both ways, so callers always see full values.
    this.client = new Client({ connection: this.connection, namespace: this.namespace, dataConverter: storedPayloadsDataConverter(this.store()) });
    if (this.options.worker ?? embedded) {
      this.pipelineWorker = await createPipelineWorker({
        address,
        namespace: this.namespace,
        taskQueue: this.taskQueue,
        store: this.store(),
        ...(this.options.workflowsPath ? { workflowsPath: this.options.workflowsPath } : {}),
        ...(this.options.logLevel ? { logLevel: this.options.logLevel } : {}),
        ...(this.options.models ? { models: this.options.models } : {}),
      });
      this.workerRun = this.pipelineWorker.run();
    }
    return this.client;
  }

  /**
   * Whether the server knows orc's search attributes (a server orc starts does; a cluster needs them created once,
   * see the README). Without them runs still work, but neither set nor update them.
   */
  async hasSearchAttributes(): Promise<boolean> {
    this.searchAttributesKnown ??= (async () => {
      await this.connect();
      try {
        return (await missingSearchAttributes(this.connection!, this.namespace)).length === 0;
      } catch {
        return false;
      }
    })();
    return this.searchAttributesKnown;
  }

  compile(yaml: string, file?: string): CompiledPipeline {
    return compileOrThrow(yaml, file);
  }

  /** Starts a run (or attaches to a running one with the same id) and returns its handle. */
  async start(
    pipeline: CompiledPipeline,
    inputs: Record<string, unknown>,
    options: ExecuteOptions = {},
  ): Promise<{ handle: WorkflowHandle; attached: boolean }> {
    // A compiled pipeline handed in through the API may be hand-made or from an older orc: check it before a worker meets it.
    const shape = compiledPipelineSchema.safeParse(pipeline);
    if (!shape.success) {
      throw new Error(`not a compiled pipeline: ${shape.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
    }
    const resolution = resolveRunInputs(pipeline, inputs, { coerceStrings: options.coerceStrings ?? false });
    if (!resolution.ok) throw new PipelineValidationError(pipeline.sourceFile ?? pipeline.name, resolution.diagnostics);
    options.onValid?.();
    const client = await this.connect();
    const runId = options.runId ?? newRunId(pipeline.name);
    const searchAttributes = await this.hasSearchAttributes();
    // Spec section 15: the run's result carries what was forecast before it started, learned from past runs.
    const forecast = options.forecast ?? (await forecastFor(pipeline, resolution.values, await pastStepUsage(this, client, pipeline.name).catch(() => new Map())));
    const runInput: PipelineRunInput = {
      // Inputs were checked above, the last use of their source positions: the Web UI's Input panel stays readable.
      // Step fields at their defaults are left out (a 5,000-step pipeline fits in a payload); the workflow fills them in.
      pipeline: compactPipeline(withoutSourcePositions(pipeline)),
      inputs: resolution.values,
      options: {
        ...(options.dryRun ? { dryRun: true } : {}),
        ...(options.defaultModel ? { defaultModel: options.defaultModel } : {}),
        ...(options.noCache ? { noCache: true } : {}),
        ...(options.workspace ? { workspace: options.workspace } : {}),
        ...(options.reuse ? { reuse: options.reuse } : {}),
        ...(searchAttributes ? { searchAttributes: true } : {}),
        ...(forecast ? { forecast } : {}),
      },
    };
    try {
      const handle = await client.workflow.start(WORKFLOW_TYPE, {
        taskQueue: this.taskQueue,
        workflowId: runId,
        args: [runInput],
        memo: { pipeline: pipeline.name, ...(pipeline.sourceFile ? { file: pipeline.sourceFile } : {}) },
        staticSummary: runSummary(pipeline),
        staticDetails: runDetails(pipeline, resolution.values),
        ...(searchAttributes
          ? {
              typedSearchAttributes: [
                { key: OrcPipeline, value: pipeline.name },
                { key: OrcStatus, value: 'running' },
              ],
            }
          : {}),
      });
      options.onStart?.({ runId, attached: false });
      return { handle, attached: false };
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      options.onStart?.({ runId, attached: true });
      return { handle: client.workflow.getHandle(runId), attached: true };
    }
  }

  /** Waits for a run's result, reporting progress on the way. */
  async follow(handle: WorkflowHandle, onProgress?: (progress: RunProgress) => void, onToken?: TokenListener): Promise<RunResult> {
    let done = false;
    const result = handle.result() as Promise<RunResult>;
    const liveText = onToken ? new LiveTextReader(onToken) : undefined;
    const polling = (async () => {
      if (!onProgress && !liveText) return;
      while (!done) {
        try {
          if (onProgress) onProgress(await handle.query(statusQuery));
          // Running activities' heartbeat details: the answers so far (see activities/live-text.ts).
          if (liveText) liveText.read(await handle.describe());
        } catch {
          // The run may not have had its first workflow task yet, or has just closed.
        }
        await Promise.race([result.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 500))]);
      }
    })();
    try {
      const final = await result;
      rememberCompletedRun(this, final);
      onProgress?.({ ...final, paused: false, running: [], waiting: [] });
      return final;
    } finally {
      done = true;
      await polling;
    }
  }

  async execute(pipeline: CompiledPipeline, inputs: Record<string, unknown> = {}, options: ExecuteOptions = {}): Promise<RunResult> {
    const { handle } = await this.start(pipeline, inputs, options);
    return this.follow(handle, options.onProgress, options.onToken);
  }

  /** seeds/000 `execute_yaml`: compile and run, returning the run's result (spec section 6). */
  async executeYaml(yaml: string, inputs: Record<string, unknown> = {}, options: ExecuteOptions = {}): Promise<RunResult> {
    return this.execute(this.compile(yaml), inputs, options);
  }

  /** seeds/000 `execute_yaml_file`; a file that cannot be read is a PipelineValidationError like any other bad pipeline. */
  async executeYamlFile(file: string, inputs: Record<string, unknown> = {}, options: ExecuteOptions = {}): Promise<RunResult> {
    const compiled = compilePipelineFile(file);
    if (!compiled.ok) throw new PipelineValidationError(file, compiled.diagnostics);
    return this.execute(compiled.pipeline, inputs, options);
  }

  private async handle(runId: string): Promise<WorkflowHandle> {
    return (await this.connect()).workflow.getHandle(runId);
  }

  async status(runId: string): Promise<RunProgress> {
    return (await this.handle(runId)).query(statusQuery);
  }

  /**
   * The run's state as its workflow tells it, when a worker answers within `waitMs`; otherwise what the server's
   * own records say (a query needs a worker, e.g. of the build the run is pinned to, and none may be polling).
   */
  async statusWithin(runId: string, waitMs: number): Promise<{ progress: RunProgress } | { records: RunRecords }> {
    const client = await this.connect();
    const handle = client.workflow.getHandle(runId);
    const timeUp = new AbortController();
    const timer = setTimeout(() => timeUp.abort(), waitMs);
    try {
      return { progress: await client.withAbortSignal(timeUp.signal, () => handle.query(statusQuery)) };
    } catch (error) {
      // The query was cancelled because no worker answered in time; any other failure is the caller's to see.
      if (!timeUp.signal.aborted) throw error;
    } finally {
      clearTimeout(timer);
    }
    const description = await handle.describe();
    const pending = (description.raw.pendingActivities ?? []).map((activity) => ({
      activity: activity.activityType?.name ?? 'activity',
      state: (temporal.api.enums.v1.PendingActivityState[activity.state ?? 0] ?? 'unspecified').replace('PENDING_ACTIVITY_STATE_', '').toLowerCase(),
      attempt: activity.attempt ?? 1,
    }));
    return { records: { ...runListing(description), answered_by: 'server', waited_ms: waitMs, pending_activities: pending } };
  }

  /** A run's state: asked of the run while it runs, its result once it has closed (no worker needed then). */
  async runState(runId: string): Promise<RunProgress | RunResult> {
    const handle = await this.handle(runId);
    const description = await handle.describe();
    if (description.status.name === 'RUNNING') return handle.query(statusQuery);
    return (await handle.result()) as RunResult;
  }

  /**
   * `orc list`: runs of the pipeline workflow, newest first, through Temporal's visibility queries. With the
   * search attributes the server filters; without them (a cluster where nobody created them) the client does.
   */
  async list(filter: { pipeline?: string; status?: string; limit?: number } = {}): Promise<RunListing[]> {
    const client = await this.connect();
    const indexed = await this.hasSearchAttributes();
    const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    const clauses = [`WorkflowType = ${quote(WORKFLOW_TYPE)}`];
    if (indexed && filter.pipeline !== undefined) clauses.push(`${OrcPipeline.name} = ${quote(filter.pipeline)}`);
    if (indexed && filter.status !== undefined) clauses.push(`${OrcStatus.name} = ${quote(filter.status)}`);
    const limit = filter.limit ?? 100;
    const listings: RunListing[] = [];
    // With the search attributes the server filters: a page just over the limit (a continued run is skipped).
    // Without them this side filters, reading pages of 100 until it has enough.
    const pageSize = indexed ? Math.min(1000, limit + 10) : 100;
    for await (const execution of client.workflow.list({ query: clauses.join(' AND '), pageSize })) {
      // A run that continued as new is listed once, by its latest execution.
      if (execution.status.name === 'CONTINUED_AS_NEW') continue;
      const listing = runListing(execution);
      if (filter.pipeline !== undefined && listing.pipeline !== filter.pipeline) continue;
      if (filter.status !== undefined && listing.status !== filter.status) continue;
      listings.push(listing);
      if (listings.length >= limit) break;
    }
    return listings;
  }

  async pause(runId: string): Promise<void> {
    await (await this.handle(runId)).signal(pauseSignal);
  }

  async resume(runId: string): Promise<void> {
    await (await this.handle(runId)).signal(resumeSignal);
  }

  /**
   * `orc rerun`: a new run of the same compiled pipeline and inputs that takes the results of the old run's
   * completed steps as they are, except `from` and everything downstream of it, and runs the rest.
   */
  async rerun(runId: string, options: { from?: string; runId?: string; onStart?: ExecuteOptions['onStart'] } = {}): Promise<{ handle: WorkflowHandle; reused: string[] }> {
    const old = await this.handle(runId);
    const description = await old.describe();
    if (description.status.name === 'RUNNING') throw new Error(`run ${runId} is still running; wait for it to end (or cancel it) before re-running it`);
    const history = await old.fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!payload) throw new Error(`run ${runId} has no recorded input to re-run`);
    const input = defaultPayloadConverter.fromPayload<PipelineRunInput>(await resolveStoredPayload(payload, this.store()));
    let previous: RunResult;
    try {
      previous = (await old.result()) as RunResult;
    } catch {
      previous = await old.query(statusQuery);
    }
    const pipeline = expandPipeline(input.pipeline);
    const excluded = new Set<string>();
    if (options.from !== undefined) {
      if (!pipeline.steps.some((step) => step.id === options.from)) {
        throw new Error(`run ${runId} has no step '${options.from}' (steps: ${pipeline.steps.map((step) => step.id).join(', ')})`);
      }
      excluded.add(options.from);
      for (let grew = true; grew; ) {
        grew = false;
        for (const step of pipeline.steps) {
          if (!excluded.has(step.id) && step.dependsOn.some((dependency) => excluded.has(dependency))) {
            excluded.add(step.id);
            grew = true;
          }
        }
      }
    }
    const reuse = Object.fromEntries(Object.entries(previous.steps).filter(([id, step]) => step.status === 'completed' && !excluded.has(id)));
    const { handle } = await this.start(pipeline, input.inputs, {
      ...input.options,
      reuse,
      runId: options.runId ?? newRunId(pipeline.name),
      ...(options.onStart ? { onStart: options.onStart } : {}),
    });
    return { handle, reused: Object.keys(reuse) };
  }

  /** `orc cache clear`: deletes every cached step result in the run store; returns how many entries there were. */
  async clearCache(): Promise<{ entries: number; location: string }> {
    const store = this.store();
    return { entries: await store.clearCache(), location: store.location };
  }

  /** The run store of this object's client and in-process worker: the one handed in, else ORC_STORE_URL's. */
  private store(): RunStore {
    if (this.options.store) return this.options.store;
    this.ownStore ??= openDefaultRunStore();
    return this.ownStore;
  }

  /** Approves or rejects a waiting approval step; throws with the workflow's reason when the update is refused. */
  async approve(runId: string, decision: ApprovalDecision): Promise<ApprovalResult> {
    return (await this.handle(runId)).executeUpdate(approveUpdate, { args: [decision] });
  }

  /** `orc answer`: the value of a waiting user-prompt, approval-gate or feedback-collection step. */
  async answer(runId: string, answer: StepAnswer): Promise<StepAnswer> {
    return (await this.handle(runId)).executeUpdate(answerUpdate, { args: [answer] });
  }

  async cancel(runId: string): Promise<void> {
    await (await this.handle(runId)).cancel();
  }

  /** Whether any worker polls the task queue (with a remote server, runs need `orc worker`). */
  async hasPollers(): Promise<boolean> {
    const client = await this.connect();
    const response = await client.workflowService.describeTaskQueue({
      namespace: this.namespace,
      taskQueue: { name: this.taskQueue },
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    return (response.pollers ?? []).length > 0;
  }

  /** Stops what this object started; it may connect again afterwards. */
  async close(): Promise<void> {
    const { pipelineWorker, workerRun, connection, devServer } = this;
    this.pipelineWorker = undefined;
    this.workerRun = undefined;
    this.connection = undefined;
    this.client = undefined;
    this.devServer = undefined;
    this.connecting = undefined;
    if (pipelineWorker) {
      await pipelineWorker.shutdown();
      await workerRun?.catch(() => undefined);
    }
    await connection?.close();
    await this.ownStore?.close();
    this.ownStore = undefined;
    await devServer?.stop();
  }
}
