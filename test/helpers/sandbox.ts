// The sandbox containers a test's task queue made, as `docker ps -a` lists them ("NAME STATUS" lines).
import { execFileSync } from 'node:child_process';

export function sandboxContainers(taskQueue: string): string {
  return execFileSync('docker', ['ps', '-a', '--filter', `label=org.orchestrator.task-queue=${taskQueue}`, '--format', '{{.Names}} {{.Status}}'], { encoding: 'utf8' }).trim();
}
