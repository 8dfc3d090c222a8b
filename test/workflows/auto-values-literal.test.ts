// A decided AUTO value is data: template syntax in it reaches the step as text, never rendered again (spec section 5).
import { renderValue } from '../../src/activities/render';
import { applyResolutions } from '../../src/workflows/auto-application';
import { compileYaml } from '../helpers/compile';

test('an AUTO value holding {{ … }} renders as it was decided', () => {
  const pipeline = compileYaml(`
name: literal
steps:
  - id: chart
    action: plot
    parameters:
      caption: <AUTO>A caption</AUTO>
      labels: <AUTO type="array">Axis labels</AUTO>
`);
  const step = pipeline.steps[0]!;
  const decided = applyResolutions(step, [
    { path: 'steps.chart.parameters.caption', value: 'Count: {{ results.length }} {% if x %}', model: 'fake', usage: { input_tokens: 0, output_tokens: 0, cost_usd: 0 } },
    { path: 'steps.chart.parameters.labels', value: ['{{ a }}', 'plain'], model: 'fake', usage: { input_tokens: 0, output_tokens: 0, cost_usd: 0 } },
  ]);
  expect(renderValue(decided.parameters, {})).toEqual({ caption: 'Count: {{ results.length }} {% if x %}', labels: ['{{ a }}', 'plain'] });
});
