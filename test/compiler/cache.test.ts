// Result caching in the compiled pipeline (spec section 9): which steps are cached, for how long, and what is refused.
import { compileErrors, compileOk, onlyDiagnostic, stepOf, yaml } from './helpers';

const WEEK = 7 * 24 * 3600;

describe('cache_results and cache_ttl', () => {
  it('config turns caching on for every LLM, run_code and mcp step, a week by default; a step says otherwise for itself', () => {
    const pipeline = compileOk(yaml`
      name: cached
      config: { cache_results: true }
      steps:
        - id: summary
          action: "Summarise the text"
        - id: code
          action: run_code
          parameters: { language: python, code: "print(1)" }
        - id: tool
          action: mcp
          parameters: { server: "npx some-server", tool: echo, arguments: { message: hi } }
        - id: fresh
          action: "Say something new"
          cache_results: false
        - id: ask
          action: approval
    `);
    expect(stepOf(pipeline, 'summary').cache).toEqual({ ttlSeconds: WEEK });
    expect(stepOf(pipeline, 'code').cache).toEqual({ ttlSeconds: WEEK });
    expect(stepOf(pipeline, 'tool').cache).toEqual({ ttlSeconds: WEEK });
    expect(stepOf(pipeline, 'fresh').cache).toBeNull();
    // Config's default does not reach kinds that cannot be cached, and is no error there.
    expect(stepOf(pipeline, 'ask').cache).toBeNull();
  });

  it("a step's cache_ttl wins over config's; both take seconds or durations", () => {
    const pipeline = compileOk(yaml`
      name: ttls
      config: { cache_results: true, cache_ttl: 1d }
      steps:
        - id: daily
          action: "Summarise the news"
        - id: hourly
          action: "Summarise the weather"
          cache_ttl: 3600
        - id: own
          action: "Summarise the market"
          cache_results: true
          cache_ttl: 90m
    `);
    expect(stepOf(pipeline, 'daily').cache).toEqual({ ttlSeconds: 86400 });
    expect(stepOf(pipeline, 'hourly').cache).toEqual({ ttlSeconds: 3600 });
    expect(stepOf(pipeline, 'own').cache).toEqual({ ttlSeconds: 5400 });
  });

  it('without cache_results nothing is cached, cache_ttl alone included', () => {
    const pipeline = compileOk(yaml`
      name: uncached
      config: { cache_ttl: 1h }
      steps:
        - id: one
          action: "Say one thing"
          cache_ttl: 60
    `);
    expect(stepOf(pipeline, 'one').cache).toBeNull();
  });

  it('cache_results on an approval, pipeline or agent step is an error at its line:column', () => {
    const approval = onlyDiagnostic(
      yaml`
        name: bad_cache
        steps:
          - id: ask
            action: approval
            cache_results: true
      `,
      'INVALID_VALUE',
    );
    expect(approval).toMatchObject({ line: 5, column: 20, path: 'steps[0].cache_results' });
    expect(approval.message).toBe("'cache_results' does not apply to action approval: only LLM, run_code and mcp steps are cached");
    const child = onlyDiagnostic(
      yaml`
        name: bad_cache
        steps:
          - id: sub
            action: pipeline
            parameters: { file: other.yaml }
            cache_ttl: 1h
      `,
      'INVALID_VALUE',
    );
    expect(child).toMatchObject({ line: 6, column: 16, path: 'steps[0].cache_ttl' });
    const agent = onlyDiagnostic(
      yaml`
        name: bad_cache
        steps:
          - id: helper
            action: agent
            parameters: { prompt: "Find out", model: echo }
            cache_results: true
      `,
      'INVALID_VALUE',
    );
    expect(agent.message).toBe("'cache_results' does not apply to action agent: only LLM, run_code and mcp steps are cached");
  });

  it('a bad cache_ttl, in a step or in config, is a BAD_DURATION at its place', () => {
    const diagnostics = compileErrors(yaml`
      name: bad_ttl
      config: { cache_results: true, cache_ttl: forever }
      steps:
        - id: one
          action: "Say one thing"
          cache_ttl: soon
    `);
    expect(diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.path, diagnostic.line])).toEqual([
      ['BAD_DURATION', 'config.cache_ttl', 2],
      ['BAD_DURATION', 'steps[0].cache_ttl', 6],
    ]);
  });

  it('the schema refuses a cache_results that is not a boolean', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: bad_flag
        config: { cache_results: yes please }
        steps:
          - id: one
            action: "Say one thing"
      `,
      'INVALID_VALUE',
    );
    expect(diagnostic.path).toBe('config.cache_results');
  });
});
