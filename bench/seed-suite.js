// Benchmark (prints figures, asserts nothing): the four pipelines of the design document (seeds/004 sections
// 4.2, 10.1, 10.2, 10.3) run with the embedded local model, three input sets each, through real Temporal runs.
// Prints runs completed, degenerate or echoed values (the detector of src/models/local/degeneration.ts applied to
// every AUTO value and every step result), re-asks, and seconds per run. Run after setup: `npm run bench:seeds`.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
// A fresh data folder: answers cached by an earlier run (AUTO values, step results) would hide the model.
process.env.ORC_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-seed-suite-'));
const { Orchestrator, compilePipelineFile } = require('../dist/client');
const { findDegeneration, describeDegeneration } = require('../dist/models/local/degeneration');
const { freePort } = require('./free-port');

// The pipelines as seeds/004 writes them (the compiler's fixtures are verbatim copies); the input sets are ours.
const pipelineDirectory = path.join(root, 'test', 'fixtures', 'compiler', 'seeds');
const inputSets = JSON.parse(fs.readFileSync(path.join(root, 'test', 'fixtures', 'seeds', 'inputs.json'), 'utf8'));

/** An enum, a boolean or a bounded number: the values a small model should never need a second try for. */
function isClosed(schema) {
  return Array.isArray(schema.enum) || schema.type === 'boolean' || (typeof schema.minimum === 'number' && typeof schema.maximum === 'number');
}

function settingName(tagPath) {
  return tagPath.split('.').pop();
}

function short(value) {
  const text = JSON.stringify(value);
  return text.length > 70 ? `${text.slice(0, 70)}…` : text;
}

async function main() {
  process.env.ORC_DEV_SERVER_PORT = String(await freePort());
  const orchestrator = new Orchestrator({ ui: false, databaseFile: null });
  await orchestrator.connect();
  const totals = { runs: 0, completed: 0, values: 0, degenerate: 0, reAsks: 0, closedReAsks: 0, stillDegenerate: 0, seconds: [] };
  const findings = [];
  try {
    for (const [seed, sets] of Object.entries(inputSets)) {
      const compiled = compilePipelineFile(path.join(pipelineDirectory, `${seed}.yaml`));
      if (!compiled.ok) throw new Error(`${seed}: ${JSON.stringify(compiled.diagnostics)}`);
      const pipeline = compiled.pipeline;
      for (const [index, inputs] of sets.entries()) {
        totals.runs++;
        const started = process.hrtime.bigint();
        let result;
        try {
          result = await orchestrator.execute(pipeline, inputs);
        } catch (error) {
          result = { status: 'error', error: error.message, steps: {}, auto_resolutions: [] };
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        totals.seconds.push(seconds);
        if (result.status === 'completed') totals.completed++;
        const sources = Object.values(inputs).map(String);
        const problems = [];
        const reAsks = [];
        for (const resolution of result.auto_resolutions) {
          const tag = pipeline.autoTags.find((candidate) => candidate.path === resolution.path);
          totals.values++;
          const name = settingName(resolution.path);
          const found = findDegeneration(resolution.value, {
            schema: tag.schema,
            sources,
            instructions: [name, name.replace(/_/g, ' '), tag.description],
          });
          if (found) problems.push(`${resolution.path} = ${short(resolution.value)}: ${describeDegeneration(found)}`);
          if (resolution.retries) {
            if (/degenerate too/.test(resolution.reason)) totals.stillDegenerate++;
            reAsks.push(`${resolution.path} (${resolution.reason})`);
            totals.reAsks += resolution.retries;
            if (isClosed(tag.schema)) totals.closedReAsks += resolution.retries;
          }
        }
        for (const [stepId, step] of Object.entries(result.steps)) {
          if (step.status !== 'completed') continue;
          totals.values++;
          const compiledStep = pipeline.steps.find((candidate) => candidate.id === stepId);
          const found = findDegeneration(step.result, { schema: compiledStep.outputSchema ?? undefined, sources: [...sources, pipeline.description ?? ''] });
          if (found) problems.push(`steps.${stepId}.result = ${short(step.result)}: ${describeDegeneration(found)}`);
          if (step.retries) {
            if (/degenerate too/.test(step.reason)) totals.stillDegenerate++;
            reAsks.push(`steps.${stepId} (${step.reason})`);
            totals.reAsks += step.retries;
          }
        }
        totals.degenerate += problems.length;
        console.log(`${seed} #${index + 1} ${JSON.stringify(inputs)}: ${result.status} in ${seconds.toFixed(1)} s${result.error ? ` — ${result.error}` : ''}`);
        for (const resolution of result.auto_resolutions) console.log(`    ${resolution.path.replace(/^steps\./, '')} = ${short(resolution.value)}${resolution.retries ? ' (re-asked)' : ''}`);
        for (const problem of problems) console.log(`    DEGENERATE ${problem}`);
        for (const reAsk of reAsks) console.log(`    re-asked ${reAsk}`);
        findings.push(...problems);
      }
    }
  } finally {
    await orchestrator.close();
  }
  const total = totals.seconds.reduce((sum, value) => sum + value, 0);
  console.log('');
  console.log(`runs completed: ${totals.completed}/${totals.runs}`);
  console.log(`degenerate or echoed values: ${totals.degenerate}/${totals.values} (AUTO values and step results)`);
  console.log(`re-asks: ${totals.reAsks} (of them for an enum, boolean or bounded number: ${totals.closedReAsks})`);
  // The guard judges with the whole request as context (earlier steps' results too), which this script does not have.
  console.log(`values the guard still judged degenerate after its re-ask (kept, being valid): ${totals.stillDegenerate}`);
  console.log(
    `seconds per run: mean ${(total / totals.seconds.length).toFixed(1)}, min ${Math.min(...totals.seconds).toFixed(1)}, max ${Math.max(...totals.seconds).toFixed(1)} (${total.toFixed(0)} s in all)`,
  );
  fs.rmSync(process.env.ORC_DATA_DIR, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
