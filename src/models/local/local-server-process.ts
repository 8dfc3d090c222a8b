// Starts the local model server (dist/models/local/local-model-server.mjs) in a child process on demand and stops it when idle.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import type { Socket } from 'node:net';
import * as readline from 'node:readline';
import { localModelPath, localModelServerScript } from '../../base/paths';
import { readSettings } from '../../base/settings';

export interface LocalModelServerOptions {
  /** The GGUF file to serve; defaults to the model installed by setup (see localModelPath()). */
  modelPath?: string;
  /** Stop the server after this long without a baseUrl() call. Defaults to 10 minutes. */
  idleTimeoutMs?: number;
  /** Give up when the server has not said it is listening after this long. Defaults to 2 minutes. */
  startTimeoutMs?: number;
}

const listeningLine = /^orc-local-model listening on (http:\/\/\S+\/v1)\s*$/;
const stderrTailCharacters = 4000;

interface RunningServer {
  child: ChildProcess;
  baseUrl: Promise<string>;
  /** Set by stop(), so a caller still waiting for the start learns why it ended. */
  stopping: boolean;
  ready: boolean;
}

/**
 * One local model server process, started the first time someone needs its URL.
 *
 * Loading the model takes seconds and holds ~200 MB, so it is shared by every caller of this
 * object and dropped again when nobody has asked for it in a while.
 */
export class LocalModelServer {
  private readonly idleTimeoutMs: number;
  private readonly startTimeoutMs: number;
  private running: RunningServer | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private stderrTail = '';

  constructor(private readonly options: LocalModelServerOptions = {}) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 10 * 60 * 1000;
    this.startTimeoutMs = options.startTimeoutMs ?? 2 * 60 * 1000;
  }

  /** The server's OpenAI-compatible base URL (ending in /v1), starting the server if needed. */
  baseUrl(): Promise<string> {
    const external = readSettings().localModelUrl;
    if (external) return Promise.resolve(external);
    this.touch();
    if (!this.running) {
      try {
        this.running = this.start();
      } catch (error) {
        // Nothing was started, so the next call tries again instead of repeating this failure.
        return Promise.reject(error as Error);
      }
    }
    return this.running.baseUrl;
  }

  /** Stops the server process, if one runs, and waits for it to exit. */
  async stop(): Promise<void> {
    this.clearIdleTimer();
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    running.stopping = true;
    await terminate(running.child);
  }

  private touch(): void {
    this.clearIdleTimer();
    this.idleTimer = setTimeout(() => {
      // Loading the model can outlast a short idle timeout; the countdown restarts once it is ready.
      if (this.running && !this.running.ready) return;
      void this.stop();
    }, this.idleTimeoutMs);
    // Idleness alone must never keep the worker process alive.
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private start(): RunningServer {
    const script = localModelServerScript();
    if (!fs.existsSync(script)) {
      throw new Error(`The local model server script ${script} does not exist; run \`npm run build\` in the orchestrator checkout first.`);
    }
    const modelPath = this.options.modelPath ?? localModelPath();
    if (!fs.existsSync(modelPath)) throw new Error(`The local model file ${modelPath} does not exist.`);

    this.stderrTail = '';
    const threads = readSettings().localModelThreads;
    const options = [script, '--model', modelPath, '--port', '0', '--host', '127.0.0.1', '--watch-parent', ...(threads !== undefined ? ['--threads', String(threads)] : [])];
    const child = spawn(process.execPath, options, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killOnExit = (): void => {
      child.kill('SIGTERM');
    };
    // Our own exit must not leave a model server behind.
    process.on('exit', killOnExit);

    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-stderrTailCharacters);
    });

    const baseUrl = new Promise<string>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(startTimer);
        outcome();
      };
      const startTimer = setTimeout(() => {
        settle(() => reject(new Error(`The local model server did not start within ${this.startTimeoutMs} ms.${this.describeStderr()}`)));
        child.kill('SIGKILL');
      }, this.startTimeoutMs);

      const lines = readline.createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        const match = listeningLine.exec(line);
        if (!match?.[1]) return;
        const url = match[1];
        settle(() => {
          running.ready = true;
          this.touch();
          // From here on the server lives as long as its idle timer or our process, not longer.
          child.unref();
          (child.stdout as Socket | null)?.unref();
          (child.stderr as Socket | null)?.unref();
          resolve(url);
        });
      });
      child.on('error', (error) => {
        settle(() => reject(new Error(`Could not start the local model server (${process.execPath} ${script}): ${error.message}`)));
      });
      child.on('exit', (code, signal) => {
        process.removeListener('exit', killOnExit);
        if (this.running?.child === child) this.running = undefined;
        const how = running.stopping ? 'was stopped' : signal ? `was killed by ${signal}` : `exited with code ${code}`;
        settle(() => reject(new Error(`The local model server ${how} before it was ready.${this.describeStderr()}`)));
      });
    });
    const running: RunningServer = { child, baseUrl, stopping: false, ready: false };
    return running;
  }

  private describeStderr(): string {
    const lines = this.stderrTail.trimEnd().split('\n').slice(-20).join('\n');
    return lines ? `\nIts last output:\n${lines}` : '';
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const forceTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(forceTimer);
}
