// Worker Versioning (spec section 16): which build of a Worker Deployment takes new runs, and which build a run is on.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const { VersioningBehavior, VersionDrainageStatus, WorkerDeploymentVersionStatus } = temporal.api.enums.v1;

export interface PromoteRequest {
  deployment: string;
  buildId: string;
  /** Percent of new runs for this build, the rest staying on the current build; absent: it becomes current. */
  ramp?: number;
}

function enumName(names: Record<number, string>, value: number | null | undefined, prefix: string): string {
  return (names[value ?? 0] ?? 'unspecified').replace(prefix, '').toLowerCase();
}

/** Sets the current or the ramping build. The server knows a build once one of its workers has polled. */
export async function promote(client: Client, request: PromoteRequest): Promise<void> {
  const common = { namespace: client.options.namespace, deploymentName: request.deployment, buildId: request.buildId, identity: client.options.identity };
  try {
    if (request.ramp === undefined) await client.workflowService.setWorkerDeploymentCurrentVersion(common);
    else await client.workflowService.setWorkerDeploymentRampingVersion({ ...common, percentage: request.ramp });
  } catch (error) {
    const message = (error as Error).message;
    const hint = /not found|does not exist|no .*poller|not yet/i.test(message)
      ? `; start a worker of it first (\`orc worker --deployment ${request.deployment} --build-id ${request.buildId}\`), then promote it`
      : '';
    throw new Error(`cannot promote build ${request.buildId} of deployment ${request.deployment}: ${message}${hint}`, { cause: error });
  }
}

export interface DeploymentVersionState {
  buildId: string;
  /** current, ramping, draining, drained, inactive. */
  status: string;
  /** draining (pinned runs still open), drained, or unspecified while current or ramping. */
  drainage: string;
}

export interface DeploymentState {
  deployment: string;
  current: string | null;
  ramping: { buildId: string; percent: number } | null;
  versions: DeploymentVersionState[];
}

export async function describeDeployment(client: Client, deployment: string): Promise<DeploymentState> {
  const response = await client.workflowService.describeWorkerDeployment({ namespace: client.options.namespace, deploymentName: deployment });
  const info = response.workerDeploymentInfo;
  const routing = info?.routingConfig;
  const ramping = routing?.rampingDeploymentVersion?.buildId;
  return {
    deployment,
    current: routing?.currentDeploymentVersion?.buildId || null,
    ramping: ramping ? { buildId: ramping, percent: routing?.rampingVersionPercentage ?? 0 } : null,
    versions: (info?.versionSummaries ?? []).map((summary) => ({
      buildId: summary.deploymentVersion?.buildId ?? summary.version ?? '',
      status: enumName(WorkerDeploymentVersionStatus, summary.status, 'WORKER_DEPLOYMENT_VERSION_STATUS_'),
      drainage: enumName(VersionDrainageStatus, summary.drainageStatus, 'VERSION_DRAINAGE_STATUS_'),
    })),
  };
}

export interface RunBuild {
  deployment: string;
  buildId: string;
  /** pinned or auto_upgrade. */
  behavior: string;
}

/** The build a run is on (null: an unversioned worker runs it, or no workflow task has completed yet). */
export async function buildOfRun(client: Client, runId: string): Promise<RunBuild | null> {
  const description = await client.workflow.getHandle(runId).describe();
  const versioning = description.raw.workflowExecutionInfo?.versioningInfo;
  const version = versioning?.deploymentVersion;
  if (!version?.buildId) return null;
  return {
    deployment: version.deploymentName ?? '',
    buildId: version.buildId,
    behavior: enumName(VersioningBehavior, versioning?.behavior, 'VERSIONING_BEHAVIOR_'),
  };
}
