// Evidence bundles (spec section 10): the consensus of k replicate answers, how much they agree, and where they differ.
// Pure and deterministic: the workflow computes it from the replicates' recorded answers.
import { isPlainObject } from '../base/plain-object';

export type ConsensusMethod = 'majority' | 'medoid' | 'judge';

export interface ReplicateAnswer {
  value: unknown;
  model: string;
  status: 'completed' | 'failed';
  usage: { input_tokens: number; output_tokens: number; cost_usd: number };
  error?: string | null;
}

export interface Disagreement {
  /** `""` for a whole answer, else the field voted on. */
  path: string;
  /** Each distinct (normalised) answer and how many replicates gave it, the consensus first. */
  counts: Record<string, number>;
}

export interface Consensus {
  consensus: unknown;
  /** In [0, 1]: majority — share of successful replicates that match (an object: its lowest field); medoid — mean similarity. */
  agreement: number;
  method: ConsensusMethod;
  disagreements: Disagreement[];
}

/** Answers at most this long (every one) are voted on; longer free text takes the medoid. */
const SHORT_ANSWER_CHARACTERS = 40;

/** The form under which two answers count as the same vote: trimmed, case-folded text; numbers by value. */
export function normalizedVote(value: unknown): string {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    const number = Number(trimmed);
    if (trimmed !== '' && Number.isFinite(number)) return String(number);
    return trimmed.toLowerCase().replace(/\s+/g, ' ').replace(/[.!]+$/, '');
  }
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'undefined';
  return canonicalJson(value);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The method a step gets when it names none: majority for structured or short answers, medoid for free text. */
export function defaultMethod(values: unknown[], hasOutputSchema: boolean): 'majority' | 'medoid' {
  if (hasOutputSchema) return 'majority';
  const short = values.every((value) => typeof value !== 'string' || value.trim().length <= SHORT_ANSWER_CHARACTERS);
  return short ? 'majority' : 'medoid';
}

interface Vote {
  winner: unknown;
  share: number;
  counts: Record<string, number>;
}

/** The most frequent answer (the earliest on a tie), its share, and the tally with the winner first. */
function vote(values: unknown[]): Vote {
  const tally = new Map<string, { count: number; first: unknown; order: number }>();
  values.forEach((value, order) => {
    const key = normalizedVote(value);
    const entry = tally.get(key);
    if (entry) entry.count++;
    else tally.set(key, { count: 1, first: value, order });
  });
  const ranked = [...tally.entries()].sort(([, a], [, b]) => b.count - a.count || a.order - b.order);
  const [, best] = ranked[0]!;
  return { winner: best.first, share: best.count / values.length, counts: Object.fromEntries(ranked.map(([key, entry]) => [key, entry.count])) };
}

/** Majority vote; an object answer is voted field by field. */
export function majority(values: unknown[]): Consensus {
  if (values.length === 0) throw new Error('no answers to vote on');
  if (values.every(isPlainObject)) {
    const objects = values as Array<Record<string, unknown>>;
    const fields = [...new Set(objects.flatMap((object) => Object.keys(object)))];
    const consensus: Record<string, unknown> = {};
    const disagreements: Disagreement[] = [];
    let agreement = 1;
    for (const field of fields) {
      const present = objects.filter((object) => object[field] !== undefined).map((object) => object[field]);
      const fieldVote = vote(present);
      consensus[field] = fieldVote.winner;
      // A replicate without the field does not match the consensus for it.
      const share = (fieldVote.counts[normalizedVote(fieldVote.winner)] ?? 0) / objects.length;
      agreement = Math.min(agreement, share);
      if (Object.keys(fieldVote.counts).length > 1 || present.length < objects.length) disagreements.push({ path: field, counts: fieldVote.counts });
    }
    return { consensus, agreement, method: 'majority', disagreements };
  }
  const whole = vote(values);
  return {
    consensus: whole.winner,
    agreement: whole.share,
    method: 'majority',
    disagreements: Object.keys(whole.counts).length > 1 ? [{ path: '', counts: whole.counts }] : [],
  };
}

function words(value: unknown): string[] {
  const text = typeof value === 'string' ? value : canonicalJson(value);
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Lexical similarity in [0, 1]: cosine of word and word-pair counts (works offline, no embeddings). */
export function similarity(a: unknown, b: unknown): number {
  const features = (value: unknown): Map<string, number> => {
    const tokens = words(value);
    const counts = new Map<string, number>();
    const add = (feature: string): void => void counts.set(feature, (counts.get(feature) ?? 0) + 1);
    tokens.forEach((token, index) => {
      add(token);
      if (index > 0) add(`${tokens[index - 1]} ${token}`);
    });
    return counts;
  };
  const left = features(a);
  const right = features(b);
  if (left.size === 0 && right.size === 0) return 1;
  let dot = 0;
  for (const [feature, count] of left) dot += count * (right.get(feature) ?? 0);
  const norm = (counts: Map<string, number>): number => Math.sqrt([...counts.values()].reduce((sum, count) => sum + count * count, 0));
  const denominator = norm(left) * norm(right);
  return denominator === 0 ? 0 : Math.min(1, dot / denominator);
}

/** The answer most similar to the others; agreement is its mean similarity to them. */
export function medoid(values: unknown[]): Consensus {
  if (values.length === 0) throw new Error('no answers to choose from');
  if (values.length === 1) return { consensus: values[0], agreement: 1, method: 'medoid', disagreements: [] };
  let best = 0;
  let bestMean = -1;
  values.forEach((value, index) => {
    const others = values.filter((_, other) => other !== index);
    const mean = others.reduce((sum: number, other: unknown) => sum + similarity(value, other), 0) / others.length;
    if (mean > bestMean) {
      best = index;
      bestMean = mean;
    }
  });
  return { consensus: values[best], agreement: bestMean, method: 'medoid', disagreements: [] };
}

/** How well a judge's answer is borne out by the replicates: exact share for short/structured answers, else mean similarity. */
export function judgedAgreement(answer: unknown, values: unknown[], structured: boolean): number {
  if (values.length === 0) return 0;
  if (structured || defaultMethod([answer, ...values], false) === 'majority') {
    const target = normalizedVote(answer);
    return values.filter((value) => normalizedVote(value) === target).length / values.length;
  }
  return values.reduce((sum: number, value: unknown) => sum + similarity(answer, value), 0) / values.length;
}

/** The name under which a judge's template reads the replicates' answers (never a step id: ids start with a letter). */
export const JUDGE_ANSWERS = '__replicates';

/**
 * The judge's prompt template: the step's own task (a template the compiler checked) and the answers, which reach the
 * prompt as data through JUDGE_ANSWERS — text a model wrote is never rendered as a template.
 */
export function judgeTemplate(task: string): string {
  return `Several answers were given to this task:\n\n${task}\n\n{{ ${JUDGE_ANSWERS}.result }}\n\nRead them all and write the single best answer to the task. Give only the answer.`;
}

/** The answers as the judge reads them. */
export function judgeAnswers(values: unknown[]): string {
  return values.map((value, index) => `Answer ${index + 1}:\n${typeof value === 'string' ? value : JSON.stringify(value)}`).join('\n\n');
}
