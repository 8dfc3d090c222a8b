// Workflow interceptors bundled only when a worker traces (worker/telemetry.ts): each activity carries its run's pipeline name.
import { defaultPayloadConverter, workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** The activity header that carries the run's pipeline name (read by worker/telemetry.ts). */
export const PIPELINE_HEADER = 'orc-pipeline';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      // The client puts the pipeline's name in the run's memo; activity spans are labelled with it.
      scheduleActivity(input, next) {
        const pipeline = workflowInfo().memo?.pipeline;
        if (typeof pipeline !== 'string') return next(input);
        return next({ ...input, headers: { ...input.headers, [PIPELINE_HEADER]: defaultPayloadConverter.toPayload(pipeline) } });
      },
      scheduleLocalActivity(input, next) {
        const pipeline = workflowInfo().memo?.pipeline;
        if (typeof pipeline !== 'string') return next(input);
        return next({ ...input, headers: { ...input.headers, [PIPELINE_HEADER]: defaultPayloadConverter.toPayload(pipeline) } });
      },
    },
  ],
});
