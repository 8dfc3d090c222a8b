// Agent steps in real runs: the shared dev server, an in-process worker, the real OpenAI/Anthropic/Gemini SDKs against
// a scripted wire-protocol fake, the real MCP `everything` server over stdio, real Docker for run_code.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Orchestrator, RunResult } from '../../src/client';
import { Client, Connection } from '@temporalio/client';
import type { AgentResult } from '../../src/workflows/agent-loop';
import type { PipelineRunInput } from '../../src/base/run-types';
import { orcEnvironment, runOrc, startOrc, waitFor } from '../helpers/cli';
import { compileYaml } from '../helpers/compile';
import { FakeToolModelServer, type ScriptedReply, type SeenRequest } from '../helpers/fake-tool-models';
import { sharedServerOrchestrator } from '../helpers/orchestrator';

const serverBin = path.join(path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');
const everything = `{ command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(serverBin)}, stdio] }`;
const taskQueue = `agents-test-${process.pid}`;
const fake = new FakeToolModelServer();
let orchestrator: Orchestrator;
let folder: string;

beforeAll(async () => {
  const base = await fake.start();
  // The worker runs in this process: its model resolver reads these.
  Object.assign(process.env, {
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: `${base}/v1`,
    ANTHROPIC_API_KEY: 'sk-ant-test',
    ANTHROPIC_BASE_URL: base,
    GOOGLE_API_KEY: 'google-test',
    GOOGLE_BASE_URL: base,
  });
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-agents-'));
  orchestrator = sharedServerOrchestrator(taskQueue);
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
  await fake.stop();
  fs.rmSync(folder, { recursive: true, force: true });
});

/** The text of the last tool answer in the conversation, or undefined before the first. */
function lastToolAnswer(request: SeenRequest): string | undefined {
  return [...request.messages].reverse().find((message) => message.role === 'tool')?.text;
}

function callsSoFar(request: SeenRequest): number {
  return request.messages.filter((message) => message.toolCalls).length;
}

function agentResult(result: RunResult, step: string): AgentResult {
  return result.steps[step]!.result as AgentResult;
}

test('OpenAI, Anthropic and Gemini agents call the MCP server with the arguments they chose and answer with its result', async () => {
  const sumThenAnswer = (request: SeenRequest): ScriptedReply => {
    const answer = lastToolAnswer(request);
    return answer === undefined ? { toolCalls: [{ name: 'everything_get-sum', arguments: { a: 40, b: 2 } }] } : { text: `The tool says: ${answer}` };
  };
  for (const model of ['gpt-agent', 'claude-agent', 'gemini-agent']) fake.scripts.set(model, sumThenAnswer);
  const result = await orchestrator.executeYaml(`
name: agents_wire
mcp_servers:
  everything: ${everything}
agents:
  calculator: { system: You add numbers with the tool you have., tools: [everything.get-sum] }
steps:
  - { id: openai, action: agent, model: "openai:gpt-agent", parameters: { agent: calculator, prompt: "What is 40 + 2?" } }
  - { id: anthropic, action: agent, model: "anthropic:claude-agent", parameters: { agent: calculator, prompt: "What is 40 + 2?" } }
  - { id: google, action: agent, model: "google:gemini-agent", parameters: { agent: calculator, prompt: "What is 40 + 2?" } }
`);
  expect(result.status).toBe('completed');
  for (const step of ['openai', 'anthropic', 'google']) {
    const agent = agentResult(result, step);
    expect(agent.answer).toMatch(/^The tool says: .*\b42\b/);
    expect(agent.turns).toBe(2);
    expect(agent.transcript.map((entry) => [entry.role, entry.tool_call?.name ?? entry.tool_result?.name ?? null])).toEqual([
      ['user', null],
      ['assistant', 'everything.get-sum'],
      ['tool', 'everything.get-sum'],
      ['assistant', null],
    ]);
    expect(agent.transcript[1]!.tool_call!.arguments).toEqual({ a: 40, b: 2 });
    expect(agent.transcript[2]!.tool_result).toMatchObject({ content: expect.stringMatching(/\b42\b/), error: false });
    expect(agent.agents.calculator).toEqual({ turns: 2, tool_calls: 1, usage: { input_tokens: 20, output_tokens: 10, cost_usd: expect.any(Number) } });
    expect(result.steps[step]!.usage).toMatchObject({ input_tokens: 20, output_tokens: 10 });
  }
  // The tool's answer reached each provider in its own wire shape, after the model's call.
  for (const model of ['gpt-agent', 'claude-agent', 'gemini-agent']) {
    const requests = fake.requestsFor(model);
    expect(requests).toHaveLength(2);
    expect(requests[0]!.tools).toEqual(['everything_get-sum']);
    expect(lastToolAnswer(requests[1]!)).toMatch(/\b42\b/);
  }
}, 120_000);

test('run_code and pipeline tools, a tool error the model recovers from, and max_turns', async () => {
  const child = path.join(folder, 'shout.yaml');
  fs.writeFileSync(
    child,
    'name: shout\ndescription: Shouts a text.\ninputs:\n  text: { type: string, required: true }\nconfig: { model: echo }\nsteps:\n  - id: loud\n    action: "SHOUT {{ inputs.text }}"\noutputs:\n  shouted: "{{ loud.result }}"\n',
  );
  fake.scripts.set('gpt-code', (request) =>
    callsSoFar(request) === 0 ? { toolCalls: [{ name: 'run_code', arguments: { language: 'python', code: 'print(6 * 7)' } }] } : { text: `ran: ${lastToolAnswer(request)}` },
  );
  fake.scripts.set('gpt-child', (request) =>
    callsSoFar(request) === 0 ? { toolCalls: [{ name: 'shout', arguments: { text: 'hello' } }] } : { text: `child: ${lastToolAnswer(request)}` },
  );
  // First a call the server refuses (a is not a number), then the right one, then the answer.
  fake.scripts.set('gpt-recover', (request) =>
    callsSoFar(request) === 0
      ? { toolCalls: [{ name: 'everything_get-sum', arguments: { a: 'forty', b: 2 } }] }
      : callsSoFar(request) === 1
        ? { toolCalls: [{ name: 'everything_get-sum', arguments: { a: 40, b: 2 } }] }
        : { text: `recovered: ${lastToolAnswer(request)}` },
  );
  fake.scripts.set('gpt-loop', () => ({ toolCalls: [{ name: 'everything_get-sum', arguments: { a: 1, b: 1 } }] }));
  fake.scripts.set('gpt-spend', () => ({ toolCalls: [{ name: 'everything_get-sum', arguments: { a: 1, b: 1 } }] }));
  const result = await orchestrator.executeYaml(`
name: agents_tools
mcp_servers:
  everything: ${everything}
steps:
  - { id: code, action: agent, parameters: { model: "openai:gpt-code", tools: [run_code], prompt: "Compute 6*7 with code." } }
  - { id: child, action: agent, parameters: { model: "openai:gpt-child", tools: ["pipeline:${child}"], prompt: "Shout hello." } }
  - { id: recover, action: agent, parameters: { model: "openai:gpt-recover", tools: [everything.get-sum], prompt: "Add 40 and 2." } }
  - { id: loop, action: agent, on_failure: continue, parameters: { model: "openai:gpt-loop", tools: [everything.get-sum], prompt: "Never stop.", max_turns: 3 } }
  - { id: spend, action: agent, on_failure: continue, budget: { tokens: 20 }, parameters: { model: "openai:gpt-spend", tools: [everything.get-sum], prompt: "Never stop." } }
`);
  expect(result.status).toBe('partially_completed');
  expect(agentResult(result, 'code').answer).toBe(`ran: ${JSON.stringify({ exit_code: 0, stdout: '42\n', stderr: '' })}`);
  expect(agentResult(result, 'child').answer).toBe(`child: ${JSON.stringify({ shouted: 'SHOUT hello' })}`);
  expect(fake.requestsFor('gpt-child')[0]!.body.tools).toEqual([
    { type: 'function', function: { name: 'shout', description: 'Shouts a text.', parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } } },
  ]);

  const recover = agentResult(result, 'recover');
  const results = recover.transcript.flatMap((entry) => (entry.tool_result ? [entry.tool_result] : []));
  expect(results.map((entry) => entry.error)).toEqual([true, false]);
  expect(results[0]!.content).toMatch(/^The tool failed: .*get-sum/);
  expect(recover.answer).toMatch(/^recovered: .*\b42\b/);

  const loop = result.steps.loop!;
  expect(loop.status).toBe('failed');
  expect(loop.error).toBe("MAX_TURNS: step 'loop': reached max_turns (3) without a final answer");
  const kept = loop.result as AgentResult;
  expect(kept.turns).toBe(3);
  expect(kept.transcript.filter((entry) => entry.role === 'tool')).toHaveLength(3);
  expect(fake.requestsFor('gpt-loop')).toHaveLength(3);

  // 15 tokens a turn: after two turns the step's budget of 20 stops the loop before a third.
  const spend = result.steps.spend!;
  expect(spend).toMatchObject({ status: 'failed', usage: { input_tokens: 20, output_tokens: 10 } });
  expect(spend.error).toBe("BUDGET_EXCEEDED: step 'spend': used 30 tokens, over its budget of 20");
  expect((spend.result as AgentResult).turns).toBe(2);
  expect(fake.requestsFor('gpt-spend')).toHaveLength(2);
}, 180_000);

