// Headless Chromium (Debian's, or ORC_CHROMIUM) through playwright-core, one fresh profile per call. Every request
// the page makes is fetched by the worker through the network guard (every address and every redirect hop
// checked, ORC_NET_ALLOW the exceptions); anything but http(s), data: and blob: is refused.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Route } from 'playwright-core';
import { readSettings } from '../base/settings';
import { guardedFetch, NetworkPolicy, networkRefused } from './net-guard';
import type { Availability } from './types';

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/** Bytes of one response the page may receive. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Response headers the worker's fetch already dealt with. */
const HOP_HEADERS = new Set(['content-encoding', 'transfer-encoding', 'content-length', 'connection', 'keep-alive']);

export function chromiumPath(env: NodeJS.ProcessEnv): string {
  return env.ORC_CHROMIUM ?? '/usr/bin/chromium';
}

export function chromiumAvailability(env: NodeJS.ProcessEnv): Availability {
  const executable = chromiumPath(env);
  if (fs.existsSync(executable)) return { available: true };
  return { available: false, reason: `no Chromium at ${executable}: run \`bash scripts/setup-ops-tools.sh\` (Debian's chromium), or set ORC_CHROMIUM to a Chromium binary` };
}

export interface BrowserSession {
  context: BrowserContext;
  /** The first address the guard refused, if any (a page whose own URL is refused fails; its sub-resources are just left out). */
  refusals: Error[];
}

/** Runs `body` with a fresh browser profile whose every request goes through the network guard; closes all after. */
export async function withBrowser<T>(env: NodeJS.ProcessEnv, signal: AbortSignal, body: (session: BrowserSession) => Promise<T>): Promise<T> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(env),
    headless: true,
    args: FLAGS,
    serviceWorkers: 'block',
    acceptDownloads: false,
  });
  const session: BrowserSession = { context, refusals: [] };
  const policy = new NetworkPolicy(readSettings(env).netAllow);
  const close = (): void => void context.close().catch(() => undefined);
  signal.addEventListener('abort', close, { once: true });
  try {
    await context.route('**/*', (route) => guardedRoute(route, policy, session, signal));
    await context.routeWebSocket(/.*/, (socket) => socket.close({ code: 1008, reason: 'orc: web sockets are not opened by tools' }));
    return await body(session);
  } finally {
    signal.removeEventListener('abort', close);
    await context.close().catch(() => undefined);
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

async function guardedRoute(route: Route, policy: NetworkPolicy, session: BrowserSession, signal: AbortSignal): Promise<void> {
  const request = route.request();
  const url = request.url();
  const scheme = url.slice(0, url.indexOf(':') + 1);
  if (scheme === 'data:' || scheme === 'blob:') return route.continue();
  if (scheme !== 'http:' && scheme !== 'https:') {
    session.refusals.push(networkRefused(url, `${scheme} URLs are not fetched by the browser`));
    return route.abort('blockedbyclient');
  }
  try {
    const headers = Object.fromEntries(Object.entries(await request.allHeaders()).filter(([name]) => !name.startsWith(':') && name !== 'accept-encoding'));
    const answer = await guardedFetch(url, {
      method: request.method(),
      headers: { ...headers, 'accept-encoding': 'identity' },
      ...(request.postData() !== null ? { body: request.postData()! } : {}),
      timeoutMs: 30_000,
      maxBytes: MAX_RESPONSE_BYTES,
      policy,
      signal,
    });
    const kept = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_HEADERS.has(name)));
    await route.fulfill({ status: answer.status, headers: kept, body: answer.body });
  } catch (error) {
    session.refusals.push(error as Error);
    await route.abort('blockedbyclient').catch(() => undefined);
  }
}
