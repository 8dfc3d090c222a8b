// The Python orchestrator's dialect front end: what each dialect construct becomes in the native document, where
// its diagnostics point, and the dialect's template filters.
import * as nunjucks from 'nunjucks';
import { looksLikePyorc, nativeText, normalizePyorcText, registerDialectTemplates, type PyorcFrontEnd } from '../../src/compiler/pyorc';
import { parseFormattedPath } from '../../src/compiler/pyorc/positions';
import { slugify, strftime } from '../../src/compiler/pyorc/filters';
import { yaml } from './helpers';
import { compilePipeline } from '../../src/compiler';

function normalize(text: string): PyorcFrontEnd & { document: Record<string, unknown> } {
  const front = normalizePyorcText(text, { force: true });
  if (!front?.document) throw new Error(`not normalised: ${JSON.stringify(front?.errors)}`);
  return front as PyorcFrontEnd & { document: Record<string, unknown> };
}

function steps(front: PyorcFrontEnd): Array<Record<string, unknown>> {
  return front.document!.steps as Array<Record<string, unknown>>;
}

describe('top level', () => {
  const front = normalize(yaml`
    id: research_minimal
    name: Minimal Research Pipeline
    version: 1.0.0
    parameters:
      topic: quantum computing
      depth:
        type: str
        default: deep
        choices: [shallow, deep]
    metadata:
      default_timeout: 60
    steps:
      - id: write
        tool: filesystem
        action: write
        parameters:
          path: "out/{{ topic | slugify }}.md"
          content: "{{ parameters.depth }}"
  `);

  it('takes the id as the native name and keeps the free-text name as the description', () => {
    expect(front.document).toMatchObject({ name: 'research_minimal', description: 'Minimal Research Pipeline', version: '1.0.0' });
    expect(front.id).toBe('research_minimal');
    expect(front.title).toBe('Minimal Research Pipeline');
  });

  it('reads parameters as inputs: a bare value is a default, Python types and choices are translated', () => {
    expect(front.document.inputs).toEqual({
      topic: { type: 'string', default: 'quantum computing' },
      depth: { type: 'string', default: 'deep', enum: ['shallow', 'deep'] },
    });
  });

  it('maps metadata.default_timeout to config.timeout and parameters.x to inputs.x', () => {
    expect(front.document.config).toEqual({ timeout: 60 });
    expect(steps(front)[0]).toMatchObject({ tool: 'filesystem', action: 'write', parameters: { content: '{{ inputs.depth }}' } });
  });

  it('points native paths back into the author\'s file', () => {
    expect(front.source.positionOf(['inputs', 'depth'])).toEqual({ line: 7, column: 5 });
    expect(front.source.positionOfKey(['inputs'], 'topic')).toEqual({ line: 5, column: 3 });
    expect(front.source.positionOf(['config', 'timeout'])).toEqual({ line: 11, column: 20 });
    expect(front.source.translate({ code: 'UNKNOWN_KEY', message: 'x', path: 'steps[0].tool', line: 99, column: 1 })).toMatchObject({ line: 14, column: 5 });
  });
});

describe('config', () => {
  it('keeps a config written only with native keys (a native file with a tool step), and notes one the Python orchestrator ignores', () => {
    const native = normalize(yaml`
      name: files
      config: { model: echo, timeout: 30 }
      steps:
        - id: write
          tool: filesystem
          action: write
          parameters: { path: a.md, content: hi }
    `);
    expect(native.document.config).toEqual({ model: 'echo', timeout: 30 });
    expect(native.notes.map((note) => note.code)).not.toContain('NO_EFFECT');
    const ignored = normalize(yaml`
      id: p
      config: { timeout: 7200, retry_policy: exponential_backoff }
      steps:
        - id: write
          tool: filesystem
          action: write
          parameters: { path: a.md, content: hi }
    `);
    expect(ignored.document.config).toBeUndefined();
    expect(ignored.notes).toContainEqual(expect.objectContaining({ code: 'NO_EFFECT', line: 2, column: 1 }));
  });
});

