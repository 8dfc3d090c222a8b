// An LLM call's answer so far, sent as heartbeat details: `orc run` and the Web UI's Pending Activities read it live.
import type { Context } from '@temporalio/activity';

/**
 * What a running LLM step heartbeats. Heartbeat details live on the pending activity, not in history (only the
 * last ones are kept, on a failed attempt), so streaming adds no events. Long answers send their tail: `offset`
 * is where `text` starts in the whole answer.
 */
export interface LiveTextDetails {
  step: string;
  /** The for_each item's index, or null. */
  item: number | null;
  /** 1 for the first model call of the attempt, 2 for the repair of invalid JSON, ... */
  call: number;
  offset: number;
  text: string;
}

/** Heartbeat details stay small: the server refuses large ones, and a viewer needs only what is new. */
const MAX_LIVE_CHARS = 16 * 1024;
/** Text is handed to the SDK at most this often (it sends heartbeats to the server less often still). */
const TEXT_INTERVAL_MS = 250;

export interface LiveText {
  /** The current model call's text so far (pass as a generate request's `onText`). */
  onText(textSoFar: string): void;
  /** A new model call of the same attempt starts (its text starts over). */
  nextCall(): void;
  stop(): void;
}

/**
 * Heartbeats every second, so a cancel reaches the call, and with each beat the latest text. The SDK throttles
 * heartbeats to the server (the worker's maxHeartbeatThrottleInterval), always sending the latest details.
 */
export function heartbeatLiveText(context: Context, step: string, item: number | null): LiveText {
  let details: LiveTextDetails | undefined;
  let call = 1;
  let lastSent = 0;
  const beat = (): void => (details ? context.heartbeat(details) : context.heartbeat());
  const timer = setInterval(beat, 1000);
  timer.unref();
  return {
    onText(textSoFar: string): void {
      const offset = Math.max(0, textSoFar.length - MAX_LIVE_CHARS);
      details = { step, item, call, offset, text: textSoFar.slice(offset) };
      const now = Date.now();
      if (now - lastSent < TEXT_INTERVAL_MS) return;
      lastSent = now;
      beat();
    },
    nextCall(): void {
      call += 1;
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}
