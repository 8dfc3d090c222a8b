// http-client: one HTTP(S) request to a public address, with a timeout and a size limit (net-guard checks every hop).
import { z } from 'zod';
import { readSettings } from '../base/settings';
import { guardedFetch, NetworkPolicy } from './net-guard';
import type { ToolContext, ToolModule } from './types';

const DEFAULT_TIMEOUT_SECONDS = 30;
const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;

const requestParameters = z.object({
  url: z.string().url('must be an http or https URL'),
  method: z.string().default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  /** Text as it is; any other value is sent as JSON. */
  body: z.unknown().optional(),
  query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  timeout: z.number().positive().default(DEFAULT_TIMEOUT_SECONDS),
  max_bytes: z.number().int().positive().default(DEFAULT_MAX_BYTES),
  max_redirects: z.number().int().min(0).max(20).default(5),
});
type RequestParameters = z.infer<typeof requestParameters>;

function withQuery(url: string, query: RequestParameters['query']): string {
  if (!query) return url;
  const target = new URL(url);
  for (const [name, value] of Object.entries(query)) target.searchParams.set(name, String(value));
  return target.href;
}

async function request(parameters: RequestParameters, context: ToolContext, method?: string): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { 'user-agent': 'orc-http-client', ...parameters.headers };
  let body: string | undefined;
  if (parameters.body !== undefined && parameters.body !== null) {
    body = typeof parameters.body === 'string' ? parameters.body : JSON.stringify(parameters.body);
    if (typeof parameters.body !== 'string' && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const response = await guardedFetch(withQuery(parameters.url, parameters.query), {
    method: (method ?? parameters.method).toUpperCase(),
    headers,
    ...(body !== undefined ? { body } : {}),
    timeoutMs: parameters.timeout * 1000,
    maxBytes: parameters.max_bytes,
    maxRedirects: parameters.max_redirects,
    policy: new NetworkPolicy(readSettings(context.env).netAllow),
    signal: context.signal,
  });
  const content = response.body.toString('utf8');
  let json: unknown;
  if (/\bjson\b/i.test(response.headers['content-type'] ?? '')) {
    try {
      json = JSON.parse(content) as unknown;
    } catch {
      json = undefined;
    }
  }
  const ok = response.status >= 200 && response.status < 400;
  return {
    url: response.url,
    status: response.status,
    status_code: response.status,
    headers: response.headers,
    content,
    ...(json !== undefined ? { json } : {}),
    size: response.body.length,
    redirects: response.redirects,
    success: ok,
    ...(ok ? {} : { error: `HTTP ${response.status} from ${response.url}` }),
  };
}

export const httpClientTool: ToolModule = {
  name: 'http-client',
  description: 'One HTTP(S) request to a public address (loopback, private and link-local refused unless ORC_NET_ALLOW lists them).',
  actions: {
    request: { description: 'any method: {status, headers, content, json?, size}', parameters: requestParameters, run: (parameters, context) => request(parameters, context) },
    get: { description: 'a GET', parameters: requestParameters, run: (parameters, context) => request(parameters, context, 'GET') },
    post: { description: 'a POST (body as text, or JSON)', parameters: requestParameters, run: (parameters, context) => request(parameters, context, 'POST') },
  },
  defaultAction: 'request',
  availability: () => ({ available: true }),
};
