// Replays recorded runs against this build's workflow code (spec section 16): the histories of runs on a cluster
// (open ones first) or in files, through the worker's replayer, each either ok or its first non-determinism with the
// step and the history event where the new code parts from the old.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { runMetricsSinks } from '../worker/run-metrics-sink';
import { WORKFLOW_BUNDLE_PATH } from '../worker/worker';
import { WORKFLOW_TYPE } from '../workflows/definitions';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface RecordedRun {
  /** The run id (the workflow id), or the file a history came from. */
  runId: string;
  history: History;
}

export interface ReplayOutcome {
  runId: string;
  ok: boolean;
  /** The step whose event the new code does not match (the event's label, else the last labelled event before it). */
  step?: string;
  /** `event 11 ActivityTaskScheduled (executeLlmStep)`. */
  event?: string;
  /** What the replayer said. */
  error?: string;
}

/** The workflow types a pipeline run records: the pipeline workflow and its for_each chunk children. */
const RUN_TYPES = `(WorkflowType = '${WORKFLOW_TYPE}' OR WorkflowType = 'forEachChunkWorkflow')`;

export function historiesFromFiles(files: string[]): RecordedRun[] {
  return files.map((file) => {
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`${file}: not a history in JSON (${(error as Error).message})`, { cause: error });
    }
    return { runId: path.basename(file).replace(/\.json$/, ''), history: historyFromJSON(json) };
  });
}

/** The runs to replay: those matching `query`, else every open run and then the latest closed ones, up to `limit`. */
export async function runsToReplay(client: Client, options: { query?: string; limit: number }): Promise<Array<{ workflowId: string; runId: string }>> {
  const queries = options.query !== undefined ? [options.query] : [`${RUN_TYPES} AND ExecutionStatus = 'Running'`, `${RUN_TYPES} AND ExecutionStatus != 'Running'`];
  const found: Array<{ workflowId: string; runId: string }> = [];
  for (const [index, query] of queries.entries()) {
    for await (const execution of client.workflow.list({ query })) {
      // Every open run is checked; closed ones fill up to the limit.
      if (found.length >= options.limit && (options.query !== undefined || index > 0)) break;
      found.push({ workflowId: execution.workflowId, runId: execution.runId });
    }
  }
  return found;
}

/** Fetches histories `concurrency` at a time, in order, as the replayer asks for them. */
export async function* fetchHistories(
  client: Client,
  runs: Array<{ workflowId: string; runId: string }>,
  concurrency = 8,
): AsyncGenerator<RecordedRun> {
  const fetching = new Map<number, Promise<RecordedRun>>();
  const fetchAt = (index: number): void => {
    const run = runs[index];
    if (run === undefined || fetching.has(index)) return;
    fetching.set(index, client.workflow.getHandle(run.workflowId, run.runId).fetchHistory().then((history) => ({ runId: run.workflowId, history })));
  };
  for (let index = 0; index < runs.length; index++) {
    for (let ahead = index; ahead < index + concurrency; ahead++) fetchAt(ahead);
    yield await fetching.get(index)!;
    fetching.delete(index);
  }
}

/** The prebuilt bundle of this build (dist/workflow-bundle.js), else the workflow bundled from source. */
export function thisBuildsWorkflow(bundleFile?: string): Pick<ReplayWorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (bundleFile !== undefined) {
    if (!fs.existsSync(bundleFile)) throw new Error(`no workflow bundle at ${bundleFile}`);
    return { workflowBundle: { codePath: path.resolve(bundleFile) } };
  }
  if (fs.existsSync(WORKFLOW_BUNDLE_PATH)) return { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } };
  return { workflowsPath: require.resolve('../workflows') };
}

let quietRuntime = false;

/** The replayer logs every non-determinism at WARN; orc prints its own line per run. */
function installQuietRuntime(): void {
  if (quietRuntime) return;
  quietRuntime = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Installed already (a worker in this process, a test): keep it.
  }
}

/** Replayers side by side: each is one thread replaying one history at a time. */
export function replayConcurrency(runs: number): number {
  return Math.max(1, Math.min(runs, os.availableParallelism(), 4));
}