test('a tool in approve_tools waits with its arguments shown; approve runs it, reject tells the model', async () => {
  fake.scripts.set('gpt-approve', (request) => {
    const done = callsSoFar(request);
    if (done === 0) return { toolCalls: [{ name: 'run_code', arguments: { language: 'python', code: 'print("first")' } }] };
    if (done === 1) return { toolCalls: [{ name: 'run_code', arguments: { language: 'python', code: 'print("second")' } }] };
    return { text: `last answer: ${lastToolAnswer(request)}` };
  });
  const pipeline = orchestrator.compile(`
name: agents_approve
steps:
  - id: answer
    action: agent
    parameters: { model: "openai:gpt-approve", tools: [run_code], approve_tools: [run_code], prompt: "Print two things." }
`);
  const { handle } = await orchestrator.start(pipeline, {});
  const waitingFor = async (code: string): Promise<void> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = await orchestrator.status(handle.workflowId);
      if (status.steps.answer!.status === 'waiting' && status.waiting.some((entry) => entry.step === 'answer' && entry.prompt.includes(code))) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for the call of ${code} to wait`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  await waitingFor('print(\\"first\\")');
  const status = await orchestrator.status(handle.workflowId);
  expect(status.waiting).toEqual([{ step: 'answer', prompt: 'agent wants to call run_code with {"language":"python","code":"print(\\"first\\")"}' }]);
  const shown = await runOrc(['status', handle.workflowId], orcEnvironment({ TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS, ORC_TASK_QUEUE: taskQueue }));
  expect(shown.stdout).toContain('waiting for approval: answer - agent wants to call run_code with {"language":"python","code":"print(\\"first\\")"}');
  await orchestrator.approve(handle.workflowId, { step: 'answer', approved: true, by: 'ada' });
  await waitingFor('print(\\"second\\")');
  await orchestrator.approve(handle.workflowId, { step: 'answer', approved: false, comment: 'enough printing', by: 'ada' });
  const result = await orchestrator.follow(handle);
  expect(result.status).toBe('completed');
  const agent = agentResult(result, 'answer');
  const results = agent.transcript.flatMap((entry) => (entry.tool_result ? [entry.tool_result] : []));
  expect(results[0]).toMatchObject({ content: expect.stringContaining('"stdout":"first\\n"'), error: false });
  expect(results[1]).toMatchObject({ content: 'A person rejected this call (ada): enough printing. Do not call it again the same way.', error: true });
  expect(agent.answer).toBe(`last answer: ${results[1]!.content}`);
}, 120_000);

test('team.yaml: the lead hands work to the researcher and the writer, and the result says who did what', async () => {
  // Each agent is told apart by its system prompt; the lead reads the members' answers from its tool results.
  fake.scripts.set('gpt-team', (request) => {
    const system = request.messages.find((message) => message.role === 'system')?.text ?? '';
    if (system.startsWith('You find facts')) {
      return callsSoFar(request) === 0 ? { toolCalls: [{ name: 'everything_get-sum', arguments: { a: 20, b: 22 } }] } : { text: `Bees: ${lastToolAnswer(request)}` };
    }
    if (system.startsWith('You write')) return { text: `A note from: ${request.messages[request.messages.length - 1]!.text}` };
    const handed = callsSoFar(request);
    if (handed === 0) return { toolCalls: [{ name: 'researcher', arguments: { task: 'Find a fact about urban beekeeping.' } }] };
    if (handed === 1) return { toolCalls: [{ name: 'writer', arguments: { task: `Write it up: ${lastToolAnswer(request)}` } }] };
    return { text: lastToolAnswer(request)! };
  });
  const result = await orchestrator.executeYamlFile(path.join(__dirname, '..', '..', 'pipelines', 'team.yaml'), { topic: 'urban beekeeping' }, { defaultModel: 'openai:gpt-team' });
  expect(result.status).toBe('completed');
  const team = agentResult(result, 'note');
  expect(team.answer).toMatch(/^A note from: Write it up: Bees: .*\b42\b/);
  expect(result.outputs.note).toBe(team.answer);
  expect(team.turns).toBe(6);
  expect(team.agents).toEqual({
    lead: { turns: 3, tool_calls: 2, usage: { input_tokens: 30, output_tokens: 15, cost_usd: expect.any(Number) } },
    researcher: { turns: 2, tool_calls: 1, usage: { input_tokens: 20, output_tokens: 10, cost_usd: expect.any(Number) } },
    writer: { turns: 1, tool_calls: 0, usage: { input_tokens: 10, output_tokens: 5, cost_usd: expect.any(Number) } },
  });
  // The transcript shows the hand-offs in order: each member's own loop sits between the lead's call and its result.
  expect(team.transcript.map((entry) => `${entry.agent}:${entry.role}${entry.tool_call ? `>${entry.tool_call.name}` : ''}${entry.tool_result ? `<${entry.tool_result.name}` : ''}`)).toEqual([
    'lead:user',
    'lead:assistant>researcher',
    'researcher:user',
    'researcher:assistant>everything.get-sum',
    'researcher:tool<everything.get-sum',
    'researcher:assistant',
    'lead:tool<researcher',
    'lead:assistant>writer',
    'writer:user',
    'writer:assistant',
    'lead:tool<writer',
    'lead:assistant',
  ]);
  expect(fake.requestsFor('gpt-team')[0]!.tools).toEqual(['researcher', 'writer']);
  expect(result.steps.note!.usage).toMatchObject({ input_tokens: 60, output_tokens: 30 });
}, 120_000);

test('a worker killed with SIGKILL in the middle of a 6-turn loop: a new worker finishes the run, no finished turn is sent again', async () => {
  const taskQueue = `agents-crash-${process.pid}-${Date.now()}`;
  // Five tool calls, then the answer: six turns, each answered after a second so the kill lands mid-loop.
  fake.scripts.set('gpt-crash', (request) =>
    callsSoFar(request) < 5 ? { toolCalls: [{ name: 'everything_get-sum', arguments: { a: callsSoFar(request), b: 1 } }] } : { text: `done after ${lastToolAnswer(request)}` },
  );
  const pipeline = compileYaml(`
name: agents_crash
mcp_servers:
  everything: ${everything}
steps:
  - { id: loop, action: agent, timeout: 30s, parameters: { model: "openai:gpt-crash", tools: [everything.get-sum], prompt: "Count up.", max_turns: 6 } }
`);
  const environment = orcEnvironment({ TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS, ORC_TASK_QUEUE: taskQueue });
  const turnsSent = (): number[] => fake.requestsFor('gpt-crash').map(callsSoFar);
  fake.delayMs = 1000;
  const connection = await Connection.connect({ address: process.env.ORC_TEST_TEMPORAL_ADDRESS! });
  try {
    const client = new Client({ connection });
    const first = startOrc(['worker'], environment);
    const input: PipelineRunInput = { pipeline, inputs: {} };
    const handle = await client.workflow.start('pipelineWorkflow', { taskQueue, workflowId: taskQueue, args: [input] });
    await waitFor(() => turnsSent().length >= 3, 90_000, 'three model turns');
    first.kill('SIGKILL');
    await first.done;
    const sentBeforeKill = turnsSent().length;
    const second = startOrc(['worker'], environment);
    try {
      const result = (await handle.result()) as { status: string; steps: Record<string, { result: AgentResult }> };
      expect(result.status).toBe('completed');
      const loop = result.steps.loop!.result;
      expect(loop.turns).toBe(6);
      expect(loop.answer).toMatch(/^done after .*\b5\b/);
      // Each turn went out once; only the one in flight when the worker died may have gone out twice.
      const sent = turnsSent();
      expect(sentBeforeKill).toBeLessThan(6);
      const repeated = [0, 1, 2, 3, 4, 5].filter((turn) => sent.filter((each) => each === turn).length > 1);
      expect(sent.filter((turn) => !repeated.includes(turn)).sort()).toEqual([0, 1, 2, 3, 4, 5].filter((turn) => !repeated.includes(turn)));
      expect(repeated.length).toBeLessThanOrEqual(1);
      for (const turn of repeated) {
        expect(turn).toBe(sent[sentBeforeKill - 1]);
        expect(sent.filter((each) => each === turn)).toHaveLength(2);
      }
    } finally {
      second.kill('SIGINT');
      await second.done;
    }
  } finally {
    fake.delayMs = 0;
    await connection.close();
  }
}, 240_000);

test('agent_tools.yaml completes with the local model, which calls the real MCP get-sum tool and answers', async () => {
  const result = await orchestrator.executeYamlFile(path.join(__dirname, '..', '..', 'pipelines', 'agent_tools.yaml'), { a: 19, b: 23 });
  // On a failure, the error and the transcript say what the model did.
  expect({ error: result.steps.add!.error, transcript: agentResult(result, 'add')?.transcript }).toMatchObject({ error: null });
  expect(result.status).toBe('completed');
  const agent = agentResult(result, 'add');
  const calls = agent.transcript.filter((entry) => entry.tool_call);
  expect(calls.length).toBeGreaterThanOrEqual(1);
  // A real call: the server ran the tool the model chose, with the arguments it chose, and answered it.
  const answered = agent.transcript.filter((entry) => entry.tool_result && !entry.tool_result.error);
  expect(answered.length).toBeGreaterThanOrEqual(1);
  expect(result.steps.add!.model).toBe('local:smollm2-135m');
  expect(result.outputs.answer).toBe(agent.answer);
  expect(agent.agents.calculator!.turns).toBe(agent.turns);
}, 900_000);
