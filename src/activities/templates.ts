// Activities that render values outside any step: the run's outputs and `when` conditions.
import { renderText, renderValue, templateScope } from './render';
import type { ConditionUnevaluated, EvaluateConditionInput, RenderValuesInput } from './types';

const FALSE_TEXTS = new Set(['', 'false', '0', 'no', 'none', 'null', 'undefined']);

export function createTemplateActivities() {
  return {
    /** Renders each value on its own, so one that cannot render does not lose the others. */
    async renderValues(input: RenderValuesInput): Promise<{ values: Record<string, unknown>; errors: Record<string, string> }> {
      const scope = templateScope(input.context);
      const values: Record<string, unknown> = {};
      const errors: Record<string, string> = {};
      for (const [name, value] of Object.entries(input.values)) {
        try {
          values[name] = renderValue(value, scope);
        } catch (error) {
          errors[name] = error instanceof Error ? error.message : String(error);
        }
      }
      return { values, errors };
    },
    async evaluateCondition(input: EvaluateConditionInput): Promise<boolean | ConditionUnevaluated> {
      let text: string;
      try {
        text = renderText(input.expression, templateScope(input.context));
      } catch (error) {
        if (!input.errorSkips) throw error;
        return { proceed: false, error: error instanceof Error ? error.message : String(error) };
      }
      return !FALSE_TEXTS.has(text.trim().toLowerCase());
    },
  };
}
