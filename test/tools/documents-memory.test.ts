// Tools without an outside service, in real runs: validation (ajv), report-generator and markdown-to-html
// (markdown-it), memory in the run store (shared by name across runs and workers), the model-routing tools, and
// mcp-server against the reference MCP server over stdio.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Orchestrator } from '../../src/client';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { compileToolYaml } from '../helpers/tool-pipelines';

const taskQueue = `tools-documents-${process.pid}`;
let orchestrator: Orchestrator;
let workspace: string;

beforeAll(async () => {
  orchestrator = sharedServerOrchestrator(taskQueue);
  await orchestrator.connect();
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-workspace-'));
});

afterAll(async () => {
  await orchestrator?.close();
});

test('validation checks JSON against a schema, CSV rows against a row schema, and field rules', async () => {
  const result = await orchestrator.execute(
    compileToolYaml(`
name: validate
steps:
  - id: good
    tool: validation
    action: validate
    parameters:
      data: '{"records": [{"id": 1, "name": "a"}]}'
      schema: { type: object, properties: { records: { type: array, items: { type: object, required: [id, name] } } } }
  - id: bad
    tool: validation
    action: validate
    parameters:
      data: { email: "not-an-email", age: -1 }
      schema: { type: object, properties: { email: { type: string, format: email }, age: { type: integer, minimum: 0 } }, required: [email, name] }
  - id: csv
    tool: validation
    action: validate
    parameters:
      mode: CSV
      data: "order_id,quantity\\nORD-000001,2\\nORD-2,0\\n"
      schema: { type: object, properties: { order_id: { type: string, pattern: "^ORD-[0-9]{6}$" }, quantity: { type: integer, minimum: 1 } } }
  - id: rules
    tool: validation
    action: validate
    parameters:
      data: { name: "x", score: 120 }
      rules: [{ field: name, required: true, type: string, min: 2 }, { field: score, type: number, max: 100 }]
`),
  );
  expect(result.steps.good!.result).toMatchObject({ valid: true, errors: [], success: true });
  expect(result.steps.bad!.result).toMatchObject({ valid: false });
  expect((result.steps.bad!.result as { errors: string[] }).errors.sort()).toEqual(["(root) must have required property 'name'", '/age must be >= 0', '/email must match format "email"']);
  expect(result.steps.csv!.result).toMatchObject({ valid: false, errors: ['row 2: /order_id must match pattern "^ORD-[0-9]{6}$"', 'row 2: /quantity must be >= 1'] });
  expect(result.steps.rules!.result).toMatchObject({ valid: false, errors: ['/name must NOT have fewer than 2 characters', '/score must be <= 100'] });
});

test('report-generator assembles Markdown from sections and sources; markdown-to-html renders and writes a page', async () => {
  const result = await orchestrator.execute(
    compileToolYaml(`
name: report
steps:
  - id: report
    tool: report-generator
    action: generate
    parameters:
      title: Findings
      sections: [{ title: Summary, content: "Two **bold** claims." }]
      search_results: { results: [{ title: Source A, url: "https://a.example/", snippet: "about A" }] }
      output_path: out/report.md
  - id: page
    tool: markdown-to-html
    action: convert
    parameters: { markdown: "{{ report.markdown }}", title: Findings, output_path: out/report.html }
`),
    {},
    { workspace },
  );
  expect(result.steps.report!.result).toMatchObject({
    markdown: '# Findings\n\n## Summary\n\nTwo **bold** claims.\n\n## Sources\n\n1. [Source A](https://a.example/) — about A\n',
    word_count: 11,
    path: 'out/report.md',
  });
  const html = fs.readFileSync(path.join(workspace, 'out/report.html'), 'utf8');
  expect(html).toContain('<title>Findings</title>');
  expect(html).toContain('<h2>Summary</h2>\n<p>Two <strong>bold</strong> claims.</p>');
  expect(html).toContain('<a href="https://a.example/">Source A</a>');
  expect(result.files).toEqual(['out/report.md', 'out/report.html']);
});

