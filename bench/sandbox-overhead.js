// Benchmark (prints figures, asserts nothing): what a sandboxed run_code costs for `print(1)`, from container
// create to exit, three ways: the docker CLI with the same lockdown flags, orc's runCode activity (dockerode:
// create, start, files in by exec, run by exec, output files out, remove), and a whole one-step pipeline run.
// Run after setup: `npm run bench:sandbox`.
const { execFileSync } = require('node:child_process');
const { MockActivityEnvironment } = require('@temporalio/testing');
const { createSandboxActivities, sandboxImage } = require('../dist/activities/sandbox');
const { Orchestrator } = require('../dist/client');
const { freePort } = require('./free-port');

const RUNS = Number(process.env.BENCH_RUNS ?? 10);

function summary(label, samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  console.log(`${label.padEnd(44)} median ${median.toFixed(0).padStart(5)} ms   mean ${mean.toFixed(0).padStart(5)} ms   min ${sorted[0].toFixed(0).padStart(5)} ms   (n=${samples.length})`);
}

async function sample(run) {
  const samples = [];
  await run(); // warm-up
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples;
}

async function main() {
  const image = sandboxImage();
  console.log(`sandbox image ${image}; ${RUNS} runs each after one warm-up`);
  const cli = await sample(async () => {
    execFileSync('docker', ['run', '--rm', '--network', 'none', '--read-only', '--tmpfs', '/work:rw,size=64m,uid=10001,gid=10001', '--memory', '256m',
      '--pids-limit', '64', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--user', '10001:10001', image, 'python3', '-c', 'print(1)']);
  });
  summary('docker CLI run --rm, print(1)', cli);

  const sandbox = createSandboxActivities();
  const input = { stepId: 'bench', language: 'python', code: 'print(1)', timeoutSeconds: 30, memoryMb: 256, files: {} };
  const activity = await sample(async () => {
    const result = await new MockActivityEnvironment().run(sandbox.runCode, input);
    if (result.stdout !== '1\n') throw new Error(`unexpected output ${JSON.stringify(result)}`);
  });
  summary('runCode activity (dockerode), print(1)', activity);

  process.env.ORC_DEV_SERVER_PORT = String(await freePort());
  const orchestrator = new Orchestrator({ ui: false, databaseFile: null });
  await orchestrator.connect();
  try {
    const yaml = 'name: bench_sandbox\nsteps:\n  - id: run\n    action: run_code\n    parameters: { language: python, code: "print(1)" }\n';
    const pipeline = await sample(async () => {
      const result = await orchestrator.executeYaml(yaml);
      if (result.status !== 'completed') throw new Error(JSON.stringify(result));
    });
    summary('one-step pipeline run (workflow + sandbox)', pipeline);
  } finally {
    await orchestrator.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
