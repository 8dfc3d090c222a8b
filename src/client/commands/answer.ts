// `orc answer RUN_ID STEP VALUE`: answers a waiting user-prompt, approval-gate or feedback-collection tool step.
import type { Command } from 'commander';
import { EXIT_FAILED, ExitCode } from '../exit-code';
import { controlClient } from '../server-address';

async function answer(runId: string, step: string, value: string, flags: { by?: string }): Promise<void> {
  const orchestrator = controlClient();
  try {
    const by = flags.by ?? process.env.USER ?? process.env.LOGNAME;
    await orchestrator.answer(runId, { step, value, ...(by ? { by } : {}) });
    process.stdout.write(`${step}: answered ${JSON.stringify(value)}\n`);
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    process.stderr.write(`orc: answer refused: ${cause ?? (error as Error).message}\n`);
    throw new ExitCode(EXIT_FAILED);
  } finally {
    await orchestrator.close();
  }
}

export function register(program: Command): void {
  program
    .command('answer')
    .description('answer a tool step that asks a person (user-prompt; approval-gate: yes or no; feedback-collection: text or JSON)')
    .argument('<runId>')
    .argument('<step>')
    .argument('<value>')
    .option('--by <name>', 'who answers (default: $USER)')
    .action((runId: string, step: string, value: string, flags: { by?: string }) => answer(runId, step, value, flags));
}
