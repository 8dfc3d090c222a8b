// A small OpenAI-compatible HTTP server that answers chat completions from a local GGUF model.
//
// It runs in its own process because node-llama-cpp is ESM-only (with top-level await) while the
// worker is CommonJS, and so a crash or a slow load in llama.cpp cannot take the worker down.
// stdout carries exactly one line, the "listening" line the parent waits for; everything else goes
// to stderr.
import * as http from 'node:http';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  getLlama,
  LlamaChatSession,
  LlamaLogLevel,
  type ChatHistoryItem,
  type GbnfJsonSchema,
  type Llama,
  type LlamaContext,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import { z } from 'zod';
import { describeDegeneration, findDegeneration, findLoop, type ReAskRecord } from './degeneration.js';
import { boundSchemaToBudget } from './json-budget.js';
import { UnsupportedSchemaError } from '../unsupported-schema-error.js';

// The parent reads stdout for the listening line; keep stray library output off it.
console.log = console.error;
console.info = console.error;

const contextSize = 4096;
const defaultMaxTokens = 256;
const maximumBodyBytes = 10 * 1024 * 1024;
const grammarCacheSize = 32;

function log(line: string): void {
  process.stderr.write(`[orc-local-model] ${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// Command line

const { values: argumentValues } = parseArgs({
  options: {
    model: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    name: { type: 'string' },
    // llama.cpp's math threads; the parent passes ORC_LOCAL_MODEL_THREADS here.
    threads: { type: 'string' },
    // Set by the parent (LocalModelServer): exit when it dies, even if it could not send SIGTERM.
    'watch-parent': { type: 'boolean', default: false },
  },
  strict: true,
});

if (!argumentValues.model) {
  log('usage: local-model-server.mjs --model PATH [--port N] [--host 127.0.0.1] [--name NAME] [--threads N]');
  process.exit(2);
}
const modelPath = argumentValues.model;
const port = Number(argumentValues.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  log(`--port must be an integer between 0 and 65535, not ${argumentValues.port}`);
  process.exit(2);
}
const host = argumentValues.host ?? '127.0.0.1';
const servedModelName = argumentValues.name ?? path.basename(modelPath).replace(/\.gguf$/i, '').toLowerCase();

// ---------------------------------------------------------------------------------------------
// Request shape (the subset of OpenAI's chat completions API we honour)

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const messageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(textPart), z.null()]),
});
const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string(),
      description: z.string().nullish(),
      schema: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
]);
const chatRequestSchema = z.object({
  model: z.string().nullish(),
  messages: z.array(messageSchema).min(1, 'messages must hold at least one message'),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  n: z.literal(1, { error: 'only n=1 is supported' }).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  response_format: responseFormatSchema.nullish(),
});
type ChatRequest = z.infer<typeof chatRequestSchema>;
type ChatMessage = z.infer<typeof messageSchema>;

class RequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sendError(response: http.ServerResponse, status: number, message: string, code: string | null = null, param: string | null = null): void {
  const type = status >= 500 ? 'server_error' : status === 404 ? 'not_found_error' : 'invalid_request_error';
  sendJson(response, status, { error: { message, type, param, code } });
}

async function readBody(request: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maximumBodyBytes) throw new RequestError(`request body is larger than ${maximumBodyBytes} bytes`, 413);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseChatRequest(bodyText: string): ChatRequest {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    throw new RequestError('the request body is not valid JSON', 400);
  }
  const result = chatRequestSchema.safeParse(body);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`);
    const firstPath = result.error.issues[0]?.path.join('.') || null;
    throw new RequestError(`invalid chat completion request: ${issues.join('; ')}`, 400, 'invalid_request', firstPath);
  }
  return result.data;
}

function messageText(message: ChatMessage): string {
  if (message.content === null) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => part.text).join('');
}

/** Splits OpenAI messages into the history before the question and the question itself. */
function toChatHistory(messages: ChatMessage[]): { history: ChatHistoryItem[]; prompt: string } {
  const last = messages[messages.length - 1];
  if (!last || last.role !== 'user') {
    throw new RequestError('the last message must have role "user"', 400, 'invalid_request', 'messages');
  }
  const history: ChatHistoryItem[] = messages.slice(0, -1).map((message): ChatHistoryItem => {
    const text = messageText(message);
    if (message.role === 'system' || message.role === 'developer') return { type: 'system', text };
    if (message.role === 'user') return { type: 'user', text };
    return { type: 'model', response: [text] };
  });
  return { history, prompt: messageText(last) };
}

