// A LanguageModel for Google's Gemini API (generateContent), through the official @google/generative-ai SDK.
import { isPlainObject } from '../../base/plain-object';
import { UnsupportedSchemaError } from '../unsupported-schema-error';
import {
  GoogleGenerativeAI,
  GoogleGenerativeAIAbortError,
  GoogleGenerativeAIError,
  GoogleGenerativeAIFetchError,
  GoogleGenerativeAIRequestInputError,
  GoogleGenerativeAIResponseError,
  SchemaType,
  type Content,
  type ErrorDetails,
  type FunctionDeclaration,
  type FunctionDeclarationSchema,
  type GenerateContentRequest,
  type GenerateContentResponse,
  type GenerativeModel,
  type Part,
  type ResponseSchema,
} from '@google/generative-ai';
import { HOSTED_PROVIDERS } from '../../base/providers';
import { readSettings } from '../../base/settings';
import {
  connectionError,
  failedError,
  invalidResponseJsonError,
  isSyntaxError,
  jsonAnswer,
  missingKeyError,
  modelErrorForStatus,
  timeoutError,
} from './provider-errors';
import { ModelError, splitSystem, type ChatMessage, type GenerateRequest, type GenerateResponse, type LanguageModel, type ToolCall, type ToolDefinition } from '../types';

export interface GoogleSettings {
  model: string;
  /** Defaults to GOOGLE_API_KEY from the worker's environment. */
  apiKey?: string;
  /** The API root without the version, e.g. `https://generativelanguage.googleapis.com`; defaults to GOOGLE_BASE_URL, then that. */
  baseURL?: string;
  /** Per request, including reading the answer; 10 minutes when not given, like the other adapters. */
  timeoutMs?: number;
  // No `fetch`: the SDK always calls the global fetch and has no option to replace it.
}

const provider = 'google';
const { keyVariable } = HOSTED_PROVIDERS[provider];
const defaultTimeoutMs = 10 * 60 * 1000;

