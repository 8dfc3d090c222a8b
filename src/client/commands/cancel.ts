// `orc cancel RUN_ID`: cancels a run.
import type { Command } from 'commander';
import { registerRunSignal } from '../run-signal';

export function register(program: Command): void {
  registerRunSignal(program, 'cancel', 'cancel a run; finished results are kept');
}
