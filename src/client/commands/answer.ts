// `orc answer RUN_ID STEP VALUE`: answers a waiting user-prompt, approval-gate or feedback-collection tool step.
import type { Command } from 'commander';
import { readSettings } from '../../base/settings';
import { defaultDevServerPort } from '../../worker/dev-server';
import { Orchestrator } from '../orchestrator';

export function register(program: Command): void {
  program
    .command('answer')
    .description('answer a tool step that asks a person (user-prompt, approval-gate: yes/no, feedback-collection: text or JSON)')
    .argument('<runId>')
    .argument('<step>')
    .argument('<value>')
    .option('--by <name>', 'who answers (default: $USER)')
    .action(async (runId: string, step: string, value: string, flags: { by?: string }) => {
      const orchestrator = new Orchestrator({ address: readSettings().temporalAddress ?? `127.0.0.1:${defaultDevServerPort()}`, worker: false });
      try {
        const by = flags.by ?? process.env.USER ?? process.env.LOGNAME;
        await orchestrator.answer(runId, { step, value, ...(by ? { by } : {}) });
        process.stdout.write(`${step}: answered ${JSON.stringify(value)}\n`);
      } catch (error) {
        const cause = (error as { cause?: { message?: string } }).cause?.message;
        throw new Error(`answer refused: ${cause ?? (error as Error).message}`);
      } finally {
        await orchestrator.close();
      }
    });
}
