// The parameters of `run_code` steps: what compiles, and every literal mistake with its line:column.
import { compileErrors, compileOk, stepOf, yaml } from './helpers';

it('compiles a run_code step whose parameters are templates, AUTO tags or literals', () => {
  const pipeline = compileOk(yaml`
    name: p
    config: { model: echo }
    steps:
      - id: write
        action: "Write a program"
      - id: run
        action: run_code
        parameters:
          language: python
          code: "{{ write.result }}"
          files: { data.csv: "a,1" }
          timeout: 2m
          memory_mb: <AUTO type="integer" min="64" max="512">How much memory?</AUTO>
          allow_failure: true
  `);
  expect(stepOf(pipeline, 'run')).toMatchObject({ actionKind: 'run_code', dependsOn: ['write'] });
});

it('reports each bad literal parameter at its own line and column', () => {
  const diagnostics = compileErrors(yaml`
    name: p
    steps:
      - id: run
        action: run_code
        parameters:
          language: pyton
          code: "print(1)"
          timeout: soon
          memory_mb: 100000
          files: { ../up.txt: x }
          allow_failure: "yes"
          memroy: 5
      - id: empty
        action: run_code
  `);
  expect(diagnostics.map(({ code, message, line, column }) => `${line}:${column} ${code} ${message}`)).toEqual([
    `6:17 INVALID_VALUE step 'run': parameters.language must be one of python, javascript, bash, got "pyton" (did you mean 'python'?)`,
    `8:16 INVALID_VALUE step 'run': parameters.timeout must be a duration such as 30 or "2m", got "soon"`,
    `9:18 INVALID_VALUE step 'run': parameters.memory_mb must be a whole number from 16 to 4096, got 100000`,
    `10:16 INVALID_VALUE step 'run': file name '../up.txt' must be a relative path inside the work directory`,
    `11:22 INVALID_VALUE step 'run': parameters.allow_failure must be true or false`,
    `12:7 UNKNOWN_KEY unknown parameter 'memroy' in run_code step 'run': it takes language, code, files, timeout, memory_mb, allow_failure`,
    `14:5 MISSING_FIELD step 'empty': action 'run_code' needs parameters: { language, code }`,
  ]);
});

it('a run_code step without code says what is missing', () => {
  const [diagnostic] = compileErrors(yaml`
    name: p
    steps:
      - id: run
        action: run_code
        parameters: { language: bash }
  `);
  expect(diagnostic).toMatchObject({ code: 'MISSING_FIELD', message: "step 'run': action 'run_code' needs parameters.code: the program to run", line: 5, column: 5 });
});
