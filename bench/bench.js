// Benchmark (prints figures, asserts nothing): orc side by side with the floor, in one process on one embedded dev
// server — a bare Temporal workflow of the same shape (bare-workflows.js) and an in-process Promise DAG.
// `npm run bench`; BENCH_REPEATS (default 5) and BENCH_LONG_CHAIN (default 5000) change how long it takes.
const { NativeConnection, Worker } = require('@temporalio/worker');
const { Orchestrator } = require('../dist/client');
const { answer, benchModelResolver } = require('./bench-model');
const { benchCacheRerun } = require('./cache-rerun');
const { benchToolOverhead } = require('./tools');
const { freePort } = require('./free-port');
const { devServerPid, measured } = require('./cpu');
const { seededRandom } = require('./seeded-random');

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const LONG_CHAIN = Number(process.env.BENCH_LONG_CHAIN ?? 5000);
/** BENCH_QUICK=1: only P1, P3(100) and P5, for comparing two builds; BENCH_SHAPES=P1,P5 picks shapes by name. */
const QUICK = process.env.BENCH_QUICK === '1';
const SHAPES = new Set((process.env.BENCH_SHAPES ?? (QUICK ? 'P1,P3,P5' : 'P1,P3,P3k,P2,P5,long,cache,tools')).split(',').map((shape) => shape.trim()));
const ORC_QUEUE = 'bench-orc';
const BARE_QUEUE = 'bench-bare';
/** Both workers run this many activities at once (orc's worker default). */
const ACTIVITY_SLOTS = 20;

