// web-search: a SearxNG instance's JSON API (ORC_SEARCH_URL), its results in the dialect's shape.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { FailureType } from '../base/failure-types';
import { readSettings } from '../base/settings';
import type { ToolContext, ToolModule } from './types';

const SEARCH_TIMEOUT_MS = 30_000;

const searchParameters = z.object({
  query: z.string().trim().min(1, 'must be the text to search for'),
  max_results: z.coerce.number().int().positive().max(100).default(10),
  /** SearxNG's categories (general, news, science, ...) and language. */
  categories: z.string().optional(),
  language: z.string().optional(),
  backend: z.string().optional(),
});

/** One result as SearxNG's JSON API gives it (fields orc reads). */
const searxResultSchema = z.looseObject({
  url: z.string(),
  title: z.string().default(''),
  content: z.string().default(''),
  engine: z.string().optional(),
  engines: z.array(z.string()).optional(),
  score: z.number().optional(),
});
const searxAnswerSchema = z.looseObject({ results: z.array(searxResultSchema) });

/** The SearxNG endpoint: ORC_SEARCH_URL with `/search` appended unless it names it already. */
function searchEndpoint(base: string): URL {
  const url = new URL(base);
  if (!url.pathname.endsWith('/search')) url.pathname = `${url.pathname.replace(/\/$/, '')}/search`;
  return url;
}

async function search(parameters: z.infer<typeof searchParameters>, context: ToolContext): Promise<Record<string, unknown>> {
  const base = readSettings(context.env).searchUrl!;
  const url = searchEndpoint(base);
  url.searchParams.set('q', parameters.query);
  url.searchParams.set('format', 'json');
  if (parameters.categories) url.searchParams.set('categories', parameters.categories);
  if (parameters.language) url.searchParams.set('language', parameters.language);
  // ORC_SEARCH_URL is the worker's own setting, not the pipeline's: it may be a private address.
  const response = await fetch(url, { signal: AbortSignal.any([context.signal, AbortSignal.timeout(SEARCH_TIMEOUT_MS)]), headers: { accept: 'application/json' } }).catch((error: unknown) => {
    throw ApplicationFailure.create({ type: FailureType.ToolFailed, message: `the search engine at ${url.origin} (ORC_SEARCH_URL) could not be reached: ${(error as Error).message}` });
  });
  if (!response.ok) {
    const hint = response.status === 403 ? ' (enable the json format under search.formats in its settings.yml)' : '';
    throw ApplicationFailure.create({ type: FailureType.ToolFailed, nonRetryable: response.status === 403, message: `the search engine at ${url.origin} answered HTTP ${response.status}${hint}` });
  }
  const parsed = searxAnswerSchema.safeParse(await response.json().catch(() => null));
  if (!parsed.success) throw ApplicationFailure.create({ type: FailureType.ToolFailed, message: `the search engine at ${url.origin} did not answer with SearxNG's JSON: ${parsed.error.issues[0]?.message ?? ''}` });
  const results = parsed.data.results.slice(0, parameters.max_results).map((result, index) => ({
    title: result.title,
    url: result.url,
    snippet: result.content,
    source: result.engine ?? result.engines?.[0] ?? new URL(result.url).hostname,
    relevance: result.score ?? 1 / (index + 1),
    rank: index + 1,
  }));
  return { query: parameters.query, results, total_results: results.length, backend: 'searxng' };
}

export const webSearchTool: ToolModule = {
  name: 'web-search',
  description: 'Searches the web through a SearxNG instance (ORC_SEARCH_URL): {query, results[{title,url,snippet,source,relevance,rank}], total_results, backend}.',
  actions: { search: { description: 'results for a query, best first', parameters: searchParameters, run: search } },
  defaultAction: 'search',
  availability: (env) => {
    const url = readSettings(env).searchUrl;
    if (url === undefined) return { available: false, reason: 'ORC_SEARCH_URL is not set: point it at a SearxNG instance with the JSON format enabled (e.g. ORC_SEARCH_URL=http://searxng:8080)' };
    if (!URL.canParse(url)) return { available: false, reason: `ORC_SEARCH_URL=${url} is not a URL` };
    return { available: true };
  },
};
