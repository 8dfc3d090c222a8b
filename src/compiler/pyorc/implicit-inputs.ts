// Names a dialect template reads that nothing declares. In the Python orchestrator every name comes from one flat
// context that `-i key=value` fills at run time, so such a name is an input the run must be given.
import { didYouMean, formatPath, type Diagnostic } from '../diagnostics';
import type { YamlPath } from '../source';
import { containsTemplate, parseTemplate, TEMPLATE_GLOBALS } from '../templates';
import { isPlainObject, type PlainObject } from '../values';
import type { TranslatedSource } from './positions';

/** Names a loop body binds (pyorc-dialect.md sections 2.4–2.5), and the native ones. */
const BOUND_NAMES: ReadonlySet<string> = new Set([
  'inputs',
  'steps',
  'failed',
  'loop',
  'item',
  'index',
  'iteration',
  'is_first',
  'is_last',
  'position',
  'length',
  'remaining',
  'has_next',
  'has_prev',
  'loop_id',
  'loop_name',
  'loop_state',
  'current_result',
  'now',
  'execution',
]);
/** Set by the Python orchestrator's runner (`-o DIR`); here an input with the runner's default. */
const OUTPUT_PATH = 'output_path';

interface Found {
  name: string;
  at: YamlPath;
  index: number;
}

function stepIdsOf(steps: unknown, ids: Set<string>): void {
  if (!Array.isArray(steps)) return;
  for (const step of steps) {
    if (!isPlainObject(step)) continue;
    if (typeof step.id === 'string') ids.add(step.id);
    stepIdsOf(step.steps, ids);
  }
}

function collect(value: unknown, at: YamlPath, found: Found[]): void {
  if (typeof value === 'string') {
    if (!containsTemplate(value)) return;
    const parsed = parseTemplate(value);
    if (parsed.ok) for (const reference of parsed.references) found.push({ name: reference.path[0]!, at, index: reference.index });
  } else if (Array.isArray(value)) value.forEach((item, index) => collect(item, [...at, index], found));
  else if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) if (key !== 'name' && key !== 'description') collect(item, [...at, key], found);
}

/** Declares, in `document.inputs`, every name the templates read that is neither an input, a step nor bound by a loop. */
export function declareImplicitInputs(document: PlainObject, pipelineId: string, source: TranslatedSource, notes: Diagnostic[]): void {
  if (!isPlainObject(document.inputs)) return; // no inputs at all: the native compiler already treats names as inputs
  const inputs = document.inputs;
  const known = new Set<string>([...Object.keys(inputs), ...BOUND_NAMES, ...TEMPLATE_GLOBALS]);
  stepIdsOf(document.steps, known);
  const found: Found[] = [];
  collect(document.steps, ['steps'], found);
  collect(document.outputs, ['outputs'], found);
  for (const { name, at, index } of found) {
    if (known.has(name)) continue;
    known.add(name);
    const position = source.positionInString(at, index);
    if (name === OUTPUT_PATH) {
      inputs[name] = { type: 'string', default: `examples/outputs/${pipelineId}`, description: 'Where files are written (the Python runner sets it with -o)' };
      notes.push({ code: 'NO_EFFECT', message: `'output_path' is not declared: it is an input with the Python runner's default 'examples/outputs/${pipelineId}'`, path: formatPath(at), ...position });
      continue;
    }
    inputs[name] = { type: 'string', required: true };
    const declared = Object.keys(inputs).filter((input) => input !== name);
    notes.push({
      code: 'NO_EFFECT',
      message: `'${name}' is not declared: it is read as an input the run must be given (-i ${name}=…)${didYouMean(name, declared)}`,
      path: formatPath(at),
      ...position,
    });
  }
}
