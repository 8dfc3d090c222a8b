// Compiler fuzzing on pipelines generated from the language's grammar (spec sections 1–4), valid and not:
// compilePipeline never throws, answers within a second, and every diagnostic has a line:column inside the file.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { compilePipeline } from '../../src/compiler';
import { checkCompile } from './fuzz-checks';

/** A clean pipeline keeps `replicates` only where the language allows it: a model step without `for_each`. */
function withLegalReplicates<T extends Record<string, unknown>>(step: T): T {
  const builtIn = ['run_code', 'mcp', 'approval', 'pipeline', 'agent', 'agents'].includes(String(step.action));
  if (step.replicates === undefined || (step.for_each === undefined && !builtIn)) return step;
  const { replicates: _dropped, ...legal } = step;
  return legal as T;
}

/** Fixed, so the suite's time is fixed; the seed is random and printed by fast-check when a property fails. */
const RUNS = 120;

// Built once: fc.stringMatching compiles its pattern when called, and the grammar below is rebuilt per pipeline.
const identifier = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
const plainText = fc.stringMatching(/^[a-zA-Z ,.]{0,20}$/);
const stepName = fc.stringMatching(/^[A-Za-z ]{0,12}$/);
const shortWord = fc.stringMatching(/^[a-z]{0,5}$/);
const anything = fc.jsonValue({ maxDepth: 2 });
const autoTag = fc.constantFrom('<AUTO>Choose format: a, b, or c</AUTO>', '<AUTO>pick the best model</AUTO>', '<AUTO>how many, 1 to 5</AUTO>');
const brokenPieces = ['{{', '}}', '{% if %}', '{{ a..b }}', '{{ "unclosed }}', '{% endfor %}', '{#', '{{ 1 + }}', '<AUTO>unclosed', '<AUTO></AUTO>', '{{ now() }}', '{{ failed.error }}'];

/**
 * The grammar's arbitraries. A clean pipeline keeps to the grammar (and mostly compiles); a noisy one now and then
 * has a value of the wrong type, a broken template, an unknown reference or key.
 */
