// visualization: charts of the step's data (rows inline, or a CSV / JSON / Parquet file in the workspace) drawn
// with Vega-Lite to SVG and PNG, and a dashboard page embedding them. Result `{charts[paths], files, count}`
// (pyorc-dialect.md section 5). All offline.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { loadStepInput } from './data-input';
import { isNumeric, type ColumnInfo } from './data-operations';
import { DataSession, type Row } from './duckdb-session';
import { invalidParameters } from './tool-failure';
import type { ToolContext, ToolModule } from './types';
import { renderSvgs, svgToPng } from './vega-render';

export const CHART_TYPES = ['bar', 'line', 'scatter', 'pie', 'histogram', 'heatmap'] as const;
type ChartType = (typeof CHART_TYPES)[number];

const chartParameters = z.looseObject({
  data: z.unknown().optional(),
  chart_types: z.union([z.array(z.string()), z.string()]).optional(),
  chart_type: z.string().optional(),
  output_dir: z.string().optional(),
  title: z.string().optional(),
  x: z.string().optional(),
  y: z.string().optional(),
  color: z.string().optional(),
  /** png (default), svg, or both. */
  format: z.string().optional(),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
});
type ChartParameters = z.infer<typeof chartParameters>;

interface Table {
  rows: Row[];
  columns: ColumnInfo[];
}

async function loadTable(parameters: ChartParameters, context: ToolContext): Promise<Table> {
  const session = await DataSession.open();
  try {
    await loadStepInput(parameters, session, context.workspace, 'data');
    await session.lock();
    const result = await session.query('SELECT * FROM data LIMIT 5000');
    return { rows: result.rows, columns: result.columns.map((name, index) => ({ name, type: result.types[index] ?? 'VARCHAR' })) };
  } finally {
    session.close();
  }
}

interface Fields {
  category?: string;
  numbers: string[];
  time?: string;
}

function fieldsOf(columns: ColumnInfo[], parameters: ChartParameters): Fields {
  const numbers = columns.filter(isNumeric).map((column) => column.name);
  const time = columns.find((column) => /^(DATE|TIMESTAMP)/.test(column.type))?.name;
  const category = columns.find((column) => !isNumeric(column) && column.name !== time)?.name;
  return {
    category: parameters.x ?? category ?? time,
    numbers: parameters.y ? [parameters.y, ...numbers.filter((name) => name !== parameters.y)] : numbers,
    time: parameters.x ?? time ?? category,
  };
}

/** The chart types asked for; `auto` picks what suits the columns. */
function chartTypesOf(parameters: ChartParameters, fields: Fields): ChartType[] {
  const given = parameters.chart_types ?? parameters.chart_type ?? 'auto';
  const list = (Array.isArray(given) ? given : given.split(',')).map((type) => type.trim().toLowerCase());
  const auto: ChartType[] = fields.category && fields.numbers.length > 0 ? ['bar'] : fields.numbers.length >= 2 ? ['scatter'] : ['histogram'];
  if (fields.time && fields.time !== fields.category && fields.numbers.length > 0) auto.push('line');
  const chosen = list.flatMap((type) => (type === 'auto' ? auto : [type]));
  const unknown = chosen.filter((type) => !(CHART_TYPES as readonly string[]).includes(type));
  if (unknown.length > 0) throw invalidParameters(`unknown chart type '${unknown[0]}': use ${CHART_TYPES.join(', ')} or auto`);
  return [...new Set(chosen)] as ChartType[];
}

function need(field: string | undefined, chart: ChartType, what: string): string {
  if (!field) throw invalidParameters(`a ${chart} chart needs ${what} in the data (or name it with x / y)`);
  return field;
}

/** The Vega-Lite encoding of one chart type over the data's fields. */
function markAndEncoding(chart: ChartType, fields: Fields, parameters: ChartParameters): Record<string, unknown> {
  const value = fields.numbers[0];
  const color = parameters.color ? { color: { field: parameters.color, type: 'nominal' } } : {};
  switch (chart) {
    case 'bar':
      return { mark: 'bar', encoding: { x: { field: need(fields.category, chart, 'a category column'), type: 'nominal', sort: null }, y: value ? { field: value, type: 'quantitative', aggregate: 'sum' } : { aggregate: 'count', type: 'quantitative' }, ...color } };
    case 'line':
      return { mark: { type: 'line', point: true }, encoding: { x: { field: need(fields.time, chart, 'an x column'), type: fields.time === fields.category ? 'ordinal' : 'temporal' }, y: { field: need(value, chart, 'a numeric column'), type: 'quantitative', aggregate: 'sum' }, ...color } };
    case 'scatter':
      return { mark: 'point', encoding: { x: { field: need(fields.numbers[0], chart, 'two numeric columns'), type: 'quantitative' }, y: { field: need(fields.numbers[1], chart, 'two numeric columns'), type: 'quantitative' }, ...color } };
    case 'pie':
      return { mark: 'arc', encoding: { theta: value ? { field: value, type: 'quantitative', aggregate: 'sum' } : { aggregate: 'count', type: 'quantitative' }, color: { field: need(fields.category, chart, 'a category column'), type: 'nominal' } } };
    case 'histogram':
      return { mark: 'bar', encoding: { x: { field: need(value, chart, 'a numeric column'), type: 'quantitative', bin: true }, y: { aggregate: 'count', type: 'quantitative' } } };
    case 'heatmap':
      return { mark: 'rect', encoding: { x: { field: need(fields.category, chart, 'a category column'), type: 'nominal' }, y: { field: need(parameters.color ?? fields.time, chart, 'a second column'), type: 'nominal' }, color: value ? { field: value, type: 'quantitative', aggregate: 'sum' } : { aggregate: 'count', type: 'quantitative' } } };
  }
}