// ---------------------------------------------------------------------------------------------
// JSON Schema -> grammar

const structuralKeywords = ['allOf', 'not', 'if', 'then', 'else', 'patternProperties', 'dependentSchemas', 'dependencies', 'propertyNames', 'contains', 'unevaluatedProperties', 'unevaluatedItems'];
const grammarStringFormats = new Set(['date', 'time', 'date-time']);

/**
 * Rewrites a JSON Schema into the dialect node-llama-cpp's grammar builder understands.
 *
 * The builder silently turns what it does not know into something wrong (`anyOf` or a schema
 * without `type` becomes `null`, an unknown string `format` becomes the empty string), so we
 * translate what we can and throw UnsupportedSchemaError for the rest, which makes the caller fall
 * back to the plain JSON grammar.
 */
function toGrammarSchema(schema: unknown): Record<string, unknown> {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new UnsupportedSchemaError('boolean or non-object schemas');
  }
  const source = schema as Record<string, unknown>;
  for (const keyword of structuralKeywords) {
    if (keyword in source) throw new UnsupportedSchemaError(`the "${keyword}" keyword`);
  }
  const result: Record<string, unknown> = {};
  const definitions = (source.$defs ?? source.definitions) as Record<string, unknown> | undefined;
  if (definitions !== undefined) {
    result.$defs = Object.fromEntries(Object.entries(definitions).map(([name, definition]) => [name, toGrammarSchema(definition)]));
  }
  if (typeof source.$ref === 'string') {
    const match = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(source.$ref);
    if (!match) throw new UnsupportedSchemaError(`the reference ${source.$ref}`);
    return { ...result, $ref: `#/$defs/${match[1]}` };
  }
  const alternatives = source.oneOf ?? source.anyOf;
  if (alternatives !== undefined) {
    if (!Array.isArray(alternatives)) throw new UnsupportedSchemaError('a non-array oneOf/anyOf');
    return { ...result, oneOf: alternatives.map((alternative) => toGrammarSchema(alternative)) };
  }
  if ('const' in source) return { ...result, const: source.const };
  if (Array.isArray(source.enum)) return { ...result, enum: source.enum };

  const type = source.type;
  if (Array.isArray(type)) {
    const types = type.filter((entry): entry is string => typeof entry === 'string');
    const compound: string[] = types.filter((entry) => entry === 'object' || entry === 'array' || entry === 'string');
    if (compound.length === 0) return { ...result, type: types };
    // The builder handles type arrays only for scalars; spread the rest into alternatives.
    const simple = types.filter((entry) => !compound.includes(entry));
    const branches = compound.map((entry) => toGrammarSchema({ ...source, type: entry, $defs: undefined, definitions: undefined }));
    if (simple.length > 0) branches.push({ type: simple });
    return { ...result, oneOf: branches };
  }
  switch (type) {
    case 'object': {
      const properties = source.properties as Record<string, unknown> | undefined;
      const additional = source.additionalProperties;
      const converted: Record<string, unknown> = { type: 'object' };
      if (properties !== undefined) {
        converted.properties = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, toGrammarSchema(property)]));
      }
      if (additional === true || (additional === undefined && properties === undefined)) {
        // JSON Schema allows any extra keys by default; the builder's default is none.
        converted.additionalProperties = true;
      } else if (additional !== undefined && additional !== false) {
        converted.additionalProperties = toGrammarSchema(additional);
      }
      if (typeof source.minProperties === 'number') converted.minProperties = source.minProperties;
      if (typeof source.maxProperties === 'number') converted.maxProperties = source.maxProperties;
      return { ...result, ...converted };
    }
    case 'array': {
      const converted: Record<string, unknown> = { type: 'array' };
      if (source.items !== undefined && source.items !== true) converted.items = toGrammarSchema(source.items);
      if (Array.isArray(source.prefixItems)) converted.prefixItems = source.prefixItems.map((item) => toGrammarSchema(item));
      if (typeof source.minItems === 'number') converted.minItems = source.minItems;
      if (typeof source.maxItems === 'number') converted.maxItems = source.maxItems;
      return { ...result, ...converted };
    }
    case 'string': {
      const converted: Record<string, unknown> = { type: 'string' };
      if (typeof source.format === 'string' && grammarStringFormats.has(source.format)) {
        converted.format = source.format;
        return { ...result, ...converted };
      }
      if (typeof source.minLength === 'number') converted.minLength = source.minLength;
      if (typeof source.maxLength === 'number') converted.maxLength = source.maxLength;
      return { ...result, ...converted };
    }
    case 'number':
    case 'integer':
    case 'boolean':
    case 'null':
      return { ...result, type };
    default:
      throw new UnsupportedSchemaError(type === undefined ? 'a schema without "type"' : `the type ${JSON.stringify(type)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The model

/**
 * Threads for llama.cpp's math. Its threads wait for each other at every layer, so one that the OS
 * deschedules stalls them all: the default (4 threads on a 2-core box) ran ~60x slower, and 2 threads on
 * 2 cores shared with the worker, Temporal and other processes ran ~15x slower than 1. So leave a core
 * to the rest, unless --threads says otherwise.
 */
function mathThreads(cores: number): number {
  const configured = Number(argumentValues.threads);
  if (Number.isInteger(configured) && configured > 0) return configured;
  return Math.max(1, cores - 1);
}

const loadStarted = Date.now();
let llama: Llama;
let model: LlamaModel;
let context: LlamaContext;
try {
  llama = await getLlama({
    gpu: false,
    build: 'never',
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => log(`llama.cpp ${level}: ${message.trimEnd()}`),
  });
  model = await llama.loadModel({ modelPath });
  context = await model.createContext({ contextSize, threads: mathThreads(llama.cpuMathCores) });
} catch (error) {
  // The parent shows our last stderr lines; one clear line beats a stack trace there.
  log(`cannot load the model ${modelPath}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const session = new LlamaChatSession({ contextSequence: context.getSequence() });
log(`loaded ${modelPath} in ${Date.now() - loadStarted} ms (${mathThreads(llama.cpuMathCores)} threads, context ${context.contextSize} tokens)`);

const grammarCache = new Map<string, LlamaGrammar>();
let jsonGrammar: LlamaGrammar | undefined;

interface GrammarPlan {
  grammar: LlamaGrammar;
  /** The schema as the caller sent it (what the answer is judged against), when there was one the grammar could express. */
  schema: Record<string, unknown> | null;
}

/**
 * The grammar for a request's response_format. A JSON Schema is first bounded to the request's token
 * budget (json-budget.ts), so that the longest answer the grammar allows still closes its JSON.
 */
async function grammarFor(request: ChatRequest, maxTokens: number): Promise<GrammarPlan | undefined> {
  const format = request.response_format;
  if (!format || format.type === 'text') return undefined;
  const schema = format.type === 'json_schema' ? format.json_schema.schema : undefined;
  if (schema) {
    try {
      const bounded = boundSchemaToBudget(toGrammarSchema(schema), maxTokens);
      if (bounded.worstCaseTokens > maxTokens) {
        log(`the schema's shortest bounded answer may take ${bounded.worstCaseTokens} tokens, over max_tokens ${maxTokens}: it may be cut off`);
      }
      const key = JSON.stringify(bounded.schema);
      const cached = grammarCache.get(key);
      if (cached) return { grammar: cached, schema };
      // toGrammarSchema produced exactly the dialect GbnfJsonSchema describes; TypeScript cannot see that.
      const grammar = await llama.createGrammarForJsonSchema<GbnfJsonSchema>(bounded.schema as GbnfJsonSchema);
      if (grammarCache.size >= grammarCacheSize) {
        const oldest = grammarCache.keys().next().value;
        if (oldest !== undefined) grammarCache.delete(oldest);
      }
      grammarCache.set(key, grammar);
      return { grammar, schema };
    } catch (error) {
      log(`the grammar builder cannot express this schema (${(error as Error).message}); constraining to any JSON instead`);
    }
  }
  jsonGrammar ??= await llama.getGrammarFor('json');
  return { grammar: jsonGrammar, schema: null };
}

function countPromptTokens(history: ChatHistoryItem[]): number {
  const { contextText } = session.chatWrapper.generateContextState({ chatHistory: [...history, { type: 'model', response: [] }] });
  return contextText.tokenize(model.tokenizer).length;
}

interface Completion {
  text: string;
  finishReason: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
  guard: ReAskRecord | null;
}

/** How hard one attempt pushes against repetition. */
interface Strength {
  repeatPenalty: number;
  frequencyPenalty: number;
  dryStrength: number;
  dryAllowedLength: number;
}

// A 135M model falls into loops ("[Your Name]" x 20, "1.1.1.1…"). The first attempt gets a light touch; the
// re-ask after a degenerate answer a firm one, with a different seed and some temperature so it takes another path.
const firstAttempt: Strength = { repeatPenalty: 1.15, frequencyPenalty: 0, dryStrength: 0.8, dryAllowedLength: 2 };
const reAsk: Strength = { repeatPenalty: 1.3, frequencyPenalty: 0.2, dryStrength: 1.2, dryAllowedLength: 1 };
const reAskTemperature = 0.6;
/** A loop this long (characters) in the text being generated stops the attempt at once instead of at max_tokens. */
const loopStopCharacters = 48;
/** JSON punctuation must repeat: under a grammar, penalties skip tokens made only of it. */
const jsonPunctuation = /^[\s"',:[\]{}]*$/;
const punctuationTokens = new Map<Token, boolean>();

function isJsonPunctuation(token: Token): boolean {
  let known = punctuationTokens.get(token);
  if (known === undefined) {
    known = jsonPunctuation.test(model.detokenize([token]));
    punctuationTokens.set(token, known);
  }
  return known;
}

interface Attempt {
  text: string;
  stopReason: string;
  completionTokens: number;
  /** The attempt was stopped early because its text had fallen into a loop. */
  loop: { unit: string; repeats: number } | null;
}

async function attempt(
  prompt: string,
  options: { maxTokens: number; temperature: number; topP?: number; seed?: number; grammar?: LlamaGrammar; stop?: string[]; strength: Strength; stopLoops: boolean },
  signal: AbortSignal,
  sink?: TextSink,
): Promise<Attempt> {
  const { grammar, strength } = options;
  let completionTokens = 0;
  let generated = '';
  let checkedAt = 0;
  let loop: Attempt['loop'] = null;
  const loopStop = new AbortController();
  const result = await session.promptWithMeta(prompt, {
    maxTokens: options.maxTokens,
    temperature: options.temperature,
    ...(options.topP !== undefined ? { topP: options.topP } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(grammar ? { grammar } : {}),
    repeatPenalty: {
      penalty: strength.repeatPenalty,
      frequencyPenalty: strength.frequencyPenalty,
      lastTokens: 64,
      penalizeNewLine: false,
      ...(grammar ? { punishTokensFilter: (tokens: Token[]) => tokens.filter((token) => !isJsonPunctuation(token)) } : {}),
    },
    dryRepeatPenalty: {
      strength: strength.dryStrength,
      allowedLength: strength.dryAllowedLength,
      lastTokens: 128,
      sequenceBreakers: grammar ? ['\n', ':', '"', '*', ',', '[', ']', '{', '}'] : ['\n', ':', '"', '*'],
    },
    ...(options.stop && options.stop.length > 0 ? { customStopTriggers: options.stop } : {}),
    signal: AbortSignal.any([signal, loopStop.signal]),
    stopOnAbortSignal: true,
    onToken: (tokens) => {
      completionTokens += tokens.length;
    },
    onTextChunk: (text) => {
      sink?.text(text);
      generated += text;
      if (!options.stopLoops || generated.length - checkedAt < 16) return;
      checkedAt = generated.length;
      const found = findLoop(generated.slice(-400));
      if (found && found.unit.length * found.repeats >= loopStopCharacters) {
        loop = found;
        loopStop.abort();
      }
    },
  });
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
  if (completionTokens === 0 && result.responseText.length > 0) completionTokens = model.tokenize(result.responseText).length;
  return { text: result.responseText, stopReason: result.stopReason, completionTokens, loop };
}

/** Why an attempt's answer is not usable, or null when it is. */
function judge(answer: Attempt, plan: GrammarPlan | undefined, sources: string[]): string | null {
  if (answer.loop) return `loop: ${JSON.stringify(answer.loop.unit)} repeated ${answer.loop.repeats} times in a row (stopped early)`;
  if (!plan) {
    const found = findDegeneration(answer.text, { sources });
    return found ? describeDegeneration(found) : null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    return answer.stopReason === 'maxTokens' ? 'cut off: the JSON answer did not close before max_tokens' : 'the answer is not JSON';
  }
  const found = findDegeneration(parsed, { schema: plan.schema ?? undefined, sources });
  return found ? describeDegeneration(found) : null;
}

/** Where a streamed answer's text goes: chunks as they come, and a restart when the guard asks again. */
interface TextSink {
  text(text: string): void;
  restart(): void;
}

async function complete(request: ChatRequest, signal: AbortSignal, sink?: TextSink): Promise<Completion> {
  const { history, prompt } = toChatHistory(request.messages);
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? defaultMaxTokens;
  const promptTokens = countPromptTokens([...history, { type: 'user', text: prompt }]);
  if (promptTokens + maxTokens > context.contextSize) {
    throw new RequestError(
      `this model's context holds ${context.contextSize} tokens, but the messages take ${promptTokens} and max_tokens asks for ${maxTokens} more`,
      400,
      'context_length_exceeded',
      'messages',
    );
  }
  const plan = await grammarFor(request, maxTokens);
  const stop = request.stop === null || request.stop === undefined ? undefined : Array.isArray(request.stop) ? request.stop : [request.stop];
  const sources = request.messages.map(messageText);
  const temperature = request.temperature ?? 0;
  const common = { maxTokens, ...(request.top_p != null ? { topP: request.top_p } : {}), ...(plan ? { grammar: plan.grammar } : {}), ...(stop ? { stop } : {}) };

  // A fresh history for every request keeps one caller's conversation out of the next one's answer;
  // the session still reuses the evaluated prefix where the new history matches the old.
  const started = Date.now();
  session.setChatHistory(history);
  const first = await attempt(prompt, { ...common, temperature, ...(request.seed != null ? { seed: request.seed } : {}), strength: firstAttempt, stopLoops: true }, signal, sink);
  let answer = first;
  let completionTokens = first.completionTokens;
  let guard: ReAskRecord | null = null;
  const reason = judge(first, plan, sources);
  if (reason !== null) {
    // One re-ask: another seed, some temperature, firmer penalties. Its answer is taken even if it is no
    // better (it is still valid under the grammar), and marked so callers can tell.
    session.setChatHistory(history);
    sink?.restart();
    const seed = (request.seed ?? 0) + 1;
    answer = await attempt(prompt, { ...common, temperature: Math.max(temperature, reAskTemperature), seed, strength: reAsk, stopLoops: false }, signal, sink);
    completionTokens += answer.completionTokens;
    const still = judge(answer, plan, sources);
    guard = { retries: 1, reason, ...(still !== null ? { degenerate: still } : {}) };
  }
  const elapsed = Date.now() - started;
  log(
    `answered ${promptTokens} prompt + ${completionTokens} completion tokens in ${elapsed} ms` +
      ` (${elapsed > 0 ? ((completionTokens * 1000) / elapsed).toFixed(1) : '-'} tokens/s, ${answer.stopReason}${plan ? ', grammar' : ''})` +
      (guard ? `; re-asked: ${guard.reason}${guard.degenerate ? `; still ${guard.degenerate}` : ''}` : ''),
  );
  return {
    text: answer.text,
    finishReason: answer.stopReason === 'maxTokens' ? 'length' : 'stop',
    promptTokens,
    completionTokens,
    guard,
  };
}

// One model, one context sequence: requests take turns.
let queueTail: Promise<unknown> = Promise.resolve();
function enqueue<T>(task: () => Promise<T>): Promise<T> {
  const run = queueTail.then(task, task);
  queueTail = run.catch(() => undefined);
  return run;
}

const inFlight = new Set<AbortController>();

async function handleChatCompletion(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const chatRequest = parseChatRequest(await readBody(request));
  const abortController = new AbortController();
  // A caller that gave up (timeout, cancelled activity) should not hold the queue.
  response.on('close', () => {
    if (!response.writableFinished) abortController.abort(new Error('the client disconnected'));
  });
  inFlight.add(abortController);
  try {
    const stream = chatRequest.stream ? new CompletionStream(response, chatRequest.model ?? servedModelName) : undefined;
    const completion = await enqueue(async () => {
      if (abortController.signal.aborted) return undefined;
      return complete(chatRequest, abortController.signal, stream);
    });
    if (!completion || abortController.signal.aborted) return;
    if (stream) {
      stream.finish(completion, chatRequest.stream_options?.include_usage === true);
      return;
    }
    sendJson(response, 200, {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: chatRequest.model ?? servedModelName,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: completion.text, refusal: null },
          logprobs: null,
          finish_reason: completion.finishReason,
        },
      ],
      usage: {
        prompt_tokens: completion.promptTokens,
        completion_tokens: completion.completionTokens,
        total_tokens: completion.promptTokens + completion.completionTokens,
      },
      // Not part of OpenAI's API: what the degeneration guard did (the adapter records it on the step).
      ...(completion.guard ? { orc_guard: completion.guard } : {}),
    });
  } catch (error) {
    if (abortController.signal.aborted) {
      log(`stopped a request early: ${(abortController.signal.reason as Error | undefined)?.message ?? 'aborted'}`);
      return;
    }
    throw error;
  } finally {
    inFlight.delete(abortController);
  }
}

