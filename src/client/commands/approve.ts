// `orc approve RUN_ID STEP`: approves (or --reject) an approval step that is waiting.
import type { Command } from 'commander';
import { EXIT_FAILED, ExitCode } from '../exit-code';
import { controlClient } from '../server-address';

interface ApproveFlags {
  reject?: boolean;
  comment?: string;
  by?: string;
}

async function approve(runId: string, step: string, flags: ApproveFlags): Promise<void> {
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
}

export function register(program: Command): void {
  program
    .command('approve')
    .description('approve (or --reject) an approval step that is waiting')
    .argument('<runId>')
    .argument('<step>')
    .option('--reject', 'reject instead of approving')
    .option('--comment <text>', 'a comment kept in the step result')
    .option('--by <name>', 'who decides (default: $USER)')
    .action((runId: string, step: string, flags: ApproveFlags) => approve(runId, step, flags));
}
