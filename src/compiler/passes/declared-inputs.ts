// Pass: the `inputs` the file declares, as InputSpecs with where each is declared.
import type { CompileContext } from '../context';
import type { InputSpec, InputType } from '../../base/compiled-pipeline';
import { isPlainObject } from '../values';
import { INPUT_TYPES } from './structure';

export function declaredInputs(context: CompileContext): Record<string, InputSpec> {
  const raw = context.document.inputs;
  const inputs: Record<string, InputSpec> = {};
  if (!isPlainObject(raw)) return inputs;
  for (const [name, spec] of Object.entries(raw)) {
    const position = context.source.positionOfKey(['inputs'], name);
    const declaredAt = { ...position, path: `inputs.${name}` };
    if (typeof spec === 'string' && INPUT_TYPES.has(spec)) {
      inputs[name] = { type: spec as InputType, required: false, declaredAt };
    } else if (isPlainObject(spec)) {
      const type = typeof spec.type === 'string' && INPUT_TYPES.has(spec.type) ? (spec.type as InputType) : 'string';
      inputs[name] = {
        type,
        required: spec.required === true,
        ...(spec.default !== undefined ? { default: spec.default } : {}),
        ...(Array.isArray(spec.enum) ? { enum: spec.enum } : {}),
        ...(typeof spec.description === 'string' ? { description: spec.description } : {}),
        declaredAt,
      };
    } else {
      // A bad declaration is reported by the schema check; keep the name so templates using it are not also wrong.
      inputs[name] = { type: 'string', required: false, declaredAt };
    }
  }
  return inputs;
}