/**
 * `stream: true`: the answer as OpenAI's server-sent chunks; headers go out with the first text, so errors before
 * it keep their status. When the guard asks again, a chunk with `orc_restart: true` tells the client to drop
 * the text so far; the last chunk carries `orc_guard` (both are ours, not OpenAI's).
 */
class CompletionStream implements TextSink {
  private readonly id = `chatcmpl-${randomUUID()}`;
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly response: http.ServerResponse,
    private readonly model: string,
  ) {}

  private send(choices: unknown[], extra: Record<string, unknown> = {}): void {
    if (!this.response.headersSent) this.response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices, ...extra };
    this.response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }

  text(text: string): void {
    this.send([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }]);
  }

  restart(): void {
    this.send([], { orc_restart: true });
  }

  finish(completion: Completion, includeUsage: boolean): void {
    this.send([{ index: 0, delta: {}, logprobs: null, finish_reason: completion.finishReason }], completion.guard ? { orc_guard: completion.guard } : {});
    if (includeUsage) {
      this.send([], {
        usage: {
          prompt_tokens: completion.promptTokens,
          completion_tokens: completion.completionTokens,
          total_tokens: completion.promptTokens + completion.completionTokens,
        },
      });
    }
    this.response.end('data: [DONE]\n\n');
  }
}

