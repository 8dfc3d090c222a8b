// Benchmark (prints figures, asserts nothing): the local model's accuracy on 30 labelled sentiment sentences,
// answering once and with `replicates: 5` (majority vote). Run after setup: `npm run bench:replicates`.
const fs = require('node:fs');
const path = require('node:path');
const { Orchestrator } = require('../dist/client');
const { freePort } = require('./free-port');

const items = JSON.parse(fs.readFileSync(path.join(__dirname, 'data', 'sentiment.json'), 'utf8'));

function pipelineYaml(replicates) {
  const bundle = replicates > 1 ? `    replicates: ${replicates}\n    consensus: majority\n` : '';
  return `name: sentiment_${replicates}
inputs: { text: { type: string, required: true } }
config: { model: local, max_parallel: 5, temperature: 0.8 }
steps:
  - id: label
    action: |
      Is the sentiment of this text positive or negative?
      Text: {{ inputs.text }}
    output_schema: { type: object, properties: { sentiment: { enum: [positive, negative] } }, required: [sentiment] }
${bundle}`;
}

async function accuracy(orchestrator, replicates) {
  const pipeline = orchestrator.compile(pipelineYaml(replicates));
  let correct = 0;
  let calls = 0;
  const started = Date.now();
  for (const item of items) {
    const result = await orchestrator.execute(pipeline, { text: item.text });
    const step = result.steps.label;
    if (step.status === 'completed' && step.result && step.result.sentiment === item.label) correct++;
    calls += step.evidence ? step.evidence.replicates.length : 1;
  }
  return { correct, calls, seconds: (Date.now() - started) / 1000 };
}

async function main() {
  process.env.ORC_DEV_SERVER_PORT = String(await freePort());
  const orchestrator = new Orchestrator({ ui: false, databaseFile: null });
  await orchestrator.connect();
  console.log(`sentiment, ${items.length} labelled sentences, local model (SmolLM2-135M), temperature 0.8`);
  for (const replicates of [1, 5]) {
    const outcome = await accuracy(orchestrator, replicates);
    console.log(
      `  ${replicates === 1 ? 'one answer      ' : `replicates: ${replicates}   `} accuracy ${outcome.correct}/${items.length} = ${((100 * outcome.correct) / items.length).toFixed(1)}%` +
        `  (${outcome.calls} model calls, ${outcome.seconds.toFixed(0)} s)`,
    );
  }
  await orchestrator.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
