// Bad `expect:` entries are author errors: each names FILE:LINE:COL and a code, all at once, before anything runs.
import { compilePipeline, formatDiagnostic } from '../../src/compiler';

const YAML = `name: bad_expect
inputs: { expected: string }
steps:
  - id: triage
    action: "Label: {{ inputs.expected }}"
    output_schema: { type: object, properties: { label: { type: string } }, required: [label] }
    expect:
      - equal: bug
      - equals: { path: lable, value: bug }
      - matches: "([a-z"
      - range: { path: label, min: 3, max: 1 }
      - judge: { threshold: 0.5 }
      - contains: "{{ inputs.expectd }}"
      - max_tokens: 0
    on_expect_fail: explode
  - id: plain
    action: "Say hi"
    on_expect_fail: warn
`;

test('every bad expect entry is reported with FILE:LINE:COL, a code and a did-you-mean', () => {
  const result = compilePipeline(YAML, { file: 'bad.yaml' });
  expect(result.ok).toBe(false);
  const lines = result.ok ? [] : result.diagnostics.map((diagnostic) => formatDiagnostic('bad.yaml', diagnostic)).sort();
  expect(lines).toHaveLength(9);
  expect(lines).toEqual(
    expect.arrayContaining([
      "bad.yaml:8:9: UNKNOWN_KEY unknown check 'equal' (did you mean 'equals'?); checks are equals, contains, not_contains, matches, range, max_tokens, judge",
      "bad.yaml:9:25: UNKNOWN_REFERENCE path 'lable' is not in the step's output_schema: it has no 'lable' (did you mean 'label'?)",
      expect.stringMatching(/^bad\.yaml:10:9: INVALID_VALUE 'matches' is not a valid regular expression/),
      "bad.yaml:11:36: INVALID_VALUE 'range' has min 3 above max 1",
      'bad.yaml:12:9: INVALID_VALUE \'judge\' needs a rubric: judge: { rubric: "...", model, threshold }',
      "bad.yaml:13:23: UNKNOWN_REFERENCE template refers to unknown input 'expectd' (did you mean 'expected'?)",
      "bad.yaml:14:9: INVALID_VALUE 'max_tokens' takes a whole number of output tokens, at least 1",
      expect.stringMatching(/^bad\.yaml:15:21: INVALID_VALUE 'steps\.0\.on_expect_fail' must be equal to one of the allowed values/),
      "bad.yaml:18:21: INVALID_VALUE 'on_expect_fail' needs 'expect' checks on the same step",
    ]),
  );
});

test('good checks compile into the step with their paths, templates as references, and on_expect_fail', () => {
  const result = compilePipeline(
    `name: good
steps:
  - id: triage
    action: "Label this"
    output_schema: { type: object, properties: { label: { type: string }, score: { type: number } } }
    expect:
      - equals: { path: label, value: "{{ expected }}" }
      - contains: bug
      - range: { path: score, max: 1 }
      - judge: "Is it right?"
    on_expect_fail: retry
`,
    { file: 'good.yaml' },
  );
  if (!result.ok) throw new Error(result.diagnostics.map((diagnostic) => formatDiagnostic('good.yaml', diagnostic)).join('\n'));
  const step = result.pipeline.steps[0]!;
  expect(step.expect).toEqual([
    { check: 'equals', path: 'label', value: '{{ expected }}' },
    { check: 'contains', path: null, value: 'bug' },
    { check: 'range', path: 'score', min: null, max: 1 },
    { check: 'judge', rubric: 'Is it right?', model: null, threshold: 0.7 },
  ]);
  expect(step.onExpectFail).toBe('retry');
  expect(step.references).toEqual([{ kind: 'input', name: 'expected' }]);
  expect(result.pipeline.inputs.expected).toMatchObject({ type: 'string', required: true });
});