function handleModels(response: http.ServerResponse): void {
  sendJson(response, 200, {
    object: 'list',
    data: [{ id: servedModelName, object: 'model', created: Math.floor(loadStarted / 1000), owned_by: 'orchestrator' }],
  });
}

const server = http.createServer((request, response) => {
  const pathname = new URL(request.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
  const route = async (): Promise<void> => {
    if (pathname === '/v1/models') {
      if (request.method !== 'GET') throw new RequestError(`${request.method} is not allowed on ${pathname}; use GET`, 405);
      handleModels(response);
    } else if (pathname === '/v1/chat/completions') {
      if (request.method !== 'POST') throw new RequestError(`${request.method} is not allowed on ${pathname}; use POST`, 405);
      await handleChatCompletion(request, response);
    } else {
      throw new RequestError(`no route ${request.method} ${pathname}; this server offers GET /v1/models and POST /v1/chat/completions`, 404);
    }
  };
  route().catch((error: unknown) => {
    if (response.headersSent) {
      // Mid-stream: the status is gone, so the connection is cut and the client sees an incomplete answer.
      response.destroy();
      return;
    }
    if (error instanceof RequestError) {
      sendError(response, error.status, error.message, error.code, error.param);
    } else {
      log(`request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      sendError(response, 500, `the local model failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
});

let shuttingDown = false;
async function shutDown(reason: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`stopping (${reason})`);
  // Do not let a stuck native call keep the process alive after we were told to go.
  setTimeout(() => process.exit(0), 3000).unref();
  for (const controller of inFlight) controller.abort(new Error('the server is stopping'));
  server.close();
  server.closeAllConnections();
  try {
    await llama.dispose();
  } catch (error) {
    log(`dispose failed: ${(error as Error).message}`);
  }
  process.exit(0);
}
process.on('SIGTERM', () => void shutDown('SIGTERM'));
process.on('SIGINT', () => void shutDown('SIGINT'));

if (argumentValues['watch-parent']) {
  const parentPid = process.ppid;
  // When the parent is killed outright we are re-parented; polling is the portable way to notice.
  setInterval(() => {
    if (process.ppid !== parentPid) void shutDown('the parent process is gone');
  }, 2000).unref();
}

server.on('error', (error) => {
  log(`cannot listen on ${host}:${port}: ${error.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(`orc-local-model listening on http://${host}:${actualPort}/v1\n`);
});
