// An Orchestrator on the suite's shared dev server, with its own task queue and an in-process worker that
// bundles the workflow from source.
import { Orchestrator, type OrchestratorOptions } from '../../src/client';

export function sharedServerOrchestrator(taskQueue: string, options: Partial<OrchestratorOptions> = {}): Orchestrator {
  return new Orchestrator({
    address: process.env.ORC_TEST_TEMPORAL_ADDRESS!,
    taskQueue,
    worker: true,
    workflowsPath: require.resolve('../../src/workflows'),
    ...options,
  });
}
