// Loops over a block of steps (CONTRACT "Native YAML for the dialect's constructs"; spec section 18).
import { compilePipeline, formatDiagnostic, type CompiledStep } from '../../src/compiler';
import { DEFAULT_MAX_ITEMS, DEFAULT_MAX_ITERATIONS } from '../../src/compiler/kinds/loop';
import { stepOf, yaml, native, NATIVE } from './helpers';

const { compileErrors, compileOk, onlyDiagnostic } = native;

function child(step: CompiledStep, id: string): CompiledStep {
  const found = step.loop?.steps.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no child '${id}' in ${step.id}`);
  return found;
}

/** `FILE:LINE:COL: CODE message`, as `orc validate` prints it. */
function printed(text: string): string[] {
  const result = compilePipeline(text, { file: 'loop.yaml', ...NATIVE });
  if (result.ok) throw new Error('expected diagnostics');
  return result.diagnostics.map((diagnostic) => formatDiagnostic('loop.yaml', diagnostic));
}

const forEachBlock = yaml`
  name: files
  inputs:
    folder: string
  steps:
    - id: list
      action: List the files in {{ inputs.folder }}
    - id: each_file
      for_each: "{{ list.files }}"
      max_parallel: 2
      steps:
        - id: read
          action: Read {{ $item }} ({{ index }} of the list, iteration {{ each_file.iteration }})
        - id: summarise
          action: Summarise {{ read }} for {{ inputs.folder }}; first? {{ is_first }}
        - id: save
          action: save_summary
          parameters: { text: "{{ summarise.result }}", name: "{{ item }}-{{ $index }}" }
    - id: report
      action: Report on {{ each_file.results }}
`;

describe('a for_each loop over a block of steps', () => {
  it('compiles to a loop step whose children keep their short ids', () => {
    const loop = stepOf(compileOk(forEachBlock), 'each_file');
    expect(loop.actionKind).toBe('loop');
    expect(loop.action).toBe('');
    expect(loop.forEach).toBeNull();
    expect(loop.loop).toMatchObject({ kind: 'for_each', items: '{{ list.files }}', condition: null, maxParallel: 2, maxIterations: DEFAULT_MAX_ITEMS });
    expect(loop.loop!.steps.map((step) => step.id)).toEqual(['read', 'summarise', 'save']);
  });

  it('orders the children by what they read of each other, and the loop after what they read outside', () => {
    const pipeline = compileOk(forEachBlock);
    const loop = stepOf(pipeline, 'each_file');
    expect(child(loop, 'read').dependsOn).toEqual([]);
    expect(child(loop, 'summarise').dependsOn).toEqual(['read']);
    expect(child(loop, 'save').dependsOn).toEqual(['summarise']);
    expect(loop.dependsOn).toEqual(['list']);
    expect(loop.references).toEqual(expect.arrayContaining([{ kind: 'step', step: 'list' }, { kind: 'input', name: 'folder' }]));
    expect(stepOf(pipeline, 'report').dependsOn).toEqual(['each_file']);
    expect(pipeline.levels).toEqual([['list'], ['each_file'], ['report']]);
  });

  it("infers a child's output schema from the fields its siblings read", () => {
    const summarise = child(stepOf(compileOk(forEachBlock), 'each_file'), 'summarise');
    expect(summarise.outputSchema).toBeNull();
    const read = child(stepOf(compileOk(forEachBlock), 'each_file'), 'read');
    expect(read.outputSchema).toBeNull();
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: each
          for_each: [a, b]
          steps:
            - id: judge
              action: Judge {{ item }}
            - id: use
              action: Use {{ judge.verdict }}
    `);
    expect(child(stepOf(pipeline, 'each'), 'judge').outputSchema).toMatchObject({ required: ['verdict'] });
  });

  it('a child that depends_on a step outside the block makes the loop wait for it', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: setup
          action: prepare
        - id: each
          for_each: [1, 2]
          steps:
            - id: work
              action: do it
              depends_on: [setup]
    `);
    expect(stepOf(pipeline, 'each').dependsOn).toEqual(['setup']);
    expect(child(stepOf(pipeline, 'each'), 'work').dependsOn).toEqual([]);
  });

  it('a loop nested in a loop sees both loops\' variables and its outer siblings', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: outer
          for_each: [a, b]
          steps:
            - id: head
              action: Title for {{ item }}
            - id: inner
              for_each: [1, 2, 3]
              steps:
                - id: line
                  action: Line {{ $item }} under {{ head }} in {{ outer.iteration }}
    `);
    const inner = child(stepOf(pipeline, 'outer'), 'inner');
    expect(inner.dependsOn).toEqual(['head']);
    expect(child(inner, 'line').dependsOn).toEqual([]);
  });

  it('records an AUTO tag in a child by its path through the loop', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: each
          for_each: [a, b]
          steps:
            - id: write
              action: Write about {{ item }}
              parameters:
                style: <AUTO>formal or casual?</AUTO>
    `);
    const write = child(stepOf(pipeline, 'each'), 'write');
    expect(write.autoTags.map((tag) => tag.path)).toEqual(['steps.each.steps.write.parameters.style']);
    expect(pipeline.autoTags).toHaveLength(1);
  });
});

describe('while and until loops', () => {
  it('compiles a while loop with its condition and max_iterations', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: refine
          while: "{{ check.result != 'good' }}"
          max_iterations: 4
          steps:
            - id: draft
              action: Improve the draft (round {{ $iteration }}, {{ refine.iteration }})
            - id: check
              action: Is this good? {{ draft }}
        - id: publish
          action: Publish {{ refine.results }}
    `);
    const refine = stepOf(pipeline, 'refine');
    expect(refine.loop).toMatchObject({ kind: 'while', items: null, condition: "{{ check.result != 'good' }}", maxIterations: 4, maxParallel: 1 });
    // The condition reads the block's own step: that is no dependency of the loop.
    expect(refine.dependsOn).toEqual([]);
    expect(stepOf(pipeline, 'publish').dependsOn).toEqual(['refine']);
  });

  it(`gives until a default of ${DEFAULT_MAX_ITERATIONS} iterations and accepts a boolean condition`, () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: again
          until: false
          steps:
            - id: step
              action: once more
    `);
    expect(stepOf(pipeline, 'again').loop).toMatchObject({ kind: 'until', condition: false, maxIterations: DEFAULT_MAX_ITERATIONS });
  });
});

describe('loop errors, each at FILE:LINE:COL with a code', () => {
  it('an unknown key in a child, with a did-you-mean', () => {
    expect(
      printed(yaml`
        name: p
        steps:
          - id: each
            for_each: [a]
            steps:
              - id: read
                action: read it
                dependson: [x]
      `),
    ).toEqual([expect.stringMatching(/^loop\.yaml:8:9: UNKNOWN_KEY unknown key 'dependson' in step 'each\.read' \(did you mean 'depends_on'\?\)/)]);
  });

  it("a child's short id read from outside the loop", () => {
    const lines = printed(yaml`
      name: p
      steps:
        - id: each
          for_each: [a]
          steps:
            - id: read
              action: read {{ item }}
        - id: after
          action: use {{ read }}
    `);
    expect(lines).toEqual([expect.stringMatching(/^loop\.yaml:9:20: UNKNOWN_REFERENCE 'read' is a step inside loop 'each': outside the loop, read each\.results/)]);
  });

  it('a loop with an action, or with two of for_each/while/until', () => {
    const lines = printed(yaml`
      name: p
      steps:
        - id: each
          for_each: [a]
          while: true
          action: do it
          steps:
            - id: read
              action: read
    `);
    expect(lines).toEqual([
      expect.stringMatching(/^loop\.yaml:5:12: INVALID_VALUE step 'each': a loop takes one of for_each, while or until, not for_each and while/),
      expect.stringMatching(/^loop\.yaml:6:13: INVALID_VALUE step 'each': a loop step has no action/),
    ]);
  });

  it('nested steps without for_each, while or until', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: block
            steps:
              - id: read
                action: read
      `,
      'MISSING_FIELD',
    );
    expect(diagnostic).toMatchObject({ line: 5, column: 7, path: 'steps[0].steps' });
  });

  it('a while loop without nested steps', () => {
    expect(onlyDiagnostic(yaml`
      name: p
      steps:
        - id: spin
          while: true
    `, 'MISSING_FIELD')).toMatchObject({ line: 3, column: 5, message: expect.stringContaining("needs nested 'steps'") });
  });

  it('loop keys on a step that is no loop', () => {
    expect(printed(yaml`
      name: p
      steps:
        - id: a
          action: do it
          max_iterations: 3
    `)).toEqual([expect.stringMatching(/^loop\.yaml:5:21: INVALID_VALUE step 'a': 'max_iterations' belongs to loop steps, and this is a prompt step/)]);
  });

  it('max_parallel on a while loop', () => {
    expect(onlyDiagnostic(yaml`
      name: p
      steps:
        - id: spin
          while: true
          max_parallel: 3
          steps:
            - id: a
              action: do it
    `, 'INVALID_VALUE')).toMatchObject({ line: 5, column: 19 });
  });

  it('loop variables outside a loop', () => {
    const diagnostics = compileErrors(yaml`
      name: p
      steps:
        - id: a
          action: "Round {{ $iteration }} of {{ is_last }}"
    `);
    expect(diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.column])).toEqual([
      ['ITEM_OUTSIDE_FOR_EACH', 23],
      ['ITEM_OUTSIDE_FOR_EACH', 43],
    ]);
  });

  it('duplicate child ids, a cycle among children, and an unknown dependency inside the block', () => {
    const lines = printed(yaml`
      name: p
      steps:
        - id: each
          for_each: [a]
          steps:
            - id: one
              action: use {{ two }}
            - id: two
              action: use {{ one }}
            - id: one
              action: again
              depends_on: [thre]
    `);
    expect(lines).toEqual([
      expect.stringMatching(/^loop\.yaml:6:13: CYCLE step 'one' is in a dependency cycle: one -> two -> one/),
      expect.stringMatching(/^loop\.yaml:8:13: CYCLE step 'two' is in a dependency cycle/),
      expect.stringMatching(/^loop\.yaml:10:13: DUPLICATE_ID duplicate step id 'one'/),
      expect.stringMatching(/^loop\.yaml:12:22: UNKNOWN_DEPENDENCY step 'one' depends on unknown step 'thre'/),
    ]);
  });

  it('a child that reads itself, and a bad max_iterations', () => {
    const lines = printed(yaml`
      name: p
      steps:
        - id: spin
          until: "{{ done.result }}"
          max_iterations: 0
          steps:
            - id: done
              action: "finished? {{ done }}"
    `);
    expect(lines).toEqual([
      expect.stringMatching(/^loop\.yaml:5:21: INVALID_VALUE 'steps\.0\.max_iterations' must be >= 1/),
      expect.stringMatching(/^loop\.yaml:8:31: CYCLE step 'done' refers to its own result/),
    ]);
  });
});