test('memory is kept in the run store: a later run on another worker reads what an earlier run stored, by namespace', async () => {
  const namespace = `notes-${process.pid}`;
  const writer = sharedServerOrchestrator(`${taskQueue}-writer`);
  const stored = await writer.execute(
    compileToolYaml(`
name: remember
steps:
  - id: store
    tool: mcp-memory
    action: execute
    parameters: { action: store, namespace: ${namespace}, key: plan, value: { steps: [a, b] } }
  - id: other
    tool: memory
    action: store
    parameters: { namespace: ${namespace}, key: note, value: "short-lived", ttl: 3600 }
`),
  );
  expect(stored.steps.store!.result).toMatchObject({ stored: true, key: 'plan' });
  await writer.close();

  const result = await orchestrator.execute(
    compileToolYaml(`
name: recall
steps:
  - id: keys
    tool: mcp-memory
    action: execute
    parameters: { action: list, namespace: ${namespace} }
  - id: plan
    tool: mcp-memory
    action: execute
    parameters: { action: retrieve, namespace: ${namespace}, key: plan }
  - id: elsewhere
    tool: memory
    action: retrieve
    parameters: { namespace: other-${namespace}, key: plan }
  - id: forget
    tool: memory
    action: delete
    parameters: { namespace: ${namespace}, key: note }
    depends_on: [keys]
  - id: after
    tool: memory
    action: list
    parameters: { namespace: ${namespace} }
    depends_on: [forget]
`),
  );
  expect(result.steps.keys!.result).toMatchObject({ count: 2 });
  expect((result.steps.keys!.result as { keys: string[] }).keys.sort()).toEqual(['note', 'plan']);
  expect(result.steps.plan!.result).toMatchObject({ found: true, value: { steps: ['a', 'b'] } });
  expect(result.steps.elsewhere!.result).toMatchObject({ found: false, value: null });
  expect(result.steps.forget!.result).toMatchObject({ deleted: true });
  expect(result.steps.after!.result).toMatchObject({ keys: ['plan'] });
});

test('multi-model-routing, task-delegation and prompt-optimization choose from the model catalog', async () => {
  const result = await orchestrator.execute(
    compileToolYaml(`
name: routing
steps:
  - id: route
    tool: multi-model-routing
    action: execute
    parameters: { action: route, tasks: ["Summarize this document", { task: "Write a Python function" }] }
  - id: delegate
    tool: task-delegation
    action: execute
    parameters: { task: "Classify these tickets" }
  - id: batch
    tool: multi-model-routing
    action: execute
    parameters: { action: optimize_batch, tasks: ["Translate: Hello", "Translate: Thanks"], optimization_goal: minimize_cost }
  - id: optimize
    tool: prompt-optimization
    parameters: { prompt: "Summarize   the text.\\nSummarize the text.\\n\\n\\n\\nBe brief.", model: echo }
`),
  );
  const route = result.steps.route!.result as { selected_model: string; routes: Array<{ task_type: string; selected_model: string; candidates: string[] }> };
  expect(route.routes.map((each) => each.task_type)).toEqual(['summarization', 'code_generation']);
  for (const each of route.routes) expect(each.candidates).toContain(each.selected_model);
  expect(route.selected_model).toBe(route.routes[0]!.selected_model);
  // The fields the Python orchestrator's pipelines read: a model per task, the other candidates, a score.
  expect(result.steps.route!.result).toMatchObject({ recommendations: route.routes.map((each, index) => ({ task_index: index, model: each.selected_model })), tasks_count: 2 });
  const delegated = result.steps.delegate!.result as { selected_model: string; fallback_models: string[]; score: number };
  expect(delegated.fallback_models).not.toContain(delegated.selected_model);
  expect(delegated.score).toBeGreaterThan(0);
  expect(result.steps.route!.result).toMatchObject({ routing_reason: expect.any(String), current_load: 0 });
  expect(result.steps.delegate!.result).toMatchObject({ task_analysis: { task_type: 'classification', complexity: 'simple' }, estimated_cost: expect.any(Number) });
  expect(result.steps.route!.result).toMatchObject({ total_estimated_cost: expect.any(Number), models_selected: expect.arrayContaining([route.selected_model]) });
  expect(result.steps.delegate!.result).toMatchObject({ task_type: 'classification', selected_model: expect.any(String) });
  expect(result.steps.optimize!.result).toMatchObject({ optimized_prompt: 'Summarize the text.\n\nBe brief.', changes: ['tidied whitespace and dropped repeated lines'] });
  expect(result.steps.optimize!.result).toMatchObject({ metrics: { original_tokens: expect.any(Number), optimized_tokens: expect.any(Number) }, applied_optimizations: ['tidied whitespace and dropped repeated lines'] });
  const batch = result.steps.batch!.result as { results: Array<{ model: string }>; models_used: string[]; total_cost: number; optimization_goal: string };
  expect(batch.results).toHaveLength(2);
  expect(batch).toMatchObject({ optimization_goal: 'minimize_cost', total_cost: expect.any(Number), models_used: [...new Set(batch.results.map((each) => each.model))] });
});

test('mcp-server connects to a stdio server, lists its tools and calls one by the name connect remembered', async () => {
  const serverBin = path.join(path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');
  const result = await orchestrator.execute(
    compileToolYaml(`
name: mcp
steps:
  - id: connect
    tool: mcp-server
    action: execute
    parameters: { action: connect, server_name: everything, server_config: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(serverBin)}, stdio] } }
  - id: add
    tool: mcp-server
    action: execute
    parameters: { action: execute_tool, server_name: everything, tool_name: get-sum, tool_params: { a: 2, b: 5 } }
    depends_on: [connect]
`),
  );
  expect(result.steps.connect!.result).toMatchObject({ connected: true });
  expect((result.steps.connect!.result as { tools: string[] }).tools).toContain('get-sum');
  expect(String((result.steps.add!.result as { text: string }).text)).toMatch(/\b7\b/);
});
