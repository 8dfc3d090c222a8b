// Network tools reach only public addresses: every resolved IP and every redirect hop is checked, and the
// connection goes to the IP that was checked (no second DNS answer). ORC_NET_ALLOW lists the exceptions.
import * as dns from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../base/failure-types';

/** Loopback, private, link-local (cloud metadata), shared, unspecified, multicast and reserved ranges. */
const REFUSED_RANGES: ReadonlyArray<[string, number, 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

const refused = new net.BlockList();
for (const [address, prefix, family] of REFUSED_RANGES) refused.addSubnet(address, prefix, family);

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return net.isIPv4(address) ? 'ipv4' : 'ipv6';
}

/** `::ffff:10.0.0.1` is 10.0.0.1. */
function unmapped(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match ? match[1]! : address;
}

/** The exceptions of ORC_NET_ALLOW: host names, IPs and CIDRs. */
export class NetworkPolicy {
  private readonly hosts = new Set<string>();
  private readonly addresses = new net.BlockList();

  constructor(allow: readonly string[]) {
    for (const entry of allow) {
      const [address, prefix] = entry.split('/');
      if (address !== undefined && net.isIP(address) !== 0) {
        if (prefix === undefined) this.addresses.addAddress(address, familyOf(address));
        else this.addresses.addSubnet(address, Number(prefix), familyOf(address));
      } else {
        this.hosts.add(entry.toLowerCase());
      }
    }
  }

  /** Why `address` (reached as `host`) is refused, or undefined when it may be reached. */
  refusal(host: string, address: string): string | undefined {
    if (this.hosts.has(host.toLowerCase())) return undefined;
    const ip = unmapped(address);
    if (this.addresses.check(ip, familyOf(ip))) return undefined;
    if (!refused.check(ip, familyOf(ip))) return undefined;
    return `${host}${host === address ? '' : ` (${address})`} is a loopback, private or link-local address`;
  }
}

export function networkRefused(url: string, why: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.NetworkRefused,
    nonRetryable: true,
    message: `refused to reach ${url}: ${why}; network tools reach only public addresses (a worker may allow others with ORC_NET_ALLOW=host,IP or CIDR)`,
  });
}

export interface GuardedRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Whole request, redirects included. */
  timeoutMs: number;
  /** Bytes of body read at most; more fails the call. */
  maxBytes: number;
  maxRedirects?: number;
  policy: NetworkPolicy;
  signal?: AbortSignal;
}

export interface GuardedResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Every URL that redirected, in order. */
  redirects: string[];
}

/** A lookup that answers only addresses the policy accepts, so the socket connects to a checked IP. */
function checkedLookup(policy: NetworkPolicy, url: string): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      for (const { address } of addresses) {
        const why = policy.refusal(hostname, address);
        if (why !== undefined) return callback(networkRefused(url, why) as unknown as NodeJS.ErrnoException, '', 0);
      }
      const first = addresses[0]!;
      if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

function onePass(target: URL, request: GuardedRequest, signal: AbortSignal): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(literal) !== 0) {
    const why = request.policy.refusal(literal, literal);
    if (why !== undefined) return Promise.reject(networkRefused(target.href, why));
  }
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = client.request(target, { method: request.method ?? 'GET', headers: request.headers, lookup: checkedLookup(request.policy, target.href), signal }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > request.maxBytes) {
          response.destroy();
          reject(ApplicationFailure.create({ type: FailureType.ToolFailed, nonRetryable: true, message: `${target.href} answered more than ${request.maxBytes} bytes: raise max_bytes to read it` }));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    outgoing.on('error', (error) => reject(error instanceof ApplicationFailure ? error : (error as { cause?: unknown }).cause instanceof ApplicationFailure ? (error as { cause: ApplicationFailure }).cause : error));
    outgoing.end(request.body);
  });
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value ?? '')]));
}

/** An HTTP(S) request that refuses private addresses at every hop and follows redirects itself. */
export async function guardedFetch(url: string, request: GuardedRequest): Promise<GuardedResponse> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const redirects: string[] = [];
  let target = new URL(url);
  let method = request.method ?? 'GET';
  let body = request.body;
  for (let hop = 0; ; hop++) {
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw networkRefused(target.href, `only http and https URLs are fetched`);
    let answer;
    try {
      answer = await onePass(target, { ...request, method, ...(body !== undefined ? { body } : {}) }, signal);
    } catch (error) {
      if (error instanceof ApplicationFailure) throw error;
      if (timeout.aborted) throw ApplicationFailure.create({ type: FailureType.ToolFailed, message: `${target.href} did not answer within ${request.timeoutMs} ms` });
      throw ApplicationFailure.create({ type: FailureType.ToolFailed, message: `could not fetch ${target.href}: ${(error as Error).message}` });
    }
    const location = answer.headers.location;
    if (answer.status >= 300 && answer.status < 400 && typeof location === 'string') {
      if (hop >= (request.maxRedirects ?? 5)) throw ApplicationFailure.create({ type: FailureType.ToolFailed, nonRetryable: true, message: `${url} redirected more than ${request.maxRedirects ?? 5} times` });
      redirects.push(target.href);
      target = new URL(location, target);
      if (answer.status === 303 || ((answer.status === 301 || answer.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      continue;
    }
    return { url: target.href, status: answer.status, headers: flatHeaders(answer.headers), body: answer.body, redirects };
  }
}
