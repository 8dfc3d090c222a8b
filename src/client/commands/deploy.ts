// `orc deploy promote|status`: Worker Versioning (spec section 16): which build of a deployment takes new runs.
import type { Command } from 'commander';
import { describeDeployment, promote } from '../deployments';
import { usageError } from '../exit-code';
import { controlClient } from '../server-address';

interface PromoteFlags {
  deployment: string;
  buildId: string;
  ramp?: string;
}

function rampOf(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const percent = Number(flag);
  if (flag.trim() === '' || !Number.isFinite(percent) || percent < 0 || percent > 100) throw usageError(`--ramp takes a percentage from 0 to 100, not '${flag}'`);
  return percent;
}

export function register(program: Command): void {
  const deploy = program.command('deploy').description('Worker Versioning: promote a build of a Worker Deployment, see its builds');
  deploy
    .command('promote')
    .description('make a build current (it takes every new run), or with --ramp give it a share of new runs')
    .requiredOption('--deployment <name>', 'the Worker Deployment (`orc worker --deployment`)')
    .requiredOption('--build-id <id>', 'the build (`orc worker --build-id`); one of its workers must have started')
    .option('--ramp <percent>', 'send this percentage of new runs to the build, the rest to the current one')
    .action(async (flags: PromoteFlags) => {
      const ramp = rampOf(flags.ramp);
      const orchestrator = controlClient();
      try {
        const client = await orchestrator.connect();
        await promote(client, { deployment: flags.deployment, buildId: flags.buildId, ...(ramp !== undefined ? { ramp } : {}) });
        process.stdout.write(
          ramp === undefined
            ? `deploy: build ${flags.buildId} of ${flags.deployment} is current: new runs start on it; open runs stay on their build\n`
            : `deploy: build ${flags.buildId} of ${flags.deployment} takes ${ramp}% of new runs\n`,
        );
      } finally {
        await orchestrator.close();
      }
    });
  deploy
    .command('status')
    .description("a deployment's builds: current, ramping, and those still draining runs pinned to them")
    .requiredOption('--deployment <name>', 'the Worker Deployment')
    .option('--json', 'print as JSON')
    .action(async (flags: { deployment: string; json?: boolean }) => {
      const orchestrator = controlClient();
      try {
        const state = await describeDeployment(await orchestrator.connect(), flags.deployment);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${state.deployment}: current ${state.current ?? '(none)'}${state.ramping ? `, ramping ${state.ramping.buildId} at ${state.ramping.percent}%` : ''}\n`);
        for (const version of state.versions) {
          process.stdout.write(`  ${version.buildId}: ${version.status}${version.drainage !== 'unspecified' ? `, ${version.drainage}` : ''}\n`);
        }
      } finally {
        await orchestrator.close();
      }
    });
}
