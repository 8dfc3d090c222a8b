// The narrow interface every model provider implements, and the errors they raise.
import type { Usage } from '../base/run-types';
import type { ReAskRecord } from './local/degeneration';

export interface ChatMessage {
  /** `tool`: the answer to one of the previous assistant message's tool calls. */
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** On an assistant message: the tools it asked to call (its `content` may be empty then). */
  toolCalls?: ToolCall[];
  /** On a tool message: the call it answers. */
  toolCallId?: string;
  /** On a tool message: the tool's name (Gemini's functionResponse carries it). */
  toolName?: string;
}

/** A tool the model may call: its name on the wire (letters, digits, `_` and `-`), what it does, its arguments' JSON Schema. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** A JSON Schema of `type: object`. */
  parameters: Record<string, unknown>;
}

/** One call the model asked for. */
export interface ToolCall {
  /** The provider's id for the call (made up where the provider has none), echoed back with its answer. */
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface GenerateRequest {
  messages: ChatMessage[];
  /** When set, the model must answer with JSON that satisfies this schema. */
  jsonSchema?: Record<string, unknown>;
  temperature?: number;
  maxTokens?: number;
  /** Sampling seed, for providers that take one (replicates differ by seed). */
  seed?: number;
  signal?: AbortSignal;
  /** Called with the answer's text so far as it arrives, by adapters that can stream (others answer at once). */
  onText?: (textSoFar: string) => void;
  /**
   * Tools the model may call instead of answering; its calls come back in `toolCalls`. Not combined with
   * `jsonSchema`: a caller that wants a structured final answer asks for it in a call of its own.
   */
  tools?: ToolDefinition[];
}

export interface GenerateResponse {
  text: string;
  /** The parsed answer when `jsonSchema` was given. */
  json?: unknown;
  usage: Usage;
  /** The tools the model asked to call (only when the request gave `tools`); empty or absent for a final answer. */
  toolCalls?: ToolCall[];
  /** The model's server re-asked because its first answer was degenerate (the local model does). */
  reAsk?: ReAskRecord;
}

export interface LanguageModel {
  /** `provider:model`, as it appears in a run's result. */
  readonly id: string;
  readonly provider: string;
  generate(request: GenerateRequest): Promise<GenerateResponse>;
  /** Why calls fail fast right now (an open circuit), or undefined when the model takes calls. */
  unavailable?(): string | undefined;
}

/** An error from a model provider, with what a caller needs to decide on a retry. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    message: string,
    readonly details: {
      provider: string;
      model: string;
      isRetryable: boolean;
      status?: number;
      retryAfterSeconds?: number;
    },
  ) {
    super(message);
  }
  get isRetryable(): boolean {
    return this.details.isRetryable;
  }
}

/** Providers that take the system prompt apart from the turns: the system messages joined, and the other turns. */
export function splitSystem(messages: ChatMessage[]): { system: string; turns: ChatMessage[] } {
  return {
    system: messages
      .filter((message) => message.role === 'system')
      .map((message) => message.content)
      .join('\n\n'),
    turns: messages.filter((message) => message.role !== 'system'),
  };
}
