// `orc status RUN_ID`: a run's state and each step's.
import type { Command } from 'commander';
import type { RunProgress } from '../../base/run-types';
import { buildOfRun, type RunBuild } from '../deployments';
import type { RunRecords } from '../orchestrator';
import { controlClient } from '../server-address';

function printStatus(progress: RunProgress, build: RunBuild | null): void {
  process.stdout.write(`${progress.run_id}: ${progress.status}${progress.paused && progress.status !== 'paused' ? ' (paused)' : ''}\n`);
  if (build) process.stdout.write(`  build: ${build.buildId} of ${build.deployment} (${build.behavior})\n`);
  for (const waiting of progress.waiting) process.stdout.write(`  waiting for approval: ${waiting.step} - ${waiting.prompt}\n`);
  for (const [id, step] of Object.entries(progress.steps)) {
    process.stdout.write(`  ${id}: ${step.status}${step.attempts ? `, ${step.attempts} attempt(s)` : ''}${step.model ? `, ${step.model}` : ''}${step.error ? ` - ${step.error}` : ''}\n`);
  }
}

/** How long `orc status` waits for a worker to answer (ORC_STATUS_WAIT_S, default 10 s). */
function statusWaitMs(): number {
  const seconds = Number(process.env.ORC_STATUS_WAIT_S ?? 10);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10_000;
}

/** What to do when no worker answered: start one of the run's build (or its task queue), or move the run. */
function noWorkerAdvice(build: RunBuild | null): string {
  if (build?.behavior === 'pinned') {
    return `no worker of build ${build.buildId} is polling: start one (orc worker --deployment ${build.deployment} --build-id ${build.buildId}); a pinned run continues only on its own build (docs/deploying.md)`;
  }
  return "no worker of the run's task queue is polling: start one with orc worker (the same ORC_TASK_QUEUE and TEMPORAL_ADDRESS)";
}

function printRecords(records: RunRecords, build: RunBuild | null): void {
  process.stdout.write(`${records.run_id}: ${records.status} (from the server's records: no worker answered in ${records.waited_ms / 1000} s)\n`);
  if (build) process.stdout.write(`  build: ${build.buildId} of ${build.deployment} (${build.behavior})\n`);
  process.stdout.write(`  pipeline: ${records.pipeline ?? '(unknown)'}, started ${records.started_at}${records.tokens !== null ? `, ${records.tokens} tokens` : ''}\n`);
  for (const activity of records.pending_activities) process.stdout.write(`  activity ${activity.activity}: ${activity.state}, attempt ${activity.attempt}\n`);
  process.stdout.write(`  ${noWorkerAdvice(build)}\n`);
}

export function register(program: Command): void {
  program
    .command('status')
    .description("show a run's state")
    .argument('<runId>')
    .option('--json', 'print as JSON')
    .action(async (runId: string, flags: { json?: boolean }) => {
      const orchestrator = controlClient();
      try {
        // The run answers through a worker; with none polling, the server's own records stand in.
        const answer = await orchestrator.statusWithin(runId, statusWaitMs());
        // The build the run is pinned to, when a versioned worker runs it (spec section 16).
        const build = await buildOfRun(await orchestrator.connect(), runId);
        if ('records' in answer) {
          if (flags.json) process.stdout.write(`${JSON.stringify({ ...answer.records, ...(build ? { build } : {}), advice: noWorkerAdvice(build) }, null, 2)}\n`);
          else printRecords(answer.records, build);
        } else if (flags.json) {
          process.stdout.write(`${JSON.stringify(build ? { ...answer.progress, build } : answer.progress, null, 2)}\n`);
        } else {
          printStatus(answer.progress, build);
        }
      } finally {
        await orchestrator.close();
      }
    });
}
