// Kept for workflow code that still imports the compiled pipeline's types from here; they live in src/base.
export * from '../base/compiled-pipeline';