describe('steps', () => {
  it('turns the LLM actions into generate steps with the model settings lifted', () => {
    const front = normalize(yaml`
      id: p
      steps:
        - id: summary
          action: generate_text
          parameters:
            prompt: "Summarise {{ topic }}"
            model: openai/gpt-4o-mini
            max_tokens: 300
            temperature: 0.2
        - id: judge
          action: analyze_text
          parameters:
            text: "{{ summary }}"
            prompt: Rate it
            model: <AUTO task="analyze">pick one</AUTO>
        - id: shaped
          action: generate-structured
          parameters:
            prompt: Give a score
            schema: { type: object }
            model: <AUTO>
    `);
    const [summary, judge, shaped] = steps(front);
    expect(summary).toMatchObject({ action: 'generate', model: 'openai:gpt-4o-mini', max_tokens: 300, temperature: 0.2, parameters: { prompt: 'Summarise {{ topic }}' } });
    expect(judge).toMatchObject({ action: 'generate', model: { tasks: ['analyze'] }, parameters: { prompt: 'Rate it\n\nData:\n{{ summary.result }}' } });
    expect(shaped).toMatchObject({ action: 'generate', output_schema: { type: 'object' } });
    expect(shaped!.model).toBeUndefined();
    expect(front.notes.map((note) => note.message).join('\n')).toMatch(/'openai\/gpt-4o-mini' is read as 'openai:gpt-4o-mini'/);
  });

  it('turns condition/if into when + when_skips: step, and an AUTO condition into a model step before it', () => {
    const front = normalize(yaml`
      id: p
      parameters: { mode: fast }
      steps:
        - id: a
          action: generate_text
          parameters: { prompt: hi }
        - id: b
          action: generate_text
          condition: "{{ mode }} == 'fast' and {{ a.result | length }} > 3"
          parameters: { prompt: hi }
        - id: c
          action: generate_text
          if: <AUTO>Is {{ a }} good?</AUTO>
          dependencies: [a]
          parameters: { prompt: hi }
    `);
    const byId = Object.fromEntries(steps(front).map((step) => [step.id, step]));
    expect(byId.b).toMatchObject({ when: "{{ (mode) == 'fast' and (a.result | length) > 3 }}", when_skips: 'step' });
    expect(byId.c_condition).toMatchObject({ action: 'generate', dependencies: ['a'] });
    expect(byId.c).toMatchObject({ when: "{{ c_condition.result | trim | lower in ['true', 'yes', '1'] }}", when_skips: 'step' });
    expect(steps(front).map((step) => step.id)).toEqual(['a', 'b', 'c_condition', 'c']);
  });

  it('turns foreach and while blocks into native loops, with the dialect\'s loop names', () => {
    const front = normalize(yaml`
      id: p
      parameters: { items: [a, b], attempts: 4 }
      steps:
        - id: each
          foreach: "{{ items }}"
          max_parallel: 2
          steps:
            - id: save
              tool: filesystem
              action: write
              parameters: { path: "{{ $item | slugify }}_{{ $index }}.txt", content: "{{ loop.index }}" }
        - id: again
          while: "{{ again.iteration }} < 3"
          max_iterations: "{{ attempts }}"
          steps:
            - id: think
              action: generate_text
              parameters: { prompt: "Round {{ $iteration }}" }
    `);
    const [each, again] = steps(front);
    expect(each).toMatchObject({ for_each: '{{ items }}', max_parallel: 2, steps: [{ id: 'save', parameters: { path: '{{ item | slugify }}_{{ index }}.txt', content: '{{ (index + 1) }}' } }] });
    expect(again).toMatchObject({ while: '{{ (again.iteration) < 3 }}', max_iterations: 4, steps: [{ id: 'think', parameters: { prompt: 'Round {{ iteration }}' } }] });
    expect(front.source.positionOf(['steps', 0, 'steps', 0, 'parameters', 'path'])).toEqual({ line: 11, column: 29 });
  });

  it('normalises on_error objects and lists: priority orders them, keys it does not use are noted', () => {
    const front = normalize(yaml`
      id: p
      steps:
        - id: a
          action: generate_text
          parameters: { prompt: hi }
          on_error:
            - fallback_value: none
              priority: 2
            - handler_action: "Explain {{ parameters.x }}"
              error_types: TimeoutError
              priority: 1
              max_handler_retries: 2
    `);
    expect(steps(front)[0]!.on_error).toEqual([{ handler_action: 'Explain {{ inputs.x }}', error_types: ['TimeoutError'] }, { fallback_value: 'none' }]);
    expect(front.notes.some((note) => note.message.includes("'max_handler_retries'") && note.line === 12)).toBe(true);
  });

  it('refuses a produces type that contradicts its location, at the produces key', () => {
    const front = normalizePyorcText(
      yaml`
        id: p
        steps:
          - id: a
            action: generate_text
            parameters: { prompt: hi }
            produces: pdf
            location: out/report.md
      `,
      { force: true },
    )!;
    expect(front.errors).toEqual([expect.objectContaining({ code: 'INVALID_VALUE', line: 6, column: 15 })]);
  });

  it('declares an undeclared name as an input the run must give, and output_path with the runner\'s default', () => {
    const front = normalize(yaml`
      id: p
      parameters: { topic: x }
      steps:
        - id: a
          action: generate_text
          parameters: { prompt: "{{ topc }} {{ output_path }} {{ execution.timestamp }}" }
    `);
    expect(front.document.inputs).toMatchObject({ topc: { type: 'string', required: true }, output_path: { default: 'examples/outputs/p' } });
    expect(steps(front)[0]!.parameters).toEqual({ prompt: '{{ topc }} {{ output_path }} {{ execution().timestamp }}' });
    expect(front.notes.find((note) => note.message.startsWith("'topc'"))?.message).toMatch(/did you mean 'topic'/);
  });

  it('reads a loop filter\'s condition inside the loop: its variable is no input', () => {
    const compiled = compilePipeline(yaml`
      id: p
      steps:
        - id: rank
          action: generate_text
          parameters: { prompt: "Rank models" }
        - id: a
          action: generate_text
          parameters: { prompt: "{% for score in rank.all_scores if score.model != rank.selected_model %}{{ score.model }}{% endfor %}" }
          dependencies: [rank]
    `);
    expect(compiled.ok && Object.keys(compiled.pipeline.inputs)).toEqual([]);
  });
});

