// `orc codec-server`: Temporal's codec-server protocol over the run store, so the Web UI shows stored values in full.
import { timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload } from '@temporalio/common';
import type { RunStore } from './run-store';
import { resolveStoredPayload } from './stored-payloads';

/** A payload as the protocol carries it: protobuf JSON, bytes in base64. */
interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

function fromJson(payload: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, new Uint8Array(Buffer.from(value, 'base64'))])),
    data: new Uint8Array(Buffer.from(payload.data ?? '', 'base64')),
  };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export interface CodecServerOptions {
  store: RunStore;
  host?: string;
  port?: number;
  /** Required when `host` is not loopback: requests must send `Authorization: Bearer TOKEN`. */
  token?: string;
  /** Origins allowed by CORS (the Web UI's), e.g. http://localhost:8233. */
  allowedOrigins: string[];
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

function authorised(request: http.IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = Buffer.from(request.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function readBody(request: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token) {
    throw new Error(`the codec server serves stored values: to listen on ${host} (not loopback), set ORC_CODEC_TOKEN; clients then send "Authorization: Bearer TOKEN"`);
  }

  const server = http.createServer((request, response) => {
    const origin = request.headers.origin;
    if (origin && options.allowedOrigins.includes(origin)) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Allow-Credentials', 'true');
      response.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      response.setHeader('Vary', 'Origin');
    }
    const send = (status: number, body: unknown): void => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'OPTIONS') {
      response.writeHead(204);
      response.end();
      return;
    }
    // The protocol: only the last part of the path says which endpoint.
    const endpoint = (request.url ?? '').split('?')[0]!.split('/').pop();
    if (request.method !== 'POST' || (endpoint !== 'decode' && endpoint !== 'encode')) {
      send(404, { error: 'POST /decode or /encode' });
      return;
    }
    if (!authorised(request, options.token)) {
      send(401, { error: 'missing or wrong Authorization: Bearer token (ORC_CODEC_TOKEN)' });
      return;
    }
    void (async () => {
      try {
        const body = JSON.parse(await readBody(request)) as { payloads?: JsonPayload[] };
        const payloads = (body.payloads ?? []).map(fromJson);
        // Encoding is the identity: what the UI encodes is what a user typed (a signal's arguments), far below the
        // threshold; orc's own workers and clients store large payloads themselves.
        const converted = endpoint === 'decode' ? await Promise.all(payloads.map((payload) => resolveStoredPayload(payload, options.store))) : payloads;
        send(200, { payloads: converted.map(toJson) });
      } catch (error) {
        send(400, { error: (error as Error).message });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
