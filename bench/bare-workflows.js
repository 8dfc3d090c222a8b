// The floor: the benchmark's shapes as hand-written Temporal workflows calling one activity through proxyActivities.
const { proxyActivities } = require('@temporalio/workflow');

const { benchStep } = proxyActivities({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });

/** Each step waits for the one before it and sends its answer on. */
async function bareChain({ length }) {
  let previous = 'start';
  for (let index = 0; index < length; index++) previous = await benchStep({ prompt: `next ${previous}` });
  return { steps: length, last: previous };
}

/** Independent steps, all at once. */
async function bareFanOut({ width }) {
  const results = await Promise.all(Array.from({ length: width }, (_, index) => benchStep({ prompt: `independent step ${index}` })));
  return { steps: results.length };
}

/** A DAG given as [{ id, dependsOn, latencyMs }]: each step starts the moment its dependencies have finished. */
async function bareDag({ steps }) {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const started = new Map();
  const run = (step) => {
    if (!started.has(step.id)) {
      started.set(
        step.id,
        Promise.all(step.dependsOn.map((id) => run(byId.get(id)))).then(() => benchStep({ prompt: `${step.id} wait ${step.latencyMs}ms` })),
      );
    }
    return started.get(step.id);
  };
  await Promise.all(steps.map(run));
  return { steps: steps.length };
}

module.exports = { bareChain, bareFanOut, bareDag };