describe('parsing like the Python orchestrator', () => {
  it('keeps the last of duplicate keys, with a note at the one that has no effect', () => {
    const front = normalize(yaml`
      id: p
      steps:
        - id: a
          action: generate_text
          parameters:
            prompt: first
            prompt: second
    `);
    expect(steps(front)[0]!.parameters).toEqual({ prompt: 'second' });
    expect(front.notes).toContainEqual(expect.objectContaining({ code: 'NO_EFFECT', line: 6, column: 7 }));
    expect(front.source.positionOf(['steps', 0, 'parameters', 'prompt'])).toEqual({ line: 7, column: 15 });
  });

  it('protects AUTO text with colons and quotes before YAML parsing', () => {
    const front = normalize(yaml`
      id: p
      steps:
        - id: a
          action: generate_text
          parameters:
            prompt: hi
            style: <AUTO>Choose: "brief" or "long"</AUTO>
            output_format: <AUTO>
    `);
    expect(steps(front)[0]!.parameters).toEqual({ prompt: 'hi', style: '<AUTO>Choose: "brief" or "long"</AUTO>', output_format: '<AUTO>Choose the output format</AUTO>' });
    expect(front.source.positionOf(['steps', 0, 'parameters', 'style'])).toEqual({ line: 7, column: 14 });
  });

  it('reads a quoted value whose lines are not indented past its key, as PyYAML does, and positions stay the author\'s', () => {
    const text = [
      'id: p',
      'steps:',
      '  - id: a',
      '    action: generate_text',
      '    parameters:',
      '      prompt: "{{ (',
      '      1 + 2',
      '    ) }} <AUTO>Pick: a or b</AUTO>"',
      '      style: plain',
      '',
    ].join('\n');
    const front = normalize(text);
    expect(steps(front)[0]!.parameters).toEqual({ prompt: '{{ ( 1 + 2 ) }} <AUTO>Pick: a or b</AUTO>', style: 'plain' });
    expect(front.source.positionOf(['steps', 0, 'parameters', 'style'])).toEqual({ line: 9, column: 14 });
    expect(front.source.positionOf(['steps', 0, 'parameters', 'prompt'])).toEqual({ line: 6, column: 15 });
    // The same text that YAML cannot read for another reason keeps YAML's own error, at the author's line.
    const broken = normalizePyorcText(`${text}      extra: [unclosed\n`, { force: true })!;
    expect(broken.errors[0]).toMatchObject({ code: 'YAML_SYNTAX' });
    // A native file gets no such leniency: YAML's rule holds.
    expect(compilePipeline('name: n\nsteps:\n  - id: a\n    action: "one\n  two"\n').diagnostics[0]).toMatchObject({ code: 'YAML_SYNTAX', line: 4 });
  });

  it('checks forward jumps: a later step of the same block, and on_false only beside a condition', () => {
    const diagnostics = compilePipeline(
      [
        'id: p',
        'steps:',
        '  - id: a',
        '    action: generate_text',
        '    parameters: { prompt: hi }',
        '    on_success: c',
        '    on_false: b',
        '  - id: b',
        '    action: generate_text',
        '    parameters: { prompt: hi }',
        '    goto: a',
        '  - id: c',
        '    action: generate_text',
        '    parameters: { prompt: hi }',
        '    on_success: nowhere',
        '',
      ].join('\n'),
    ).diagnostics;
    expect(diagnostics).toEqual([
      expect.objectContaining({ code: 'INVALID_VALUE', line: 7, column: 15, message: expect.stringContaining('has no condition') }),
      expect.objectContaining({ code: 'INVALID_VALUE', line: 11, column: 11, message: expect.stringContaining('jumps backwards') }),
      expect.objectContaining({ code: 'UNKNOWN_REFERENCE', line: 15, column: 17, message: expect.stringContaining("'nowhere'") }),
    ]);
  });

  it('reports malformed YAML with its position, and tells a dialect file from a native one', () => {
    const front = normalizePyorcText('id: p\nsteps:\n  - id: a\n    action: [unclosed\n', { force: true })!;
    expect(front.errors[0]).toMatchObject({ code: 'YAML_SYNTAX' });
    expect(looksLikePyorc({ name: 'p', steps: [{ id: 'a', action: 'do it' }] })).toBe(false);
    expect(looksLikePyorc({ name: 'Free text name', steps: [] })).toBe(false); // native: a BAD_ID
    expect(looksLikePyorc({ name: 'Free text name', steps: [{ id: 'a', action: 'llm_call', parameters: { model: 'x' } }] })).toBe(true);
    expect(looksLikePyorc({ name: 'p', steps: [{ id: 'a', action: 'analyze' }] })).toBe(false); // a native named action
    expect(looksLikePyorc({ name: 'p', steps: [{ id: 'a', action: 'generate_text' }] })).toBe(true);
    expect(parseFormattedPath('steps[2].depends_on[0]')).toEqual(['steps', 2, 'depends_on', 0]);
  });

  it('writes the native form as YAML text', () => {
    const text = nativeText(normalize('id: p\nparameters: { a: 1 }\nsteps:\n  - id: s\n    action: generate_text\n    parameters: { prompt: "{{ a }}" }\n'));
    expect(text).toContain('name: p');
    expect(text).toContain('action: generate');
  });
});

