// `orc resume RUN_ID`: resumes a paused run.
import type { Command } from 'commander';
import { registerRunSignal } from '../run-signal';

export function register(program: Command): void {
  registerRunSignal(program, 'resume', 'resume a paused run');
}
