// Evidence-bundle keys: replicates, models, consensus, min_agreement, judge_model, and reads of STEP.evidence.
import { compileErrors, compileOk, onlyDiagnostic, stepOf, yaml } from './helpers';

describe('replicates', () => {
  it('compiles the keys of an evidence bundle', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: classify
          action: "Is it a bug? {{ inputs.text }}"
          replicates: 5
          models: [openai:gpt-4o-mini, local]
          consensus: majority
          min_agreement: 0.6
        - id: report
          action: "Agreement {{ classify.evidence.agreement }} on {{ classify.result }}"
      inputs:
        text: string
    `);
    expect(stepOf(pipeline, 'classify').replicates).toEqual({ count: 5, models: ['openai:gpt-4o-mini', 'local'], consensus: 'majority', minAgreement: 0.6, judgeModel: null });
    expect(stepOf(pipeline, 'report').dependsOn).toEqual(['classify']);
    // Reading evidence does not turn into a structured-output field of the replicated step.
    expect(stepOf(pipeline, 'classify').outputSchema).toBeNull();
  });

  it('takes the count from models when replicates is not written, and leaves an AUTO count open', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: a
          action: "Say hi"
          models: [echo, local, echo]
        - id: b
          action: "Say hi"
          replicates: <AUTO type="integer" min="1" max="5">How many votes are worth it?</AUTO>
    `);
    expect(stepOf(pipeline, 'a').replicates?.count).toBe(3);
    expect(stepOf(pipeline, 'b').replicates?.count).toBeNull();
    expect(stepOf(pipeline, 'b').autoTags.map((tag) => tag.path)).toEqual(['steps.b.replicates']);
  });

  it('refuses evidence of a step that has no replicates, and an unknown evidence field', () => {
    const errors = compileErrors(yaml`
      name: p
      steps:
        - id: a
          action: "Say hi"
        - id: b
          action: "Say hi"
          replicates: 3
        - id: c
          action: "{{ a.evidence.agreement }} {{ b.evidence.agreemnt }}"
    `);
    expect(errors.map((error) => `${error.line}:${error.column} ${error.message}`)).toEqual([
      expect.stringMatching(/^9:\d+ 'a\.evidence' exists only for a step with 'replicates'$/),
      expect.stringMatching(/^9:\d+ 'b\.evidence' has no field 'agreemnt'.*did you mean 'agreement'/),
    ]);
  });

  it('refuses bundle keys without replicates, on tool steps, with for_each, and a min_agreement outside [0, 1]', () => {
    expect(onlyDiagnostic(yaml`
      name: p
      steps:
        - id: a
          action: "Say hi"
          consensus: medoid
    `, 'INVALID_VALUE').message).toBe("'consensus' needs 'replicates' (or 'models') on the same step");
    expect(onlyDiagnostic(yaml`
      name: p
      steps:
        - id: a
          action: run_code
          parameters: { language: python, code: "print(1)" }
          replicates: 3
    `, 'INVALID_VALUE')).toMatchObject({ line: 6, message: "'replicates' applies to model steps only, not to a run_code step" });
    expect(onlyDiagnostic(yaml`
      name: p
      steps:
        - id: a
          action: "Say {{ item }}"
          for_each: [1, 2]
          replicates: 3
    `, 'INVALID_VALUE').message).toMatch(/cannot be combined with 'for_each'/);
    expect(compileErrors(yaml`
      name: p
      steps:
        - id: a
          action: "Say hi"
          replicates: 3
          min_agreement: 1.5
    `).map((error) => error.line)).toContain(6);
  });
});
