// Benchmark (prints figures, asserts nothing): how the embedded local model (SmolLM2-135M) chooses tools through the
// JSON-choice protocol, on the task of pipelines/agent_tools.yaml: "What is A + B?" with get-sum and echo offered.
// Per question: the first turn's choice (the right tool with the right arguments?), and whether, told the tool's
// answer, it then answers. Run after setup: `npm run bench:local-tool-choice` (RUNS=10 by default).
const { LocalModelServer } = require('../dist/models/local/local-server-process');
const { createOpenAICompatibleModel } = require('../dist/models/providers/openai-compatible');

const tools = [
  { name: 'everything_get-sum', description: 'Returns the sum of two numbers', parameters: { type: 'object', properties: { a: { type: 'number', description: 'First number' }, b: { type: 'number', description: 'Second number' } }, required: ['a', 'b'] } },
  { name: 'everything_echo', description: 'Echoes back the input', parameters: { type: 'object', properties: { message: { type: 'string', description: 'Message to echo' } }, required: ['message'] } },
];
const system = 'You are a calculator. To add two numbers, call the get-sum tool with them. Once you have its result, give it as your answer.';

async function main() {
  const runs = Number(process.env.RUNS ?? 10);
  const server = new LocalModelServer({ idleTimeoutMs: 30 * 60 * 1000 });
  const model = createOpenAICompatibleModel({ provider: 'local', model: 'smollm2-135m', baseURL: () => server.baseUrl(), toolCalling: 'json' });
  const tally = { rightTool: 0, rightArguments: 0, answeredAfter: 0, errors: 0 };
  for (let run = 0; run < runs; run++) {
    const a = 10 + run * 7;
    const b = 3 + run * 5;
    const started = Date.now();
    try {
      const messages = [{ role: 'system', content: system }, { role: 'user', content: `What is ${a} + ${b}?` }];
      const first = await model.generate({ messages, tools, maxTokens: 120 });
      const call = first.toolCalls?.[0];
      let line = call ? `${call.name} ${JSON.stringify(call.arguments)}` : `answered at once: ${first.text}`;
      if (call?.name === 'everything_get-sum') {
        tally.rightTool++;
        if (Number(call.arguments.a) === a && Number(call.arguments.b) === b) tally.rightArguments++;
      }
      if (call) {
        const answer = call.name === 'everything_get-sum' ? `The sum of ${call.arguments.a} and ${call.arguments.b} is ${Number(call.arguments.a) + Number(call.arguments.b)}.` : `Echo: ${call.arguments.message}`;
        messages.push({ role: 'assistant', content: '', toolCalls: [call] }, { role: 'tool', content: answer, toolCallId: call.id, toolName: call.name });
        const second = await model.generate({ messages, tools, maxTokens: 120 });
        if (!second.toolCalls) tally.answeredAfter++;
        line += ` -> ${second.toolCalls ? `called ${second.toolCalls[0].name} again` : `answer: ${second.text}`}`;
      }
      console.log(`${run + 1}. ${a} + ${b}: ${line} (${Date.now() - started} ms)`);
    } catch (error) {
      tally.errors++;
      console.log(`${run + 1}. ${a} + ${b}: error ${error.message.slice(0, 200)}`);
    }
  }
  console.log(`right tool ${tally.rightTool}/${runs}, right arguments ${tally.rightArguments}/${runs}, answered after the tool ${tally.answeredAfter}/${runs}, errors ${tally.errors}`);
  await server.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
