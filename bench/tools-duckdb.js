// The data-processing tool's overhead: a DuckDB aggregate of 1 million CSV rows through the tool (its action,
// as the runTool activity calls it, over a real workspace) against the same aggregate with DuckDB called directly
// in this process. Prints both figures (median of RUNS); never asserts. Needs `npm run build` (dist/).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DuckDBInstance } = require('@duckdb/node-api');
const { dataProcessingTool } = require('../dist/tools/data-processing');
const { openWorkspace } = require('../dist/tools/workspace');

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function writeCsv(file) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(
    `COPY (SELECT i AS id, ['north','south','east','west'][1 + i % 4] AS region, (i * 7919) % 1000 / 10.0 AS amount FROM range(${ROWS}) t(i)) TO '${file}' (HEADER)`,
  );
  connection.closeSync();
  instance.closeSync();
}

async function direct(file) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(`SELECT region, sum(amount) AS total, count(*) AS n FROM read_csv_auto('${file}') GROUP BY region ORDER BY region`);
  const rows = reader.getRowObjectsJson();
  connection.closeSync();
  instance.closeSync();
  return rows;
}

async function throughTool(workspace) {
  const context = {
    workspace,
    runId: 'bench',
    stepId: 'aggregate',
    attempt: 1,
    env: process.env,
    heartbeat: () => undefined,
    signal: new AbortController().signal,
    wrote: () => undefined,
  };
  const action = dataProcessingTool.actions.aggregate;
  const parameters = action.parameters.parse({
    path: 'sales.csv',
    group_by: ['region'],
    aggregations: { total: { column: 'amount', function: 'sum' }, n: { column: '*', function: 'count' } },
  });
  const result = await action.run(parameters, context);
  return result.processed_data.data;
}

async function timed(label, body) {
  const times = [];
  let answer;
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint();
    answer = await body();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { label, median: times[Math.floor(times.length / 2)], min: times[0], answer };
}

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-bench-duckdb-'));
  try {
    const file = path.join(root, 'sales.csv');
    await writeCsv(file);
    const workspace = openWorkspace(root);
    const bare = await timed('DuckDB directly', () => direct(file));
    const tool = await timed('data-processing tool', () => throughTool(workspace));
    const same = JSON.stringify(bare.answer.map((row) => Number(row.n))) === JSON.stringify(tool.answer.map((row) => Number(row.n)));
    console.log(`DuckDB aggregate of ${ROWS.toLocaleString('en')} CSV rows (${(fs.statSync(file).size / 1e6).toFixed(1)} MB), median of ${RUNS}:`);
    for (const { label, median, min } of [bare, tool]) console.log(`  ${label.padEnd(22)} ${median.toFixed(0).padStart(6)} ms  (min ${min.toFixed(0)} ms)`);
    console.log(`  overhead of the tool   ${(tool.median - bare.median).toFixed(0).padStart(6)} ms  (${(tool.median / bare.median).toFixed(2)}x)${same ? '' : '  [answers differ!]'}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
