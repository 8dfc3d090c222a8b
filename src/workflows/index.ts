// Entry point of the workflow bundle: the workflows a worker registers.
export { pipelineWorkflow } from './pipeline';
export { forEachChunkWorkflow } from './for-each';
export { pipelineTestWorkflow } from './test-suite';
