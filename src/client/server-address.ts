// Where the commands that talk to a running server find it, and what the foreground commands share.
import { readSettings } from '../base/settings';
import { defaultDevServerPort } from '../worker/dev-server';
import { metricsPortFrom } from '../worker/telemetry';
import { usageError } from './exit-code';
import { Orchestrator } from './orchestrator';

/** TEMPORAL_ADDRESS, else the embedded dev server's address on this machine. */
export function temporalAddress(): string {
  return readSettings().temporalAddress ?? `127.0.0.1:${defaultDevServerPort()}`;
}

/** A client for commands that control runs: it starts no worker. */
export function controlClient(): Orchestrator {
  return new Orchestrator({ address: temporalAddress(), worker: false });
}

/** The Web UI of an embedded dev server, as a browser names it: the origins a codec server lets through CORS. */
export function uiOrigins(uiPort: number): string[] {
  return [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`];
}

export function metricsPortOrExit(flag: string | undefined): number | undefined {
  try {
    return metricsPortFrom(flag);
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

/** Resolves on Ctrl-C or SIGTERM: a foreground command then shuts down what it started. */
export async function untilSignal(): Promise<void> {
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
