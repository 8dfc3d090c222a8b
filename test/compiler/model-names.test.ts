// The first errors a user meets in the compiler: an unknown model or provider, and YAML broken lines before
// the parser notices; plus the one rule for which model decides a step's AUTO tags.
import { autoTagModel, compileOrThrow, compilePipeline, type Diagnostic } from '../../src/compiler';
import { createModelCatalog, modelNamesOf } from '../../src/models/catalog';
import { yaml } from './helpers';

const catalog = createModelCatalog({
  'gpt-4o-mini': {
    provider: 'openai',
    model: 'gpt-4o-mini',
    aliases: ['mini'],
    capabilities: { tasks: ['general'], context_window: 128000 },
    pricing: { input_per_1k: 0.00015, output_per_1k: 0.0006 },
  },
  'smollm2-135m': {
    provider: 'local',
    model: 'smollm2-135m',
    capabilities: { tasks: ['general'], context_window: 8192 },
    pricing: { input_per_1k: 0, output_per_1k: 0 },
  },
});
const models = { names: modelNamesOf(catalog) };

function modelErrors(text: string): Diagnostic[] {
  const result = compilePipeline(text, { models });
  return result.ok ? [] : result.diagnostics.filter((diagnostic) => diagnostic.code === 'UNKNOWN_MODEL');
}

describe('unknown models (with the catalog, as orc validate compiles)', () => {
  it('names a misspelt model and an unknown provider at their line:column, with a did-you-mean', () => {
    const errors = modelErrors(yaml`
      name: p
      config:
        model: openai:gpt-4o-mnii
        fallback_models: [mini, opneai:gpt-4o-mini]
      steps:
        - id: a
          action: Say hello
          model: foo:bar
    `);
    expect(errors.map(({ line, column, path }) => ({ line, column, path }))).toEqual([
      { line: 3, column: 10, path: 'config.model' },
      { line: 4, column: 27, path: 'config.fallback_models[1]' },
      { line: 8, column: 12, path: 'steps[0].model' },
    ]);
    expect(errors[0]!.message).toBe(
      "model 'openai:gpt-4o-mnii' is not in the model catalog (did you mean 'openai:gpt-4o-mini'?); if you do mean this model, add it to your models.yaml",
    );
    expect(errors[1]!.message).toMatch(/^unknown model provider 'opneai' in 'opneai:gpt-4o-mini' \(did you mean 'openai'\?\)/);
    expect(errors[2]!.message).toBe("unknown model provider 'foo' in 'foo:bar' (providers: local, echo, openai, anthropic, google)");
  });

  it('rejects a local:NAME that names no local model, and a bare name the catalog does not have', () => {
    const errors = modelErrors(yaml`
      name: p
      steps:
        - id: a
          action: Say hello
          model: local:anything
        - id: b
          action: Say bye
          model: gtp-4o-mini
    `);
    expect(errors.map((error) => error.message)).toEqual([
      "no local model is named 'anything' (local models: smollm2-135m); add it to models.yaml with provider: local",
      "unknown model 'gtp-4o-mini' (did you mean 'gpt-4o-mini'?): write provider:model, a name from models.yaml, local or echo",
    ]);
  });

  it('accepts names, aliases, provider:model ids, local, echo, templates, AUTO tags, requirements, and hosted models the catalog lacks that are no near miss', () => {
    expect(
      modelErrors(yaml`
        name: p
        inputs: { which: string }
        config: { model: mini, auto_model: local }
        steps:
          - id: a
            action: one
            model: openai:gpt-4o-mini
          - id: b
            action: two
            model: "{{ inputs.which }}"
          - id: c
            action: three
            model: <AUTO>the cheapest model that can do it</AUTO>
          - id: d
            action: four
            model: { tasks: [general] }
            fallback: [echo, local:smollm2-135m, smollm2-135m, openai:gpt-4.1, openai:fake-model]
      `),
    ).toEqual([]);
  });

  it('checks the models of agents, replicates and judges too', () => {
    const errors = modelErrors(yaml`
      name: p
      agents:
        helper: { model: openai:gpt-4o-mnii, system: You help. }
      steps:
        - id: a
          action: "Label it"
          replicates: 2
          models: [mini, local:tiny]
          consensus: judge
          judge_model: openai:gpt-4o-minii
        - id: b
          action: agent
          parameters: { agent: helper, prompt: hi }
    `);
    expect(errors.map(({ path }) => path)).toEqual(['agents.helper.model', 'steps[0].models[1]', 'steps[0].judge_model']);
  });

  it('is not checked without a catalog (the API compiles any provider:model)', () => {
    expect(compilePipeline('name: p\nsteps:\n  - id: a\n    action: hi there\n    model: openai:anything\n').ok).toBe(true);
  });
});