describe('filters', () => {
  const environment = registerDialectTemplates(new nunjucks.Environment(null, { autoescape: false }));
  const render = (template: string, context: Record<string, unknown> = {}): string => environment.renderString(template, context);

  it('renders the dialect filters as the Python orchestrator does', () => {
    expect(slugify('Quantum Computing: Basics!')).toBe('quantum-computing-basics');
    expect(render('{{ t | truncate_words(2) }}', { t: 'one two three' })).toBe('one two...');
    expect(render("{{ t | regex_search('[0-9]+') }}", { t: 'guess 42 now' })).toBe('42');
    expect(render("{{ t | regex_replace('\\\\s+', '-') }}", { t: 'a  b c' })).toBe('a-b-c');
    expect(render('{{ v | to_json }}', { v: { a: 1 } })).toBe('{\n  "a": 1\n}');
    expect(render('{{ (t | from_json).a }}', { t: '{"a": 7}' })).toBe('7');
    expect(render('{{ p | basename }}', { p: 'data/in/file.txt' })).toBe('file.txt');
    expect(render("{{ '%.2f' | format(3.14159) }}", {})).toBe('3.14');
    // String filters read a number, list or object as its text, as Jinja's str() does, rather than throwing.
    expect(render('{{ v | truncate(9) }}', { v: { alpha: 1, beta: 2 } })).toBe('{"alpha":...');
    expect(render('{{ n | upper }} {{ l | length }} {{ l | trim }}', { n: 42, l: [1, 2] })).toBe('42 2 [1,2]');
    // Jinja's loop filter: the body runs for the items the condition keeps.
    expect(render('{% for s in xs if s.ok %}{{ s.n }};{% endfor %}', { xs: [{ ok: true, n: 'a' }, { ok: false, n: 'b' }, { ok: true, n: 'c' }] })).toBe('a;c;');
    expect(render("{{ items | map(attribute='n') | join(', ') }}", { items: [{ n: 'a' }, { n: 'b' }] })).toBe('a, b');
    expect(strftime(new Date(Date.UTC(2026, 11, 4, 9, 5, 7)), '%Y-%m-%d %H:%M:%S %B')).toBe('2026-12-04 09:05:07 December');
  });

  it('understands Python slices and string and dict methods, without hiding real fields', () => {
    expect(render('{{ t[:5] }}|{{ l[1:] | join(",") }}', { t: 'abcdefgh', l: [1, 2, 3] })).toBe('abcde|2,3');
    expect(render('{{ t.lower() }} {{ t.strip() }}', { t: ' ABC ' })).toBe(' abc  ABC');
    expect(render('{% for k, v in d.items() %}{{ k }}={{ v }}{% endfor %}', { d: { a: 1 } })).toBe('a=1');
    expect(render('{{ r.items | length }}', { r: { items: [1, 2, 3] } })).toBe('3');
    expect(render('{{ execution().timestamp }}').length).toBeGreaterThan(18);
  });
});