function grammar(noisy: boolean) {
  const maybeWrong = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<unknown> => (noisy ? fc.oneof({ weight: 10, arbitrary }, { weight: 1, arbitrary: anything }) : arbitrary);
  const duration = noisy
    ? fc.oneof(fc.integer({ min: -5, max: 4000 }), fc.constantFrom('30s', '5m', '1h', '0s', 'soon', '10 s', '-1m', ''))
    : fc.oneof(fc.integer({ min: 1, max: 4000 }), fc.constantFrom('30s', '5m', '1h'));

  const templatePiece = (earlier: string[], inputNames: string[]): fc.Arbitrary<string> => {
    const steps = noisy ? [...earlier, 'missing', 'steps', 'item'] : earlier;
    const pieces: Array<fc.Arbitrary<string>> = [plainText];
    if (inputNames.length > 0) {
      const input = fc.constantFrom(...inputNames);
      pieces.push(input.map((name) => `{{ inputs.${name} }}`), input.map((name) => `{{${name}}}`));
    }
    if (steps.length > 0) {
      const step = fc.constantFrom(...steps);
      pieces.push(
        step.map((id) => `{{ ${id}.result }}`),
        step.map((id) => `{{ ${id}.result.field[0] }}`),
        step.map((id) => `{{ steps.${id}.output }}`),
        step.map((id) => `{{ ${id}.status }} {{ ${id}.error }}`),
        step.map((id) => `{% if ${id}.result %}yes{% else %}no{% endif %}`),
        step.map((id) => `{% for x in ${id}.result %}{{ x | upper }}{% endfor %}`),
        step.map((id) => `{{ ${id}.result | join(", ") | default("none") }}`),
      );
    }
    if (noisy) pieces.push(fc.constantFrom(...brokenPieces), autoTag);
    return fc.oneof(...pieces);
  };
  const template = (earlier: string[], inputNames: string[]) =>
    fc.array(templatePiece(earlier, inputNames), { maxLength: 4 }).map((pieces) => pieces.join(' '));

  const modelName = fc.constantFrom('echo', 'local', 'openai:gpt-4o-mini', 'anthropic:claude-sonnet-4', 'gpt-4o-mini', ...(noisy ? ['nope:x', '', 'local:'] : []));
  const modelSpec = fc.oneof(
    modelName,
    ...(noisy ? [autoTag] : []),
    fc.record(
      {
        tasks: fc.array(fc.constantFrom('reasoning', 'code', 'summarize', ...(noisy ? ['unknown-task'] : [])), { maxLength: 3 }),
        context_window: fc.integer({ min: noisy ? -1 : 1, max: 200000 }),
        structured_output: fc.boolean(),
        policy: fc.constantFrom('ucb', 'cost_optimized', 'performance_optimized', ...(noisy ? ['random'] : [])),
      },
      { requiredKeys: [] },
    ),
  );
  const outputSchema = fc.oneof(
    fc.constant({ type: 'object', properties: { score: { type: 'number' } }, required: ['score'] }),
    fc.constant({ type: 'array', items: { type: 'string' } }),
    ...(noisy ? [fc.constant({ type: 'nonsense' }), fc.constant({ $ref: '#/nowhere' }), anything] : []),
  );

  const step = (index: number, ids: string[], inputNames: string[]): fc.Arbitrary<Record<string, unknown>> => {
    // A clean pipeline depends only on earlier steps (no cycles); a noisy one on any, or on none that exists.
    const earlier = ids.slice(0, index);
    const candidates = noisy ? ids.filter((_, other) => other !== index).concat(['missing']) : earlier;
    const dependencies = fc.subarray(candidates, { maxLength: Math.min(3, candidates.length) });
    const text = template(earlier, inputNames);
    const wholeNumber = (min: number, max: number) => maybeWrong(noisy ? fc.oneof(fc.integer({ min: min - 2, max }), autoTag) : fc.integer({ min, max }));
    return fc.record(
      {
        id: noisy ? fc.oneof({ weight: 12, arbitrary: fc.constant(ids[index]!) }, { weight: 1, arbitrary: anything }) : fc.constant(ids[index]!),
        name: maybeWrong(stepName),
        action: fc.oneof(
          { weight: 6, arbitrary: text.map((prompt) => `Do it: ${prompt}`) },
          { weight: 1, arbitrary: fc.constantFrom('analyze', 'plan', 'summarize_findings') },
          ...(noisy ? [{ weight: 1, arbitrary: fc.constantFrom('generate', 'run_code', 'mcp', 'approval', 'pipeline') }, { weight: 1, arbitrary: anything }] : []),
        ),
        parameters: maybeWrong(
          fc.record(
            {
              prompt: text,
              style: noisy ? fc.oneof(autoTag, text) : text,
              nested: fc.dictionary(identifier, noisy ? fc.oneof(text, autoTag, anything) : text, { maxKeys: 2 }),
              ...(noisy ? { code: fc.constantFrom('print(1)', ''), timeout: duration, tool: fc.constantFrom('echo', ''), server: fc.constantFrom('everything', 'missing'), file: fc.constantFrom('other.yaml', '../x.yaml') } : {}),
            },
            { requiredKeys: [] },
          ),
        ),
        depends_on: maybeWrong(dependencies),
        dependencies: maybeWrong(dependencies),
        model: maybeWrong(modelSpec),
        fallback: maybeWrong(fc.array(modelName, { maxLength: 2 })),
        output_schema: outputSchema,
        timeout: maybeWrong(duration),
        max_retries: wholeNumber(0, 12),
        on_failure: maybeWrong(fc.constantFrom('fail', 'continue', 'skip', 'retry', ...(noisy ? [...ids, 'nobody', 'contine'] : []))),
        when: maybeWrong(fc.oneof(fc.boolean(), text.map((body) => `{{ ${body.length % 2 && earlier.length > 0 ? `${earlier[0]}.result` : 'true'} }}`))),
        for_each: maybeWrong(fc.oneof(fc.array(shortWord, { maxLength: 3 }), ...(earlier.length > 0 ? [fc.constantFrom(...earlier).map((other) => `{{ ${other}.result }}`)] : []))),
        max_parallel: wholeNumber(1, 2000),
        cache_results: maybeWrong(fc.boolean()),
        cache_ttl: wholeNumber(1, 100000),
        replicates: wholeNumber(1, 10),
        budget: maybeWrong(fc.record({ tokens: fc.integer({ min: noisy ? -1 : 1, max: 10000 }), cost_usd: fc.double({ min: noisy ? -1 : 0.01, max: 5, noNaN: true }) }, { requiredKeys: [] })),
        temperature: maybeWrong(fc.double({ min: noisy ? -1 : 0, max: noisy ? 3 : 2, noNaN: true })),
        max_tokens: wholeNumber(1, 100000),
        ...(noisy ? { surprise: anything } : {}),
      },
      { requiredKeys: ['id', 'action'] },
    ).map((step) => (noisy ? step : withLegalReplicates(step)));
  };

  return fc.tuple(fc.integer({ min: 1, max: 8 }), fc.uniqueArray(identifier, { maxLength: 3 })).chain(([count, inputNames]) => {
    const ids = Array.from({ length: count }, (_, index) => `s${index}`);
    return fc.record(
      {
        name: noisy ? fc.oneof({ weight: 8, arbitrary: identifier }, { weight: 1, arbitrary: anything }) : identifier,
        version: maybeWrong(fc.constantFrom('1.0.0', '2.1.3')),
        description: maybeWrong(template([], inputNames)),
        inputs: maybeWrong(
          fc.record(
            Object.fromEntries(
              inputNames.map((name) => [
                name,
                fc.oneof(
                  fc.constantFrom('string', 'integer', 'number', 'boolean', 'array', 'object', ...(noisy ? ['text'] : [])),
                  fc.record({ type: fc.constantFrom('string', ...(noisy ? ['list'] : [])), required: maybeWrong(fc.boolean()), description: fc.string({ maxLength: 10 }) }, { requiredKeys: ['type'] }),
                ),
              ]),
            ),
          ),
        ),
        config: maybeWrong(
          fc.record(
            {
              model: maybeWrong(modelSpec),
              auto_model: maybeWrong(modelName),
              timeout: maybeWrong(duration),
              max_retries: maybeWrong(fc.integer({ min: noisy ? -1 : 0, max: 10 })),
              max_parallel: maybeWrong(fc.integer({ min: noisy ? -1 : 1, max: 100 })),
              budget: maybeWrong(fc.record({ tokens: fc.integer({ min: 1, max: 100000 }), cost_usd: fc.double({ min: 0.01, max: 2, noNaN: true }) }, { requiredKeys: [] })),
              checkpoint_strategy: fc.constantFrom('adaptive', 'fixed', 'none'),
            },
            { requiredKeys: [] },
          ),
        ),
        steps: noisy
          ? fc.oneof({ weight: 10, arbitrary: fc.tuple(...ids.map((_, index) => step(index, ids, inputNames))) }, { weight: 1, arbitrary: anything })
          : fc.tuple(...ids.map((_, index) => step(index, ids, inputNames))),
        outputs: maybeWrong(fc.dictionary(identifier, template(ids, inputNames), { maxKeys: 3 })),
      },
      { requiredKeys: ['name', 'steps'] },
    );
  });
}

