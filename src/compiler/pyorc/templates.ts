// The dialect's template names, rewritten into the ones the native engine renders (pyorc-dialect.md section 3).
import { containsTemplate, parseTemplate } from '../templates';

/** Run facts the dialect reads as `execution.X`; the engine has them from the global function `execution()`. */
export const EXECUTION_FIELDS: ReadonlySet<string> = new Set(['id', 'started_at', 'timestamp', 'date', 'time']);

export interface TemplateNames {
  /** Steps whose result is a model's text: a bare `{{ step }}` means that text (`{{ step.result }}`). */
  textSteps: ReadonlySet<string>;
  /** Inputs and step ids: a run fact's bare name (`timestamp`) is rewritten only when nothing declares it. */
  declared: ReadonlySet<string>;
  /** The pipeline's id, for `{{ pipeline_id }}`. */
  pipelineId: string;
}

/** Bare names the Python orchestrator's runtime context holds (pyorc-dialect.md section 3, "Run"). */
const RUN_FACTS: Record<string, string> = {
  timestamp: 'execution().timestamp',
  current_timestamp: 'execution().timestamp',
  execution_id: 'execution().id',
};

/** `{{ … }}` and `{% … %}` blocks (with their `-` trim markers), where names are rewritten; text outside is left alone. */
const BLOCK = /\{\{-?[\s\S]*?-?\}\}|\{%-?[\s\S]*?-?%\}/g;

/**
 * `a if x else b if y else c`: Jinja chains inline ifs, Nunjucks reads only one `else` branch. Everything after
 * the first top-level `else` is put in parentheses, so the chain parses (and means the same).
 */
function chainedInlineIfs(block: string): string {
  const match = /^(\{\{-?)([\s\S]*?)(-?\}\})$/.exec(block);
  if (!match) return block;
  const expression = match[2]!;
  const elses: number[] = [];
  let depth = 0;
  let quote: string | undefined;
  for (let index = 0; index < expression.length; index++) {
    const character = expression[index]!;
    if (quote) {
      if (character === '\\') index++;
      else if (character === quote) quote = undefined;
    } else if (character === "'" || character === '"') quote = character;
    else if ('([{'.includes(character)) depth++;
    else if (')]}'.includes(character)) depth--;
    else if (depth === 0 && /\selse\s/.test(expression.slice(index - 1, index + 5)) && expression.startsWith('else', index)) elses.push(index);
  }
  if (elses.length < 2) return block;
  const cut = elses[0]! + 'else'.length;
  const rest = chainedInlineIfs(`{{${expression.slice(cut)}}}`).slice(2, -2);
  return `${match[1]}${expression.slice(0, cut)} (${rest.trim()}) ${match[3]}`;
}

