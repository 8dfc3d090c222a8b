// visualization on real Vega-Lite, vega and resvg: chart files a user can open, written inside the workspace.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FailureType } from '../../src/base/failure-types';
import { callTool, toolContext, type TestToolContext } from './tool-context';

const SALES = [
  { month: '2024-01-01', region: 'north', revenue: 120, units: 4 },
  { month: '2024-02-01', region: 'south', revenue: 80, units: 2 },
  { month: '2024-03-01', region: 'north', revenue: 150, units: 6 },
];

let context: TestToolContext;
beforeEach(() => (context = toolContext()));
afterEach(() => context.remove());

const read = (relative: string) => fs.readFileSync(path.join(context.workspace.root, relative));

test('create_charts: bar, line, scatter, pie and histogram as PNG files in output_dir', async () => {
  const result = await callTool('visualization', 'create_charts', { data: JSON.stringify(SALES), chart_types: ['bar', 'line', 'scatter', 'pie', 'histogram'], output_dir: 'out/charts', title: 'Sales' }, context);
  const names = ['bar', 'line', 'scatter', 'pie', 'histogram'].map((type) => `out/charts/${type}.png`);
  expect(result).toMatchObject({ charts: names, files: names, count: 5 });
  for (const file of names) expect(read(file).subarray(1, 4).toString()).toBe('PNG');
  expect(context.written).toEqual(names);
});

test('auto from a workspace CSV picks a bar chart of the category; svg draws the bars and labels', async () => {
  fs.writeFileSync(path.join(context.workspace.root, 'fruit.csv'), 'fruit,count\napple,3\npear,5\n');
  const result = await callTool('visualization', 'create_charts', { path: 'fruit.csv', chart_types: ['auto'], format: 'svg' }, context);
  expect(result.charts).toEqual(['charts/bar.svg']);
  const svg = read('charts/bar.svg').toString();
  expect(svg).toMatch(/^<svg/);
  expect(svg).toContain('apple');
  expect(svg).toContain('pear');
  expect((svg.match(/role-mark/g) ?? []).length).toBeGreaterThan(0);
});

test('create_dashboard: one HTML page with every chart inline', async () => {
  const result = await callTool('visualization', 'create_dashboard', { data: SALES, chart_types: 'bar,pie', title: 'Board <1>' }, context);
  expect(result).toMatchObject({ dashboard: 'charts/dashboard.html', charts: ['charts/bar.svg', 'charts/pie.svg'], count: 2 });
  const page = read('charts/dashboard.html').toString();
  expect(page).toContain('<title>Board &lt;1&gt;</title>');
  expect((page.match(/<svg/g) ?? []).length).toBe(2);
});

test('an unknown chart type and a directory outside the workspace are refused', async () => {
  await expect(callTool('visualization', 'create_charts', { data: SALES, chart_types: ['radar'] }, context)).rejects.toMatchObject({ type: FailureType.InvalidStep, message: expect.stringContaining('radar') });
  await expect(callTool('visualization', 'create_charts', { data: SALES, output_dir: '../elsewhere' }, context)).rejects.toMatchObject({ type: FailureType.PathOutsideWorkspace });
});