async function timed(run) {
  const started = process.hrtime.bigint();
  const result = await run();
  return { milliseconds: Number(process.hrtime.bigint() - started) / 1e6, result };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** P2's DAG: each step depends on up to three earlier ones and takes 0.2–2 s. */
function randomDag(size, seed) {
  const random = seededRandom(seed);
  return Array.from({ length: size }, (_, index) => {
    const dependsOn = new Set();
    const count = index === 0 ? 0 : Math.floor(random() * 4);
    for (let pick = 0; pick < count; pick++) dependsOn.add(`s${Math.floor(random() * index)}`);
    return { id: `s${index}`, dependsOn: [...dependsOn], latencyMs: 200 + Math.round(random() * 1800) };
  });
}

/** The longest path through the DAG by latency, and the makespan with a barrier between levels. */
function dagBounds(steps) {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const finish = new Map();
  const level = new Map();
  for (const step of steps) {
    finish.set(step.id, Math.max(0, ...step.dependsOn.map((id) => finish.get(id))) + step.latencyMs);
    level.set(step.id, Math.max(-1, ...step.dependsOn.map((id) => level.get(id))) + 1);
  }
  const slowestPerLevel = new Map();
  for (const [id, depth] of level) slowestPerLevel.set(depth, Math.max(slowestPerLevel.get(depth) ?? 0, byId.get(id).latencyMs));
  return { criticalPath: Math.max(...finish.values()), levelBarrier: [...slowestPerLevel.values()].reduce((sum, each) => sum + each, 0), levels: slowestPerLevel.size };
}

const chainYaml = (length) =>
  `name: chain\nconfig: { model: echo, max_parallel: 10 }\nsteps:\n` +
  Array.from({ length }, (_, index) => (index === 0 ? `  - id: s0\n    action: "next start"\n` : `  - id: s${index}\n    action: "next {{ s${index - 1}.result }}"\n`)).join('');
const fanOutYaml = (width) =>
  `name: fanout\nconfig: { model: echo, max_parallel: ${width} }\nsteps:\n` +
  Array.from({ length: width }, (_, index) => `  - id: s${index}\n    action: "independent step ${index}"\n`).join('');
const dagYaml = (steps) =>
  `name: dag\nconfig: { model: echo, max_parallel: ${steps.length} }\nsteps:\n` +
  steps.map((step) => `  - id: ${step.id}\n    action: "${step.id} wait ${step.latencyMs}ms"\n    depends_on: [${step.dependsOn.join(', ')}]\n`).join('');

/** The same shapes as plain async functions calling the model in this process. */
const inProcess = {
  async chain(length) {
    let previous = 'start';
    for (let index = 0; index < length; index++) previous = await answer(`next ${previous}`);
  },
  async fanOut(width) {
    await Promise.all(Array.from({ length: width }, (_, index) => answer(`independent step ${index}`)));
  },
  async dag(steps) {
    const byId = new Map(steps.map((step) => [step.id, step]));
    const started = new Map();
    const run = (step) => {
      if (!started.has(step.id)) started.set(step.id, Promise.all(step.dependsOn.map((id) => run(byId.get(id)))).then(() => answer(`${step.id} wait ${step.latencyMs}ms`)));
      return started.get(step.id);
    };
    await Promise.all(steps.map(run));
  },
};

/** Samples this process's resident memory, for P5's peak. */
function rssSampler() {
  let peak = 0;
  const sample = () => (peak = Math.max(peak, process.memoryUsage.rss()));
  const timer = setInterval(sample, 50);
  sample();
  return { stop: () => (clearInterval(timer), sample(), peak) };
}

const format = (milliseconds) => (milliseconds >= 10_000 ? `${(milliseconds / 1000).toFixed(1)} s` : `${milliseconds.toFixed(0)} ms`);

async function main() {
  process.env.ORC_DEV_SERVER_PORT ??= String(await freePort());
  const orchestrator = new Orchestrator({ ui: false, databaseFile: null, taskQueue: ORC_QUEUE, models: benchModelResolver() });
  const client = await orchestrator.connect();
  const bareWorker = await Worker.create({
    connection: await NativeConnection.connect({ address: orchestrator.address }),
    taskQueue: BARE_QUEUE,
    workflowsPath: require.resolve('./bare-workflows'),
    activities: { benchStep: ({ prompt }) => answer(prompt) },
    maxConcurrentActivityTaskExecutions: ACTIVITY_SLOTS,
  });
  const bareRunning = bareWorker.run();
  let bareRuns = 0;
  const last = { orc: '', bare: '' };
  const bare = (workflow, argument) => {
    last.bare = `bench-${workflow}-${++bareRuns}`;
    return client.workflow.execute(workflow, { taskQueue: BARE_QUEUE, workflowId: last.bare, args: [argument] });
  };
  const orc = async (pipeline) => {
    const result = await orchestrator.execute(pipeline);
    if (result.status !== 'completed') throw new Error(`orc run ${result.run_id} ended ${result.status}: ${result.error}`);
    last.orc = result.run_id;
    return result;
  };
  const rows = [];
  const report = (row) => {
    rows.push(row);
    const ratio = row.orc / row.bare;
    console.log(
      `${row.name.padEnd(34)} orc ${format(row.orc).padStart(8)}  bare ${format(row.bare).padStart(8)}  in-process ${format(row.inProcess).padStart(8)}  orc/bare ${ratio.toFixed(2)}${row.goal ? `  (goal ≤ ${row.goal})` : ''}`,
    );
  };
  const serverPid = devServerPid();
  /** Worker CPU (this process: both workers and the client) and the dev server's, per 1,000 steps. */
  const cpuLine = (steps, orcCpu, bareCpu) => {
    const perThousand = (milliseconds) => ((milliseconds / steps) * 1000) / 1000;
    console.log(
      `${''.padEnd(34)} CPU per 1,000 steps: worker orc ${perThousand(orcCpu.worker).toFixed(2)} s, bare ${perThousand(bareCpu.worker).toFixed(2)} s` +
        ` (orc/bare ${(orcCpu.worker / bareCpu.worker).toFixed(2)}; goal ≤ 1.3); dev server orc ${perThousand(orcCpu.server).toFixed(2)} s,` +
        ` bare ${perThousand(bareCpu.server).toFixed(2)} s`,
    );
  };
  /** Alternates orc and bare so load on the machine falls on both alike; medians of `repeats`. */
  const sideBySide = async (name, { orcRun, bareRun, inProcessRun, steps, repeats = REPEATS, goal }) => {
    const times = { orc: [], bare: [], inProcess: [] };
    const cpu = { orc: { worker: [], server: [] }, bare: { worker: [], server: [] } };
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const [side, run] of [['orc', orcRun], ['bare', bareRun]]) {
        const figures = await measured(run, serverPid);
        times[side].push(figures.milliseconds);
        cpu[side].worker.push(figures.workerCpu);
        cpu[side].server.push(figures.serverCpu);
      }
      times.inProcess.push((await timed(inProcessRun)).milliseconds);
    }
    const row = { name, orc: median(times.orc), bare: median(times.bare), inProcess: median(times.inProcess), goal };
    report(row);
    const medians = (side) => ({ worker: median(cpu[side].worker), server: median(cpu[side].server) });
    cpuLine(steps, medians('orc'), medians('bare'));
    return row;
  };

  console.log(`orc vs bare Temporal vs in-process, one dev server, ${ACTIVITY_SLOTS} activity slots per worker, medians of ${REPEATS}\n`);
  const chain50 = orchestrator.compile(chainYaml(50));
  const fanOut100 = orchestrator.compile(fanOutYaml(100));
  // Warm-up: bundles loaded, connections made, JIT warm.
  await orc(orchestrator.compile(chainYaml(5)));
  await bare('bareChain', { length: 5 });
  await orc(fanOut100);
  await bare('bareFanOut', { width: 100 });

  if (SHAPES.has('P1')) {
    const p1 = await sideBySide('P1 chain of 50 (per step)', {
      orcRun: () => orc(chain50),
      bareRun: () => bare('bareChain', { length: 50 }),
      inProcessRun: () => inProcess.chain(50),
      steps: 50,
      goal: 1.1,
    });
    console.log(`${''.padEnd(34)} = ${(p1.orc / 50).toFixed(1)} ms per step for orc, ${(p1.bare / 50).toFixed(1)} ms bare`);
    await historyFigures(client, last, chain50);
  }
  if (SHAPES.has('P3')) {
    await sideBySide('P3 fan-out of 100', {
      orcRun: () => orc(fanOut100),
      bareRun: () => bare('bareFanOut', { width: 100 }),
      inProcessRun: () => inProcess.fanOut(100),
      steps: 100,
      goal: 1.1,
    });
  }
  if (SHAPES.has('P3k')) {
    const fanOut1000 = orchestrator.compile(fanOutYaml(1000));
    await sideBySide('P3 fan-out of 1,000', {
      orcRun: () => orc(fanOut1000),
      bareRun: () => bare('bareFanOut', { width: 1000 }),
      inProcessRun: () => inProcess.fanOut(1000),
      steps: 1000,
      repeats: 1,
    });

  }
  if (SHAPES.has('P2')) {
    const dag = randomDag(30, 20261202);
    const bounds = dagBounds(dag);
    const p2 = await sideBySide('P2 makespan, 30-step random DAG', {
      orcRun: () => orc(orchestrator.compile(dagYaml(dag))),
      bareRun: () => bare('bareDag', { steps: dag }),
      inProcessRun: () => inProcess.dag(dag),
      steps: dag.length,
      repeats: Math.min(REPEATS, 2),
    });
    console.log(
      `${''.padEnd(34)} critical path ${format(bounds.criticalPath)}; makespan / critical path: orc ${(p2.orc / bounds.criticalPath).toFixed(3)}` +
        ` (goal ≤ 1.05), bare ${(p2.bare / bounds.criticalPath).toFixed(3)}, in-process ${(p2.inProcess / bounds.criticalPath).toFixed(3)};` +
        ` a level-barrier schedule (${bounds.levels} levels) would take ${format(bounds.levelBarrier)} = ${(bounds.levelBarrier / bounds.criticalPath).toFixed(3)}`,
    );

  }
  if (SHAPES.has('P5')) {
    const runs = 100;
    const chain10 = orchestrator.compile(chainYaml(10));
    const sampler = rssSampler();
    const p5orc = await measured(() => Promise.all(Array.from({ length: runs }, () => orc(chain10))), serverPid);
    const peak = sampler.stop();
    const p5bare = await measured(() => Promise.all(Array.from({ length: runs }, () => bare('bareChain', { length: 10 }))), serverPid);
    const p5inProcess = await timed(() => Promise.all(Array.from({ length: runs }, () => inProcess.chain(10))));
    report({ name: `P5 ${runs} concurrent 10-step runs`, orc: p5orc.milliseconds, bare: p5bare.milliseconds, inProcess: p5inProcess.milliseconds, goal: 1.2 });
    cpuLine(runs * 10, { worker: p5orc.workerCpu, server: p5orc.serverCpu }, { worker: p5bare.workerCpu, server: p5bare.serverCpu });
    console.log(
      `${''.padEnd(34)} all ${p5orc.result.length} orc runs completed; ${((runs * 1000) / p5orc.milliseconds).toFixed(1)} runs/s orc,` +
        ` ${((runs * 1000) / p5bare.milliseconds).toFixed(1)} runs/s bare; peak RSS of this process (dev-server client, both workers) during orc's` +
        ` runs ${(peak / 2 ** 20).toFixed(0)} MB (goal < 600)`,
    );

  }
  if (SHAPES.has('long')) {
    // Side by side at the same time: at ~20 steps/s each, one after the other would take minutes more.
    const longChain = orchestrator.compile(chainYaml(LONG_CHAIN));
    const [longOrc, longBare] = await Promise.all([timed(() => orc(longChain)), timed(() => bare('bareChain', { length: LONG_CHAIN }))]);
    const longInProcess = await timed(() => inProcess.chain(LONG_CHAIN));
    report({ name: `chain of ${LONG_CHAIN} (run together)`, orc: longOrc.milliseconds, bare: longBare.milliseconds, inProcess: longInProcess.milliseconds });
    console.log(
      `${''.padEnd(34)} throughput ${((LONG_CHAIN * 1000) / longOrc.milliseconds).toFixed(1)} steps/s orc, ${((LONG_CHAIN * 1000) / longBare.milliseconds).toFixed(1)} bare:` +
        ` orc at ${(longBare.milliseconds / longOrc.milliseconds).toFixed(2)}× bare's throughput`,
    );

  }
  if (SHAPES.has('cache')) {
    console.log('');
    await benchCacheRerun();

  }
  if (SHAPES.has('tools')) {
    console.log('');
    await benchToolOverhead(orchestrator);

  }
  return finish();

  async function finish() {
    bareWorker.shutdown();
    await bareRunning;
    await orchestrator.close();
  }
}

/** Where the time goes: history events per step of the last chain run, orc against bare. */
async function historyFigures(client, last, pipeline) {
  const count = async (workflowId) => (await client.workflow.getHandle(workflowId).fetchHistory()).events.length;
  const [orcEvents, bareEvents] = await Promise.all([count(last.orc), count(last.bare)]);
  const inputBytes = Buffer.byteLength(JSON.stringify(pipeline));
  console.log(`${''.padEnd(34)} history events of the last run: orc ${orcEvents}, bare ${bareEvents}; orc's compiled pipeline ${(inputBytes / 1024).toFixed(1)} KiB in its input`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