/** A document as YAML, in block or flow style, with AUTO tags sometimes left bare as the design documents write them. */
const asText = (document: fc.Arbitrary<Record<string, unknown>>) =>
  fc.tuple(document, fc.boolean(), fc.boolean()).map(([value, flow, bareAuto]) => {
    let text = stringify(value, { lineWidth: 0, ...(flow ? { defaultCollectionType: 'flow' as const } : {}) });
    if (bareAuto) text = text.replace(/: "(<AUTO>[^"\\\n]*<\/AUTO>)"$/gm, ': $1');
    return text;
  });

const cleanPipelines = asText(grammar(false));
const noisyPipelines = asText(grammar(true));

describe('compiler fuzzing: pipelines from the grammar', () => {
  beforeAll(() => {
    // The first compile loads the JSON Schema validator; the time bound is for compiling, not for that.
    compilePipeline('name: warm\nsteps:\n  - id: a\n    action: Say hi\n');
  });

  it(`holds the compiler's properties on ${RUNS} pipelines that follow the grammar`, () => {
    fc.assert(fc.property(cleanPipelines, (text) => checkCompile(text)), { numRuns: RUNS });
  });

  it(`holds them on ${RUNS} pipelines with wrong values here and there`, () => {
    fc.assert(fc.property(noisyPipelines, (text) => checkCompile(text)), { numRuns: RUNS });
  });

  it('reaches both outcomes: the clean pipelines mostly compile, the noisy ones mostly do not', () => {
    // The generators are only worth their runs if they reach the compiler's later stages, not just its first check.
    const compiled = (texts: string[]) => texts.filter((text) => compilePipeline(text).ok).length;
    expect(compiled(fc.sample(cleanPipelines, { numRuns: 50, seed: 14 }))).toBeGreaterThan(25);
    expect(compiled(fc.sample(noisyPipelines, { numRuns: 50, seed: 14 }))).toBeLessThan(25);
  });
});
