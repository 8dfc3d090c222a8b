// The 34 AUTO tags of the four seed pipelines (seeds/004 sections 4.2 and 10) and the schema each one's text implies.
import * as path from 'node:path';
import { compilePipelineFile } from '../../src/compiler';

const expected: Record<string, Record<string, unknown>> = {
  'example-pipeline': {
    'topic_analysis.parameters.analysis_type': {type: 'string', maxLength: 100},
    'topic_analysis.parameters.output_format': {type: 'string', enum: ['bullet_points', 'narrative', 'structured']},
    'research_planning.parameters.research_depth': {type: 'string', enum: ['shallow', 'medium', 'deep']},
    'research_planning.parameters.sources': {type: 'array', items: {type: 'string', maxLength: 40}, minItems: 1, maxItems: 4},
    'web_search.parameters.queries': {type: 'array', items: {type: 'string', maxLength: 40}, minItems: 1, maxItems: 4},
    'web_search.parameters.num_results': {type: 'integer', minimum: 1, maximum: 100},
    'content_synthesis.parameters.style': {type: 'string', enum: ['academic', 'business', 'general']},
    'content_synthesis.parameters.length': {type: 'string', maxLength: 100},
    'report_generation.parameters.sections': {type: 'array', items: {type: 'string', maxLength: 40}, minItems: 1, maxItems: 4},
  },
  'code-review': {
    'code_parsing.parameters.languages': {type: 'array', items: {type: 'string', maxLength: 40}, minItems: 1, maxItems: 4},
    'security_scan.parameters.severity_threshold': {type: 'number'},
    'security_scan.parameters.scan_depth': {type: 'string', maxLength: 100},
    'style_check.parameters.style_guide': {type: 'string', maxLength: 100},
    'complexity_analysis.parameters.metrics': {type: 'array', items: {type: 'string', maxLength: 40}, minItems: 1, maxItems: 4},
    'generate_review.parameters.review_tone': {type: 'string', enum: ['professional', 'constructive', 'educational']},
    'generate_review.parameters.priority_order': {type: 'string', maxLength: 100},
  },
  'data-analysis': {
    'data_ingestion.parameters.format': {type: 'string', maxLength: 100},
    'data_ingestion.parameters.sampling_strategy': {type: 'string', maxLength: 100},
    'data_profiling.parameters.profile_depth': {type: 'string', enum: ['basic', 'standard', 'comprehensive']},
    'data_profiling.parameters.anomaly_detection': {type: 'boolean'},
    'statistical_analysis.parameters.tests': {type: 'array', items: {type: 'string', maxLength: 40}, minItems: 1, maxItems: 4},
    'statistical_analysis.parameters.confidence_level': {type: 'number'},
    'visualization_planning.parameters.num_visualizations': {type: 'integer', minimum: 1, maximum: 100},
    'visualization_planning.parameters.chart_types': {type: 'array', items: {type: 'string', maxLength: 40}, minItems: 1, maxItems: 4},
    'generate_report.parameters.executive_summary': {type: 'string', maxLength: 100},
    'generate_report.parameters.technical_depth': {type: 'string', maxLength: 100},
  },
  'ensemble-prediction': {
    'data_preparation.parameters.preprocessing': {type: 'array', items: {type: 'string', maxLength: 40}, minItems: 1, maxItems: 4},
    'data_preparation.parameters.feature_engineering': {type: 'array', items: {type: 'string', maxLength: 40}, minItems: 1, maxItems: 4},
    'model_selection.parameters.num_models': {type: 'integer', minimum: 3, maximum: 7},
    'model_selection.parameters.diversity_strategy': {type: 'string', maxLength: 100},
    'ensemble_aggregation.parameters.aggregation_method': {type: 'string', enum: ['voting', 'averaging', 'stacking']},
    'ensemble_aggregation.parameters.confidence_calculation': {type: 'string', maxLength: 100},
    'result_validation.parameters.validation_threshold': {type: 'number'},
    'result_validation.parameters.fallback_strategy': {type: 'string', maxLength: 100},
  },
};

test('the seed pipelines hold 34 AUTO tags', () => {
  const count = Object.values(expected).reduce((total, tags) => total + Object.keys(tags).length, 0);
  expect(count).toBe(34);
});

test.each(Object.keys(expected))('every AUTO tag of %s gets the schema its text implies', (seed) => {
  const result = compilePipelineFile(path.join(__dirname, '..', 'fixtures', 'compiler', 'seeds', `${seed}.yaml`));
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  const schemas = Object.fromEntries(result.pipeline.autoTags.map((tag) => [tag.path.replace(/^steps\./, ''), tag.schema]));
  expect(schemas).toEqual(expected[seed]);
});
