// Benchmark (prints figures, asserts nothing): a few-step pipeline on the local model, run once and then re-run
// with every step cached. Prints the re-run's time divided by the first run's (goal <= 0.10) and how many model
// calls the re-run made (goal 0). `node bench/cache-rerun.js` after a build; `npm run bench` calls benchCacheRerun().
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Orchestrator } = require('../dist/client');
const { loadModelCatalog } = require('../dist/models/catalog');
const { LocalModelServer } = require('../dist/models/local/local-server-process');
const { createModelResolver } = require('../dist/models/registry');
const { FileRunStore } = require('../dist/store/file-run-store');
const { freePort } = require('./free-port');

const PIPELINE = `
name: cache_rerun_bench
inputs: { topic: string }
config: { model: local, cache_results: true, max_tokens: 48, temperature: 0 }
steps:
  - id: facts
    action: "List three short facts about {{ inputs.topic }}."
  - id: question
    action: "Ask one question about these facts: {{ facts.result }}"
  - id: answer
    action: "Answer in one sentence: {{ question.result }}"
  - id: title
    action: "Write a five-word title for: {{ answer.result }}"
`;

/** The worker's real models, counting the calls that reach one. */
function countingModels(models) {
  const counter = { calls: 0 };
  const resolver = {
    ...(models.unavailable ? { unavailable: (id) => models.unavailable(id) } : {}),
    resolve(spec) {
      const model = models.resolve(spec);
      return {
        id: model.id,
        provider: model.provider,
        generate(request) {
          counter.calls++;
          return model.generate(request);
        },
      };
    },
  };
  return { resolver, counter };
}

async function timed(run) {
  const started = process.hrtime.bigint();
  const result = await run();
  return { result, milliseconds: Number(process.hrtime.bigint() - started) / 1e6 };
}

/**
 * Runs the benchmark on its own embedded dev server, local model and empty run store, and returns the figures;
 * `log` receives each printed line. An orchestrator handed in (bench.js passes its own) is not used: this one's
 * worker needs the real local model behind a resolver that counts its calls.
 */
async function benchCacheRerun({ log = console.log, reruns = 3 } = {}) {
  const storeDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-bench-cache-'));
  const localServer = new LocalModelServer();
  const { resolver, counter } = countingModels(createModelResolver({ localServer, catalog: loadModelCatalog() }));
  const savedPort = process.env.ORC_DEV_SERVER_PORT;
  process.env.ORC_DEV_SERVER_PORT = String(await freePort());
  const orchestrator = new Orchestrator({ ui: false, databaseFile: null, models: resolver, store: new FileRunStore(storeDirectory), logLevel: 'ERROR' });
  try {
    await orchestrator.connect();
    // Load the model first, outside the figures: the first run measures the pipeline, not the model's start.
    await resolver.resolve('local').generate({ messages: [{ role: 'user', content: 'Say hello.' }], maxTokens: 8 });
    const pipeline = orchestrator.compile(PIPELINE);
    const inputs = { topic: 'rivers' };

    counter.calls = 0;
    const first = await timed(() => orchestrator.execute(pipeline, inputs));
    const firstCalls = counter.calls;
    const times = [];
    let rerunCalls = 0;
    let hits = 0;
    for (let repeat = 0; repeat < reruns; repeat++) {
      counter.calls = 0;
      const rerun = await timed(() => orchestrator.execute(pipeline, inputs));
      rerunCalls += counter.calls;
      hits = Object.values(rerun.result.steps).filter((step) => step.cache && step.cache.hit).length;
      times.push(rerun.milliseconds);
    }
    const rerunMs = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
    const figures = {
      steps: pipeline.steps.length,
      firstRunMs: first.milliseconds,
      firstRunModelCalls: firstCalls,
      rerunMs,
      rerunModelCalls: rerunCalls,
      rerunHits: hits,
      ratio: rerunMs / first.milliseconds,
    };
    log(`cached re-run, ${figures.steps} local-model steps: first run ${figures.firstRunMs.toFixed(0)} ms (${firstCalls} model calls)`);
    log(`  re-run (median of ${reruns}): ${rerunMs.toFixed(0)} ms, ${hits}/${figures.steps} steps from the cache, ${rerunCalls} model calls`);
    log(`  re-run time / first run time: ${figures.ratio.toFixed(3)} (goal <= 0.10); model calls of the re-runs: ${rerunCalls} (goal 0)`);
    return figures;
  } finally {
    await orchestrator.close();
    await localServer.stop();
    if (savedPort === undefined) delete process.env.ORC_DEV_SERVER_PORT;
    else process.env.ORC_DEV_SERVER_PORT = savedPort;
    fs.rmSync(storeDirectory, { recursive: true, force: true });
  }
}

module.exports = { benchCacheRerun };

if (require.main === module) {
  benchCacheRerun().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
