// Runs the real `orc` command (bin/orc.js over the built dist/) as a user would, in a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const repositoryRoot = path.resolve(__dirname, '..', '..');
const orcBinary = path.join(repositoryRoot, 'bin', 'orc.js');

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a test's orc runs in: no TEMPORAL_ADDRESS unless the test gives one. */
export function orcEnvironment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env };
  delete environment.TEMPORAL_ADDRESS;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete environment[key];
    else environment[key] = value;
  }
  return environment;
}

export function startOrc(args: string[], environment: NodeJS.ProcessEnv = orcEnvironment()): ChildProcess & { output: CommandResult; done: Promise<CommandResult> } {
  const child = spawn(process.execPath, [orcBinary, ...args], { cwd: repositoryRoot, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: CommandResult = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const done = new Promise<CommandResult>((resolve) => {
    child.on('close', (code) => {
      output.code = code;
      resolve(output);
    });
  });
  return Object.assign(child, { output, done });
}

export function runOrc(args: string[], environment?: NodeJS.ProcessEnv): Promise<CommandResult> {
  return startOrc(args, environment).done;
}

export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
