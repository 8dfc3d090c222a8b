// `orc pause RUN_ID`: asks a run to start no new step.
import type { Command } from 'commander';
import { registerRunSignal } from '../run-signal';

export function register(program: Command): void {
  registerRunSignal(program, 'pause', 'no new step starts; running steps finish');
}