/** Rewrites names in the expressions of one block; string literals inside it are kept as written. */
function rewriteExpression(block: string, names: TemplateNames, inForLoop: boolean): string {
  return block.replace(/('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|([^'"]+)/g, (_whole, literal: string | undefined, code: string | undefined) => {
    if (literal !== undefined) return literal;
    return code!
      .replace(/\$results\./g, 'steps.')
      .replace(/\$([A-Za-z_]\w*)/g, '$1')
      .replace(/(^|[^\w.])parameters\./g, '$1inputs.')
      .replace(/(^|[^\w.])execution\s*\[/g, '$1execution()[')
      .replace(/(^|[^\w.])execution\.([A-Za-z_]\w*)/g, (whole, before: string, field: string) =>
        EXECUTION_FIELDS.has(field) ? `${before}execution().${field}` : whole,
      )
      .replace(/(^|[^\w.$])(timestamp|current_timestamp|execution_id|pipeline_id)\b(?!\s*[.(=])/g, (whole, before: string, name: string) => {
        if (names.declared.has(name)) return whole;
        return `${before}${name === 'pipeline_id' ? JSON.stringify(names.pipelineId) : RUN_FACTS[name]}`;
      })
      // Jinja's `loop.index` outside a `{% for %}` is undefined there; in a loop body the dialect means the iteration.
      .replace(/(^|[^\w.])loop\.index0\b/g, (whole, before: string) => (inForLoop ? whole : `${before}index`))
      .replace(/(^|[^\w.])loop\.index\b/g, (whole, before: string) => (inForLoop ? whole : `${before}(index + 1)`))
      .replace(/(^|[^\w.])True\b/g, '$1true')
      .replace(/(^|[^\w.])False\b/g, '$1false')
      .replace(/(^|[^\w.])None\b/g, '$1none')
      // Jinja's `join` without a separator joins with nothing; the dialect's own `join` uses ', '.
      .replace(/\|\s*join\b(?!\s*\()/g, "| join(', ')");
  });
}

/**
 * Rewrites a dialect template: `$item`/`$index`/`$iteration`/… → `item`/`index`/`iteration`, `parameters.x` →
 * `inputs.x`, `execution.timestamp` → `execution().timestamp`, `$results.s` → `steps.s`, Python's True/False/None,
 * `| join` → `| join(', ')`, and a bare `{{ step }}` of a model step → `{{ step.result }}`.
 */
export function rewriteTemplate(text: string, names: TemplateNames): string {
  if (!containsTemplate(text)) return text;
  const inForLoop = /\{%-?\s*for\b/.test(text);
  const rewritten = text.replace(BLOCK, (block) => rewriteExpression(chainedInlineIfs(block), names, inForLoop));
  return textStepResults(rewritten, names.textSteps);
}

/** `{{ analyze }}` where analyze is a model step: its text, as the dialect renders it. */
function textStepResults(text: string, textSteps: ReadonlySet<string>): string {
  if (textSteps.size === 0) return text;
  const parsed = parseTemplate(text);
  if (!parsed.ok) return text;
  const bare = parsed.references
    .filter((reference) => reference.path.length === 1 && textSteps.has(reference.path[0]!))
    .map((reference) => ({ end: reference.index + reference.path[0]!.length, name: reference.path[0]! }))
    .filter((reference) => text.slice(reference.end - reference.name.length, reference.end) === reference.name && !/^\s*[.[(]/.test(text.slice(reference.end)))
    .sort((a, b) => b.end - a.end);
  let result = text;
  for (const reference of bare) result = `${result.slice(0, reference.end)}.result${result.slice(reference.end)}`;
  return result;
}

/** Rewrites every string inside a value (parameters, outputs). */
export function rewriteValue(value: unknown, names: TemplateNames): unknown {
  if (typeof value === 'string') return rewriteTemplate(value, names);
  if (Array.isArray(value)) return value.map((item) => rewriteValue(item, names));
  if (typeof value === 'object' && value !== null) {
    // A bare `<AUTO>` (the model chooses) is a tag whose description is the key it fills.
    const bare = (item: unknown): boolean => typeof item === 'string' && /^\s*<AUTO>\s*$/.test(item);
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, bare(item) ? `<AUTO>Choose the ${key.replace(/_/g, ' ')}</AUTO>` : rewriteValue(item, names)]),
    );
  }
  return value;
}

/**
 * A dialect condition as one native `when` template. The dialect renders the `{{ }}` parts, then evaluates the
 * result as a Python expression (`'x' in {{ list }}`, `{{ a }} > 3 and {{ b }}`); here the parts become
 * sub-expressions of one Nunjucks expression, so values keep their types instead of being compared as text.
 */
export function conditionExpression(condition: string, names: TemplateNames): string | boolean {
  const trimmed = condition.trim();
  if (/^(true|yes|1)$/i.test(trimmed)) return true;
  if (/^(false|no|0)$/i.test(trimmed)) return false;
  const whole = /^\{\{([\s\S]*)\}\}$/.exec(trimmed);
  if (whole && !whole[1]!.includes('}}')) return rewriteTemplate(trimmed, names);
  if (trimmed.includes('{%')) return rewriteTemplate(trimmed, names);
  const expression = trimmed
    .replace(/\{\{-?([\s\S]*?)-?\}\}/g, (_whole, inner: string) => `(${inner.trim()})`)
    .replace(/&&/g, ' and ')
    .replace(/\|\|/g, ' or ')
    .replace(/(^|[^=!<>])!(?!=)/g, '$1not ');
  return rewriteTemplate(`{{ ${expression} }}`, names);
}