/** Replays each run against `workflow` on `concurrency` replayers, calling `onOutcome` as each one is done. */
export async function replayRuns(
  runs: Iterable<RecordedRun> | AsyncIterable<RecordedRun>,
  workflow: Pick<ReplayWorkerOptions, 'workflowBundle' | 'workflowsPath'>,
  dataConverter: DataConverter | undefined,
  onOutcome: (outcome: ReplayOutcome) => void,
  concurrency = 1,
): Promise<ReplayOutcome[]> {
  installQuietRuntime();
  const histories = new Map<string, History>();
  // One source shared by the replayers: an async generator hands each history to exactly one of them.
  const source = (async function* () {
    for await (const run of runs) {
      histories.set(run.runId, run.history);
      yield { workflowId: run.runId, history: run.history };
    }
  })();
  const share = async function* (): AsyncGenerator<{ workflowId: string; history: History }> {
    for (let next = await source.next(); !next.done; next = await source.next()) yield next.value;
  };
  const outcomes: ReplayOutcome[] = [];
  const options: ReplayWorkerOptions = {
    ...workflow,
    replayName: 'orc-replay',
    // The run metrics sink is not called on replay, but a workflow's call to a sink no worker registered is logged.
    sinks: runMetricsSinks(),
    ...(dataConverter ? { dataConverter } : {}),
    // A replayer runs workflows on the main thread (the SDK's debug mode) unless told otherwise: side by side, each
    // gets a thread of its own, as a real worker's workflows do, so they replay on separate cores.
    ...(concurrency > 1 ? ({ debugMode: false, workflowThreadPoolSize: 1 } as Partial<ReplayWorkerOptions>) : {}),
  };
  const replayer = async (): Promise<void> => {
    for await (const result of Worker.runReplayHistories(options, share())) {
      const history = histories.get(result.workflowId);
      histories.delete(result.workflowId);
      const outcome: ReplayOutcome = result.error
        ? { runId: result.workflowId, ok: false, ...divergence(history, `${result.error.name}: ${result.error.message}`) }
        : { runId: result.workflowId, ok: true };
      outcomes.push(outcome);
      onOutcome(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, replayer));
  return outcomes;
}

const EVENT_TYPE_NAMES = temporal.api.enums.v1.EventType;

function eventTypeName(event: HistoryEvent): string {
  const name = EVENT_TYPE_NAMES[event.eventType ?? 0] ?? 'unknown';
  return name.replace(/^EVENT_TYPE_/, '').toLowerCase().replace(/(^|_)([a-z])/g, (_match, _sep: string, letter: string) => letter.toUpperCase());
}

/** The step id of an event's Web UI label (`draft · openai:gpt-4o-mini`), if it has one. */
function stepOfEvent(event: HistoryEvent): string | undefined {
  const summary = event.userMetadata?.summary?.data;
  if (!summary) return undefined;
  let text: unknown;
  try {
    text = JSON.parse(Buffer.from(summary).toString('utf8'));
  } catch {
    return undefined;
  }
  return typeof text === 'string' && text.includes(' · ') ? text.slice(0, text.indexOf(' · ')) : undefined;
}

/** The event a replay error names (`HistoryEvent(id: 11, …)`, `event_id: 11`, `event 11`), and the step it belongs to. */
export function divergence(history: History | undefined, error: string): Pick<ReplayOutcome, 'step' | 'event' | 'error'> {
  const match = /(?:HistoryEvent\(id: |event_id: |[Ee]vent (?:id )?)(\d+)/.exec(error);
  const events = history?.events ?? [];
  const eventId = match ? Number(match[1]) : undefined;
  const index = eventId === undefined ? -1 : events.findIndex((event) => Number(event.eventId) === eventId);
  if (index < 0) return { error };
  const event = events[index]!;
  const activity = event.activityTaskScheduledEventAttributes?.activityType?.name;
  const timer = event.timerStartedEventAttributes?.timerId;
  const detail = activity ? ` (${activity})` : timer ? ` (timer ${timer})` : '';
  let step = stepOfEvent(event);
  for (let before = index - 1; step === undefined && before >= 0; before--) step = stepOfEvent(events[before]!);
  return { ...(step !== undefined ? { step } : {}), event: `event ${eventId} ${eventTypeName(event)}${detail}`, error };
}

/** One line a run: `ok RUN_ID`, or `FAILED RUN_ID: step 'x', event 11 ActivityTaskScheduled (…): error`. */
export function outcomeLine(outcome: ReplayOutcome): string {
  if (outcome.ok) return `ok      ${outcome.runId}`;
  const where = [outcome.step !== undefined ? `step '${outcome.step}'` : undefined, outcome.event].filter(Boolean).join(', ');
  return `FAILED  ${outcome.runId}: ${where ? `${where}: ` : ''}${outcome.error ?? 'replay failed'}`;
}
