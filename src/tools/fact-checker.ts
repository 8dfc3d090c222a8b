// fact-checker: each claim searched on the web (the web-search tool, when the worker has ORC_SEARCH_URL) and judged
// by a model against what the search found: supported, refuted or unverifiable, with the sources it used.
import { z } from 'zod';
import { FailureType } from '../base/failure-types';
import { toolFailure, invalidParameters } from './tool-failure';
import type { ToolContext, ToolModule } from './types';
import { webSearchTool } from './web-search';

const parameters = z.looseObject({
  claim: z.string().optional(),
  claims: z.union([z.array(z.string()), z.string()]).optional(),
  statement: z.string().optional(),
  text: z.string().optional(),
  /** A model spec (`openai:gpt-4o-mini`, `local`, `echo` ...); default ORC_FACT_CHECK_MODEL, else `local`. */
  model: z.string().optional(),
  max_results: z.number().int().min(1).max(10).optional(),
  /** false: judge without searching. */
  search: z.boolean().optional(),
});
type Parameters = z.infer<typeof parameters>;

const VERDICT_SCHEMA = {
  type: 'object',
  properties: {
    verdict: { type: 'string', enum: ['supported', 'refuted', 'unverifiable'] },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    explanation: { type: 'string' },
  },
  required: ['verdict', 'confidence', 'explanation'],
  additionalProperties: false,
};

interface Source {
  title: string;
  url: string;
  snippet: string;
}

function claimsOf(parameters: Parameters): string[] {
  const given = parameters.claims ?? parameters.claim ?? parameters.statement ?? parameters.text;
  const list = Array.isArray(given) ? given : typeof given === 'string' ? (parameters.claims !== undefined ? given.split('\n') : [given]) : [];
  const claims = list.map((claim) => claim.replace(/^\s*([-*]|\d+[.)])\s*/, '').trim()).filter(Boolean);
  if (claims.length === 0) throw invalidParameters('the step has no `claim` (or `claims`: a list, or one claim a line) to check');
  return claims;
}

async function evidenceFor(claim: string, parameters: Parameters, context: ToolContext): Promise<Source[] | undefined> {
  if (parameters.search === false || !(await webSearchTool.availability(context.env)).available) return undefined;
  const answer = await webSearchTool.actions.search!.run(webSearchTool.actions.search!.parameters.parse({ query: claim, max_results: parameters.max_results ?? 5 }), context);
  const results = (answer.results ?? []) as Array<{ title?: string; url?: string; snippet?: string }>;
  return results.map((result) => ({ title: result.title ?? '', url: result.url ?? '', snippet: result.snippet ?? '' }));
}

function prompt(claim: string, sources: Source[] | undefined): string {
  const evidence = sources === undefined
    ? 'No web search was available: judge from what you reliably know, and say "unverifiable" when unsure.'
    : sources.length === 0
      ? 'The web search found nothing for this claim.'
      : sources.map((source, index) => `[${index + 1}] ${source.title} (${source.url})\n${source.snippet}`).join('\n\n');
  return `Check this claim against the evidence.\n\nClaim: ${claim}\n\nEvidence:\n${evidence}\n\nAnswer with the verdict (supported, refuted or unverifiable), your confidence from 0 to 1, and a one-paragraph explanation citing the evidence by number.`;
}

async function check(parameters: Parameters, context: ToolContext): Promise<Record<string, unknown>> {
  const models = context.services?.models;
  if (!models) throw toolFailure(FailureType.ToolUnavailable, 'this worker lends tools no models: run fact-checker on an orc worker');
  // A dry run asks the echo model, as its model steps do.
  const spec = context.dryRun ? 'echo' : (parameters.model ?? context.env.ORC_FACT_CHECK_MODEL ?? 'local');
  const model = models.resolve(spec);
  const checked: Array<{ claim: string; verdict: string; confidence: number; explanation: string; sources: Source[]; searched: boolean }> = [];
  for (const claim of claimsOf(parameters)) {
    const sources = await evidenceFor(claim, parameters, context);
    const answer = await model.generate({ messages: [{ role: 'user', content: prompt(claim, sources) }], jsonSchema: VERDICT_SCHEMA, temperature: 0, signal: context.signal });
    const judged = (answer.json ?? {}) as { verdict?: string; confidence?: number; explanation?: string };
    checked.push({ claim, verdict: judged.verdict ?? 'unverifiable', confidence: judged.confidence ?? 0, explanation: judged.explanation ?? '', sources: sources ?? [], searched: sources !== undefined });
    context.heartbeat({ checked: checked.length });
  }
  const count = (verdict: string): number => checked.filter((each) => each.verdict === verdict).length;
  return {
    claims: checked,
    verdict: checked.length === 1 ? checked[0]!.verdict : count('refuted') > 0 ? 'refuted' : count('unverifiable') > 0 ? 'unverifiable' : 'supported',
    supported_count: count('supported'),
    refuted_count: count('refuted'),
    unverifiable_count: count('unverifiable'),
    model: model.id,
  };
}

export const factCheckerTool: ToolModule = {
  name: 'fact-checker',
  description: 'Claims searched on the web (web-search, when ORC_SEARCH_URL is set) and judged by a model: supported, refuted or unverifiable, with sources',
  actions: { check: { description: 'Checks `claim` or each of `claims` with `model` (default ORC_FACT_CHECK_MODEL, else local)', parameters, run: check } },
  defaultAction: 'check',
  availability: () => ({ available: true }),
};