export function createGoogleModel(settings: GoogleSettings): LanguageModel {
  const { model } = settings;
  const id = `${provider}:${model}`;
  const baseURL = (settings.baseURL ?? readSettings().baseUrl(provider)).replace(/\/+$/, '');
  const timeoutMs = settings.timeoutMs ?? defaultTimeoutMs;
  let generativeModel: GenerativeModel | undefined;

  function modelClient(): GenerativeModel {
    if (generativeModel) return generativeModel;
    const apiKey = settings.apiKey ?? readSettings().apiKey(provider);
    if (!apiKey) {
      throw missingKeyError({ provider, model, keyVariable });
    }
    // No `timeout` here: the SDK arms a timer for it that it never clears, which would keep every finished request's
    // timer alive for the whole timeout; generate() runs its own and passes an AbortSignal instead.
    generativeModel = new GoogleGenerativeAI(apiKey).getGenerativeModel({ model }, { baseUrl: baseURL });
    return generativeModel;
  }

  async function generate(request: GenerateRequest): Promise<GenerateResponse> {
    const client = modelClient();
    const { system: systemInstruction, turns } = splitSystem(request.messages);
    const contents = wireContents(turns);
    const tools = request.tools && request.tools.length > 0 ? request.tools : undefined;
    let functionDeclarations: FunctionDeclaration[] | undefined;
    try {
      functionDeclarations = tools?.map(functionDeclaration);
    } catch (error) {
      if (!(error instanceof UnsupportedSchemaError)) throw error;
      throw new ModelError(`${id} cannot take a tool's argument schema: ${error.message}. Gemini's schemas are a subset of JSON Schema; use another model for this tool.`, {
        provider,
        model,
        isRetryable: false,
      });
    }
    let responseSchema: ResponseSchema | undefined;
    if (request.jsonSchema && !tools) {
      try {
        responseSchema = toGeminiSchema(request.jsonSchema);
      } catch (error) {
        if (!(error instanceof UnsupportedSchemaError)) throw error;
        throw new ModelError(`${id} cannot take the step's output schema: ${error.message}. Gemini's responseSchema is a subset of JSON Schema; simplify the schema or use another model.`, {
          provider,
          model,
          isRetryable: false,
        });
      }
    }
    const body: GenerateContentRequest = {
      contents,
      ...(systemInstruction ? { systemInstruction } : {}),
      ...(functionDeclarations ? { tools: [{ functionDeclarations }] } : {}),
      generationConfig: {
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
        ...(request.maxTokens !== undefined ? { maxOutputTokens: request.maxTokens } : {}),
        ...(responseSchema ? { responseMimeType: 'application/json', responseSchema } : {}),
      },
    };

    // One signal for the caller's cancellation and our timeout; the timer covers reading the body as well.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const forwardAbort = (): void => controller.abort();
    request.signal?.addEventListener('abort', forwardAbort, { once: true });
    if (request.signal?.aborted) controller.abort();

    let response: GenerateContentResponse;
    try {
      response = (await client.generateContent(body, { signal: controller.signal })).response;
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason ?? error;
      if (timedOut) {
        throw timeoutError({ provider, model, baseURL, timeoutMs });
      }
      throw toModelError(error, { model, baseURL });
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', forwardAbort);
    }
    // The SDK returns whatever JSON a 200 carried; make sure it is a generateContent answer before reading it.
    if (!response || typeof response !== 'object') {
      throw new ModelError(`${id} returned a response that is not a generateContent answer (${baseURL})`, { provider, model, isRetryable: true });
    }

    const usage = {
      input_tokens: response.usageMetadata?.promptTokenCount ?? 0,
      output_tokens: response.usageMetadata?.candidatesTokenCount ?? 0,
      cost_usd: 0,
    };
    const candidate = response.candidates?.[0];
    if (!candidate) {
      const feedback = response.promptFeedback;
      if (feedback?.blockReason) {
        const reason = `${feedback.blockReason}${feedback.blockReasonMessage ? `: ${feedback.blockReasonMessage}` : ''}`;
        throw new ModelError(`${id} blocked the prompt (${reason}); change the prompt of this step`, { provider, model, isRetryable: false });
      }
      throw new ModelError(`${id} returned no candidates`, { provider, model, isRetryable: true });
    }
    if (candidate.finishReason && blockingFinishReasons.has(candidate.finishReason)) {
      const reason = `${candidate.finishReason}${candidate.finishMessage ? `: ${candidate.finishMessage}` : ''}`;
      throw new ModelError(`${id} refused to answer (${reason})`, { provider, model, isRetryable: false });
    }
    // Thought summaries (parts marked `thought`) are the model's notes, not its answer.
    const text = (candidate.content?.parts ?? [])
      .filter((part) => typeof part.text === 'string' && !(part as { thought?: boolean }).thought)
      .map((part) => part.text)
      .join('');
    if (tools) {
      const toolCalls: ToolCall[] = (candidate.content?.parts ?? []).flatMap((part, index) =>
        part.functionCall ? [{ id: (part.functionCall as { id?: string }).id ?? `call_${index}`, name: part.functionCall.name, arguments: (part.functionCall.args ?? {}) as Record<string, unknown> }] : [],
      );
      return toolCalls.length > 0 ? { text, usage, toolCalls } : { text, usage };
    }
    if (!request.jsonSchema) return { text, usage };

    const json = jsonAnswer(text, { provider, model, stoppedAtTokenLimit: candidate.finishReason === 'MAX_TOKENS' });
    return { text, json, usage };
  }

  return { id, provider, generate };
}

/**
 * Turns in Gemini's shape: an assistant's tool calls as `functionCall` parts of a model turn, and the answers as
 * `functionResponse` parts of one user turn (Gemini matches them to the calls by name and order).
 */
function wireContents(turns: ChatMessage[]): Content[] {
  const contents: Content[] = [];
  for (const message of turns) {
    if (message.role === 'tool') {
      const part: Part = { functionResponse: { name: message.toolName ?? '', response: { content: message.content } } };
      const previous = contents[contents.length - 1];
      if (previous && previous.role === 'user' && previous.parts.every((existing) => existing.functionResponse)) previous.parts.push(part);
      else contents.push({ role: 'user', parts: [part] });
      continue;
    }
    if (message.role === 'assistant' && message.toolCalls && message.toolCalls.length > 0) {
      const parts: Part[] = message.content ? [{ text: message.content }] : [];
      for (const call of message.toolCalls) parts.push({ functionCall: { name: call.name, args: call.arguments } });
      contents.push({ role: 'model', parts });
      continue;
    }
    contents.push({ role: message.role === 'assistant' ? 'model' : 'user', parts: [{ text: message.content }] });
  }
  return contents;
}

/** A tool as Gemini declares a function; a tool without arguments declares no parameters (Gemini refuses an empty object). */
function functionDeclaration(tool: ToolDefinition): FunctionDeclaration {
  const properties = tool.parameters.properties;
  const hasArguments = isSchema(properties) && Object.keys(properties).length > 0;
  return {
    name: tool.name,
    description: tool.description,
    ...(hasArguments ? { parameters: toGeminiSchema(tool.parameters) as unknown as FunctionDeclarationSchema } : {}),
  };
}

