// Benchmark (prints figures, asserts nothing): the embedded local model's throughput through orc, cold and warm.
// Run after setup: `npm run bench:local-model` (orchestration overhead is `npm run bench`).
const { Orchestrator } = require('../dist/client');
const { freePort } = require('./free-port');

async function timed(label, run) {
  const started = process.hrtime.bigint();
  const result = await run();
  const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
  return { label, milliseconds, result };
}

async function main() {
  process.env.ORC_DEV_SERVER_PORT = String(await freePort());
  const orchestrator = new Orchestrator({ ui: false, databaseFile: null });
  const setup = await timed('start dev server + worker', () => orchestrator.connect());
  console.log(`${setup.label}: ${setup.milliseconds.toFixed(0)} ms`);
  const local = await timed('local', () =>
    orchestrator.executeYaml(
      'name: local_speed\nconfig: { model: local, max_tokens: 128 }\nsteps:\n  - id: write\n    action: Write a paragraph about rivers.\n',
    ),
  );
  const step = local.result.steps.write;
  const generation = (Date.parse(step.completed_at) - Date.parse(step.started_at)) / 1000;
  console.log(
    `local model (SmolLM2-135M, first call includes loading it): ${step.usage.output_tokens} tokens in ${generation.toFixed(1)} s step time` +
      ` (${local.milliseconds.toFixed(0)} ms end to end)`,
  );
  const again = await timed('local', () =>
    orchestrator.executeYaml('name: local_speed\nconfig: { model: local, max_tokens: 128 }\nsteps:\n  - id: write\n    action: Write a paragraph about mountains.\n'),
  );
  const warm = again.result.steps.write;
  const warmSeconds = (Date.parse(warm.completed_at) - Date.parse(warm.started_at)) / 1000;
  console.log(`local model, warm: ${warm.usage.output_tokens} tokens in ${warmSeconds.toFixed(1)} s = ${(warm.usage.output_tokens / warmSeconds).toFixed(1)} tokens/s`);
  await orchestrator.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
