// `orc rerun RUN_ID`: a new run of a finished run's pipeline and inputs, reusing its completed steps' results.
import type { Command } from 'commander';
import type { RunResult } from '../../base/run-types';
import { Orchestrator } from '../orchestrator';
import { RunOutput } from '../run-output';

interface RerunFlags {
  from?: string;
  id?: string;
  json?: boolean;
}

async function rerun(runId: string, flags: RerunFlags): Promise<void> {
  const orchestrator = new Orchestrator({ logLevel: 'ERROR' });
  const output = new RunOutput(flags.json === true);
  let result: RunResult;
  try {
    const { handle, reused } = await orchestrator.rerun(runId, {
      ...(flags.from ? { from: flags.from } : {}),
      ...(flags.id ? { runId: flags.id } : {}),
      onStart: ({ runId: newId }) => output.say(`Started run ${newId} (re-run of ${runId})\n`),
    });
    output.say(`Reusing ${reused.length} completed step(s): ${reused.join(', ') || 'none'}\n`);
    result = await output.follow(orchestrator, handle);
  } finally {
    await orchestrator.close();
  }
  output.report(result);
}

export function register(program: Command): void {
  program
    .command('rerun')
    .description("start a new run of a finished run's pipeline and inputs, reusing its completed steps' results")
    .argument('<runId>')
    .option('--from <step>', 'run this step and everything downstream of it again, even if they completed')
    .option('--id <newRunId>', 'the new run id')
    .option('--json', 'print only the result object as JSON')
    .action((runId: string, flags: RerunFlags) => rerun(runId, flags));
}
