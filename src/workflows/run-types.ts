// Kept for workflow code that imports the run's types from here; they live in src/base.
export * from '../base/run-types';
