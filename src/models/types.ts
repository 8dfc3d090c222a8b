// The narrow interface every model provider implements, and the errors they raise.
import type { ReAskRecord } from './degeneration';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateRequest {
  messages: ChatMessage[];
  /** When set, the model must answer with JSON that satisfies this schema. */
  jsonSchema?: Record<string, unknown>;
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

export interface GenerateResponse {
  text: string;
  /** The parsed answer when `jsonSchema` was given. */
  json?: unknown;
  usage: TokenUsage;
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

export function emptyUsage(): TokenUsage {
  return { input_tokens: 0, output_tokens: 0, cost_usd: 0 };
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
