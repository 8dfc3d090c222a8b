// The benchmark's model: answers at once with a short text made from the prompt, after `wait Nms` when the prompt
// says so (the latency-injecting fake of P2). Used by orc's worker, the bare activity and the in-process DAG alike.
const WAIT = /wait (\d+)ms/;

function sleep(milliseconds) {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** The answer to a prompt: bounded in size, so a chain's prompts do not grow. */
async function answer(prompt) {
  const wait = WAIT.exec(prompt);
  if (wait) await sleep(Number(wait[1]));
  return `done ${prompt.slice(0, 24)}`;
}

/** The same model behind orc's LanguageModel interface. */
function benchLanguageModel() {
  return {
    id: 'echo',
    provider: 'echo',
    async generate(request) {
      const prompt = [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
      const text = await answer(prompt);
      return { text, usage: { input_tokens: Math.ceil(prompt.length / 4), output_tokens: Math.ceil(text.length / 4), cost_usd: 0 } };
    },
  };
}

/** A model resolver for orc's worker that answers every model spec with the bench model. */
function benchModelResolver() {
  const model = benchLanguageModel();
  return { resolve: () => model };
}

module.exports = { answer, benchModelResolver, sleep };
