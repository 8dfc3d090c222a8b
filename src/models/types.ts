// The narrow interface every model provider implements, and the errors they raise.
import type { Usage } from '../base/run-types';

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

export interface GenerateResponse {
  text: string;
  /** The parsed answer when `jsonSchema` was given. */
  json?: unknown;
  usage: Usage;
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