/** Finish reasons that mean the answer was withheld, so asking again the same way will not help. */
const blockingFinishReasons = new Set<string>(['SAFETY', 'RECITATION', 'LANGUAGE', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII']);

// ---- JSON Schema -> Gemini responseSchema ----

/** A JSON Schema construct Gemini's schema dialect cannot express at all. */

type JsonSchema = Record<string, unknown>;

/** Gemini's Schema as sent on the wire; built loosely and checked against the SDK's ResponseSchema type at the end. */
interface GeminiSchema {
  type: SchemaType;
  format?: string;
  description?: string;
  nullable?: boolean;
  enum?: string[];
  items?: GeminiSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, GeminiSchema>;
  required?: string[];
  propertyOrdering?: string[];
}

const schemaTypes: Record<string, SchemaType> = {
  string: SchemaType.STRING,
  number: SchemaType.NUMBER,
  integer: SchemaType.INTEGER,
  boolean: SchemaType.BOOLEAN,
  array: SchemaType.ARRAY,
  object: SchemaType.OBJECT,
};
/** The `format` values Gemini accepts for each type; others (email, uri, ...) are dropped. */
const supportedFormats: Partial<Record<SchemaType, string[]>> = {
  [SchemaType.STRING]: ['date-time'],
  [SchemaType.NUMBER]: ['float', 'double'],
  [SchemaType.INTEGER]: ['int32', 'int64'],
};

/**
 * Converts a JSON Schema to the OpenAPI subset Gemini's responseSchema accepts: local $refs are inlined, allOf merged,
 * `anyOf: [X, {type: null}]` and `type: [X, "null"]` become `nullable`, string enums and consts become enums; keywords
 * Gemini lacks (additionalProperties, $schema, minimum, pattern, ...) are dropped. Dropping is safe because the step
 * checks the answer against the full schema afterwards and asks for a repair when it does not match.
 */
export function toGeminiSchema(schema: JsonSchema): ResponseSchema {
  // GeminiSchema is structurally what the SDK's ResponseSchema union describes, with the looser field types of the wire.
  return convert(schema, schema, '#', []) as unknown as ResponseSchema;
}

const isSchema: (value: unknown) => value is JsonSchema = isPlainObject;

function resolveReference(reference: string, root: JsonSchema, path: string): JsonSchema {
  if (!reference.startsWith('#')) throw new UnsupportedSchemaError(`${path}: only local $refs can be inlined, not ${reference}`);
  let target: unknown = root;
  for (const token of reference.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');
    target = isSchema(target) ? target[key] : undefined;
  }
  if (!isSchema(target)) throw new UnsupportedSchemaError(`${path}: $ref ${reference} points at nothing`);
  return target;
}

/** Follows $ref and merges allOf, so what is left is one schema with its own keywords. */
function flatten(schema: JsonSchema, root: JsonSchema, path: string, references: string[]): { schema: JsonSchema; references: string[] } {
  let current = schema;
  let seen = references;
  while (typeof current.$ref === 'string') {
    const reference = current.$ref;
    if (seen.includes(reference)) throw new UnsupportedSchemaError(`${path}: the recursive $ref ${reference} cannot be inlined`);
    seen = [...seen, reference];
    const { $ref: _reference, ...siblings } = current;
    current = { ...resolveReference(reference, root, path), ...siblings };
  }
  if (Array.isArray(current.allOf)) {
    const { allOf, ...rest } = current;
    let merged: JsonSchema = rest;
    for (const [index, part] of (allOf as unknown[]).entries()) {
      if (!isSchema(part)) continue;
      const flattened = flatten(part, root, `${path}/allOf/${index}`, seen).schema;
      // Properties keep their order of appearance; a property defined twice keeps its first definition.
      const known = isSchema(merged.properties) ? merged.properties : {};
      const added = isSchema(flattened.properties) ? Object.entries(flattened.properties).filter(([name]) => !(name in known)) : [];
      merged = {
        ...flattened,
        ...merged,
        properties: { ...known, ...Object.fromEntries(added) },
        required: [...(Array.isArray(merged.required) ? merged.required : []), ...(Array.isArray(flattened.required) ? flattened.required : [])],
      };
    }
    if (isSchema(merged.properties) && Object.keys(merged.properties).length === 0) delete merged.properties;
    if (Array.isArray(merged.required) && merged.required.length === 0) delete merged.required;
    current = merged;
  }
  return { schema: current, references: seen };
}

function convert(input: JsonSchema, root: JsonSchema, path: string, references: string[]): GeminiSchema {
  const flattened = flatten(input, root, path, references);
  const schema = flattened.schema;
  let nullable = schema.nullable === true;

  // anyOf / oneOf: only "X or null" (or a choice between string constants) has a Gemini form.
  const alternatives = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (alternatives) {
    const keyword = Array.isArray(schema.anyOf) ? 'anyOf' : 'oneOf';
    const options = alternatives.filter(isSchema).map((option) => flatten(option, root, `${path}/${keyword}`, flattened.references).schema);
    const nonNull = options.filter((option) => option.type !== 'null');
    nullable ||= nonNull.length < options.length;
    const { anyOf: _anyOf, oneOf: _oneOf, ...siblings } = schema;
    if (nonNull.length === 1) {
      const converted = convert({ ...siblings, ...nonNull[0] }, root, path, flattened.references);
      return nullable ? { ...converted, nullable: true } : converted;
    }
    const constants = nonNull.flatMap((option) => (typeof option.const === 'string' ? [option.const] : Array.isArray(option.enum) ? option.enum : [undefined]));
    if (nonNull.length > 1 && constants.every((value) => typeof value === 'string')) {
      return withCommon({ type: SchemaType.STRING, format: 'enum', enum: constants as string[] }, schema, nullable);
    }
    throw new UnsupportedSchemaError(`${path}: ${keyword} with ${nonNull.length} different alternatives`);
  }

  let typeName: unknown = schema.type;
  if (Array.isArray(typeName)) {
    const nonNull = typeName.filter((name) => name !== 'null');
    nullable ||= nonNull.length < typeName.length;
    if (nonNull.length > 1) throw new UnsupportedSchemaError(`${path}: a value of several types (${nonNull.join(', ')})`);
    typeName = nonNull[0];
  }
  const enumValues = Array.isArray(schema.enum) ? schema.enum : schema.const !== undefined ? [schema.const] : undefined;
  if (enumValues?.includes(null)) nullable = true;
  const presentValues = enumValues?.filter((value) => value !== null);
  if (typeName === undefined) typeName = inferType(schema, presentValues);
  if (typeName === 'null') throw new UnsupportedSchemaError(`${path}: a value that can only be null`);
  const type = typeof typeName === 'string' ? schemaTypes[typeName] : undefined;
  if (!type) throw new UnsupportedSchemaError(`${path}: the type ${JSON.stringify(typeName)}`);

  if (type === SchemaType.STRING && presentValues && presentValues.length > 0 && presentValues.every((value) => typeof value === 'string')) {
    return withCommon({ type, format: 'enum', enum: presentValues as string[] }, schema, nullable);
  }
  // Gemini enums are strings only; a numeric enum is left to the schema check after the answer.
  const result: GeminiSchema = { type };
  if (typeof schema.format === 'string' && supportedFormats[type]?.includes(schema.format)) result.format = schema.format;

  if (type === SchemaType.ARRAY) {
    // Items without constraints accept anything, so strings satisfy the original schema.
    result.items = isSchema(schema.items) ? convert(schema.items, root, `${path}/items`, flattened.references) : { type: SchemaType.STRING };
    if (typeof schema.minItems === 'number') result.minItems = schema.minItems;
    if (typeof schema.maxItems === 'number') result.maxItems = schema.maxItems;
  }
  if (type === SchemaType.OBJECT) {
    const properties = isSchema(schema.properties) ? schema.properties : {};
    const names = Object.keys(properties);
    // Gemini rejects an OBJECT without properties, and has no way to say "any keys" (additionalProperties).
    if (names.length === 0) throw new UnsupportedSchemaError(`${path}: an object without listed properties`);
    result.properties = {};
    for (const name of names) {
      const property = properties[name];
      result.properties[name] = isSchema(property) ? convert(property, root, `${path}/properties/${name}`, flattened.references) : { type: SchemaType.STRING };
    }
    const required = Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string' && names.includes(name)) : [];
    if (required.length > 0) result.required = [...new Set(required)];
    // Gemini otherwise orders keys alphabetically; schema authors often order them on purpose (reasoning before verdict).
    result.propertyOrdering = names;
  }
  return withCommon(result, schema, nullable);
}

/** The JSON Schema type a schema without `type` implies; an unconstrained `{}` becomes a string, which it accepts. */
function inferType(schema: JsonSchema, enumValues: unknown[] | undefined): string {
  if (isSchema(schema.properties) || Array.isArray(schema.required)) return 'object';
  if (schema.items !== undefined) return 'array';
  if (enumValues && enumValues.length > 0) {
    const kinds = new Set(enumValues.map((value) => (typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value)));
    if (kinds.size === 1) return [...kinds][0] as string;
    if ([...kinds].every((kind) => kind === 'integer' || kind === 'number')) return 'number';
    throw new UnsupportedSchemaError(`an enum mixing ${[...kinds].join(' and ')} values`);
  }
  return 'string';
}

function withCommon(result: GeminiSchema, schema: JsonSchema, nullable: boolean): GeminiSchema {
  const description = typeof schema.description === 'string' ? schema.description : typeof schema.title === 'string' ? schema.title : undefined;
  return { ...result, ...(description ? { description } : {}), ...(nullable ? { nullable: true } : {}) };
}

// ---- errors ----

/** Seconds from Google's RetryInfo detail, whose `retryDelay` is a protobuf Duration in JSON ("2s", "0.5s"). */
export function retryDelaySeconds(details: ErrorDetails[] | undefined): number | undefined {
  const retryInfo = details?.find((detail) => typeof detail['@type'] === 'string' && detail['@type'].endsWith('google.rpc.RetryInfo'));
  const delay = retryInfo?.retryDelay;
  if (typeof delay === 'string') {
    const match = /^(\d+(?:\.\d+)?)s$/.exec(delay.trim());
    return match ? Number(match[1]) : undefined;
  }
  // Some clients render Duration as { seconds, nanos }.
  if (isSchema(delay)) {
    const seconds = Number(delay.seconds ?? 0) + Number(delay.nanos ?? 0) / 1e9;
    return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
  }
  return undefined;
}

/** Google names the cause of a 400 in an ErrorInfo detail; a bad key is a 400 with reason API_KEY_INVALID. */
function errorReason(details: ErrorDetails[] | undefined): string | undefined {
  const errorInfo = details?.find((detail) => typeof detail['@type'] === 'string' && detail['@type'].endsWith('google.rpc.ErrorInfo'));
  return typeof errorInfo?.reason === 'string' ? errorInfo.reason : undefined;
}

/** What the server said, without the SDK's "[GoogleGenerativeAI Error]: Error fetching from URL: [status]" prefix or the details it appends. */
function serverMessage(error: GoogleGenerativeAIFetchError): string {
  const match = /\] (.*)$/s.exec(error.message);
  let message = match?.[1] ?? '';
  if (error.errorDetails) message = message.replace(` ${JSON.stringify(error.errorDetails)}`, '');
  return message.trim();
}

/** Google says "The input token count (N) exceeds the maximum number of tokens allowed (M)" for a too-long input. */
const contextTooLong = /exceeds the maximum number of tokens|input token count|context (window|length)|too long/i;

function toModelError(error: unknown, context: { model: string; baseURL: string }): ModelError {
  const { model, baseURL } = context;
  const base = { provider, model };

  if (error instanceof GoogleGenerativeAIFetchError && typeof error.status === 'number') {
    const status = error.status;
    // The details are read only for the status they matter to: they are whatever JSON the server sent.
    return modelErrorForStatus({
      ...base,
      status,
      detail: serverMessage(error),
      baseURL,
      // The SDK does not expose response headers, so a Retry-After header is out of reach; Google puts the delay in RetryInfo.
      retryAfterSeconds: status === 429 ? retryDelaySeconds(error.errorDetails) : undefined,
      keyVariable,
      // A wrong key is a 400, not a 401.
      keyRejected: status === 400 && errorReason(error.errorDetails) === 'API_KEY_INVALID',
      contextTooLong,
      hints: { 403: ['refused access', `check that the API key may use model ${model} and that the Generative Language API is enabled for its project`] },
    });
  }
  // Aborted without our timeout or the caller's signal firing: the connection was cut.
  if (error instanceof GoogleGenerativeAIAbortError) {
    return new ModelError(`${provider}:${model}: the request to ${baseURL} was aborted`, { ...base, isRetryable: true });
  }
  if (isSyntaxError(error)) return invalidResponseJsonError({ ...base, baseURL }, error.message);
  if (error instanceof GoogleGenerativeAIRequestInputError || error instanceof GoogleGenerativeAIResponseError) return failedError(error, base);
  // generateContent throws the base class only when fetch itself failed (refused, reset, DNS); the SDK drops the cause.
  if (error instanceof GoogleGenerativeAIError) return connectionError({ ...base, baseURL, cause: error.message });
  return failedError(error, base);
}