describe('YAML broken before the parser notices', () => {
  it('an unterminated string is reported where its quote opens, and where parsing stopped', () => {
    const result = compilePipeline(yaml`
      name: p
      steps:
        - id: a
          action: "Summarise the text
        - id: b
          action: Say hello
    `);
    expect(result.ok).toBe(false);
    expect(result.diagnostics[0]).toMatchObject({ code: 'YAML_SYNTAX', line: 4, column: 13 });
    expect(result.diagnostics[0]!.message).toMatch(/the double-quoted string that opens here is never closed \(parsing stopped at line 7, column 1\)/);
  });

  it('an unclosed flow sequence is reported where its [ opens', () => {
    const result = compilePipeline(yaml`
      name: p
      steps:
        - id: a
          action: hi
          depends_on: [b, c
        - id: b
          action: there
    `);
    expect(result.ok).toBe(false);
    expect(result.diagnostics[0]).toMatchObject({ code: 'YAML_SYNTAX', line: 5, column: 17 });
    expect(result.diagnostics[0]!.message).toMatch(/the flow sequence \[ that opens here is never closed \(parsing stopped at line 6/);
  });
});

describe('autoTagModel: which model decides a step\'s AUTO tags', () => {
  const pipeline = compileOrThrow(yaml`
    name: p
    config: { model: local }
    steps:
      - id: own
        action: one
        model: openai:gpt-4o-mini
        parameters: { n: <AUTO>how many</AUTO> }
      - id: tagged
        action: two
        model: <AUTO>which model</AUTO>
      - id: needs
        action: three
        model: { tasks: [general] }
        parameters: { n: <AUTO>how many</AUTO> }
  `);
  const step = (id: string) => pipeline.steps.find((candidate) => candidate.id === id)!;

  it('is the step\'s own model, the run default when the model is the tag, a requirement as written, echo in a dry run', () => {
    expect(autoTagModel(pipeline, step('own'))).toBe('openai:gpt-4o-mini');
    expect(autoTagModel(pipeline, step('tagged'))).toBe('local');
    expect(autoTagModel(pipeline, step('tagged'), { defaultModel: 'echo' })).toBe('echo');
    expect(autoTagModel(pipeline, step('needs'))).toEqual({ tasks: ['general'] });
    expect(autoTagModel(pipeline, step('own'), { dryRun: true })).toBe('echo');
  });

  it('is config.auto_model whenever the pipeline names one', () => {
    const withAutoModel = { ...pipeline, config: { ...pipeline.config, autoModel: 'mini' } };
    expect(autoTagModel(withAutoModel, step('own'))).toBe('mini');
    expect(autoTagModel(withAutoModel, step('tagged'))).toBe('mini');
  });
});

describe('values that are no duration', () => {
  it('a mapping where a duration goes is reported, not thrown on (String() of { toString: 0 } throws)', () => {
    const result = compilePipeline(yaml`
      name: p
      steps:
        - id: a
          action: "Do it: now"
          timeout: { toString: 0 }
          cache_ttl:
            toString: 0
    `);
    expect(result.ok).toBe(false);
    expect(result.diagnostics.filter((diagnostic) => diagnostic.code === 'BAD_DURATION').map((diagnostic) => `${diagnostic.code} ${diagnostic.message}`)).toEqual([
      `BAD_DURATION bad duration '{"toString":0}': use seconds or a string like 30s, 5m, 1h, 1d`,
      `BAD_DURATION bad duration '{"toString":0}': use seconds or a string like 30s, 5m, 1h, 1d`,
    ]);
  });
});