export function chartSpec(chart: ChartType, table: Table, parameters: ChartParameters): Record<string, unknown> {
  const fields = fieldsOf(table.columns, parameters);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: parameters.title ? `${parameters.title} (${chart})` : chart,
    width: parameters.width ?? 480,
    height: parameters.height ?? 300,
    background: 'white',
    data: { values: table.rows },
    ...markAndEncoding(chart, fields, parameters),
  };
}

interface Drawn {
  charts: string[];
  files: string[];
  svgs: string[];
  types: ChartType[];
}

/** Draws each chart type into `output_dir` (default `charts`): TYPE.png and/or TYPE.svg. */
async function draw(parameters: ChartParameters, context: ToolContext): Promise<Drawn> {
  const directory = parameters.output_dir ?? 'charts';
  context.workspace.resolve(directory);
  const table = await loadTable(parameters, context);
  if (table.rows.length === 0) throw invalidParameters('the data has no rows to chart');
  const types = chartTypesOf(parameters, fieldsOf(table.columns, parameters));
  const svgs = await renderSvgs(types.map((type) => chartSpec(type, table, parameters)), context.signal);
  const format = (parameters.format ?? 'png').toLowerCase();
  const charts: string[] = [];
  const files: string[] = [];
  types.forEach((type, index) => {
    const written: Array<[string, string | Buffer]> = [];
    if (format !== 'png') written.push([`${directory}/${type}.svg`, svgs[index]!]);
    if (format !== 'svg') written.push([`${directory}/${type}.png`, svgToPng(svgs[index]!)]);
    for (const [relative, content] of written) writeFile(relative, content, context);
    charts.push(written[0]![0]);
    files.push(...written.map(([relative]) => relative));
  });
  return { charts, files, svgs, types };
}

function writeFile(relative: string, content: string | Buffer, context: ToolContext): void {
  const target = context.workspace.resolve(relative);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, content);
  context.wrote(relative);
}

async function createCharts(parameters: ChartParameters, context: ToolContext): Promise<Record<string, unknown>> {
  const { charts, files, types } = await draw(parameters, context);
  return { charts, files, count: charts.length, chart_types: types };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One HTML page with every chart's SVG inline (it opens with no network and no other file). */
async function createDashboard(parameters: ChartParameters & { output_path?: string }, context: ToolContext): Promise<Record<string, unknown>> {
  const { charts, files, svgs, types } = await draw({ ...parameters, format: 'svg' }, context);
  const title = escapeHtml(parameters.title ?? 'Dashboard');
  const figures = svgs.map((svg, index) => `<figure><figcaption>${types[index]}</figcaption>${svg.replace(/^<\?xml[^>]*>/, '')}</figure>`).join('\n');
  const page = `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><style>body{font-family:sans-serif;margin:24px}main{display:flex;flex-wrap:wrap;gap:24px}figure{margin:0}figcaption{font-weight:bold}</style></head><body><h1>${title}</h1><main>\n${figures}\n</main></body></html>\n`;
  const dashboard = parameters.output_path ?? `${parameters.output_dir ?? 'charts'}/dashboard.html`;
  writeFile(dashboard, page, context);
  return { dashboard, charts, files: [...files, dashboard], count: charts.length };
}

export const visualizationTool: ToolModule = {
  name: 'visualization',
  description: 'Charts of tabular data with Vega-Lite (SVG and PNG, offline): bar, line, scatter, pie, histogram, heatmap or auto, and a dashboard page',
  actions: {
    create_charts: { description: 'Draws each of `chart_types` into `output_dir` (PNG by default; format svg or both): {charts, files, count}', parameters: chartParameters, run: createCharts },
    create_dashboard: {
      description: 'An HTML page (output_path, default OUTPUT_DIR/dashboard.html) with every chart inline as SVG',
      parameters: chartParameters.extend({ output_path: z.string().optional() }),
      run: createDashboard,
    },
  },
  defaultAction: 'create_charts',
  actionFor(action) {
    const name = action.toLowerCase();
    if (['create_chart', 'create_charts', 'chart', 'plot', 'visualize', 'generate_charts'].includes(name)) return 'create_charts';
    if (['create_dashboard', 'dashboard'].includes(name)) return 'create_dashboard';
    return undefined;
  },
  availability: () => ({ available: true }),
};
