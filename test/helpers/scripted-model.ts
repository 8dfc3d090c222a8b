// A scripted model for workflow tests: answers, delays, hangs or fails as the test says, and records every call.
import type { Usage } from '../../src/base/run-types';
import type { ModelResolver } from '../../src/models/registry';
import { ModelError, type GenerateRequest, type GenerateResponse, type LanguageModel } from '../../src/models/types';

export interface ScriptedAnswer {
  text?: string;
  json?: unknown;
  delayMs?: number;
  /** Never answer (until the activity is cancelled). */
  hang?: boolean;
  fail?: { message: string; retryable: boolean };
  /** What the call reports it used (default: 10 input and 5 output tokens, no cost). */
  usage?: Usage;
}

export interface RecordedCall {
  prompt: string;
  system: string;
  startedAt: number;
  endedAt?: number;
}

export class ScriptedModel implements LanguageModel {
  readonly id = 'fake:scripted';
  readonly provider = 'fake';
  calls: RecordedCall[] = [];
  active = 0;
  maxActive = 0;

  constructor(public script: (prompt: string, callNumber: number) => ScriptedAnswer = () => ({})) {}

  reset(script: (prompt: string, callNumber: number) => ScriptedAnswer): void {
    this.script = script;
    this.calls = [];
    this.active = 0;
    this.maxActive = 0;
  }

  /** Calls whose prompt (user or system) contains `marker`. */
  callsWith(marker: string): RecordedCall[] {
    return this.calls.filter((call) => call.prompt.includes(marker) || call.system.includes(marker));
  }

  callFor(marker: string): RecordedCall {
    const call = this.calls.find((candidate) => candidate.prompt.includes(marker));
    if (!call) throw new Error(`no model call with '${marker}' in its prompt; calls: ${this.calls.map((c) => c.prompt.slice(0, 40)).join(' | ')}`);
    return call;
  }

  async generate(request: GenerateRequest): Promise<GenerateResponse> {
    const prompt = [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
    const system = request.messages.find((message) => message.role === 'system')?.content ?? '';
    const call: RecordedCall = { prompt, system, startedAt: Date.now() };
    this.calls.push(call);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      const answer = this.script(prompt, this.calls.length);
      const wait = answer.hang ? 20_000 : (answer.delayMs ?? 0);
      if (wait > 0) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, wait);
          request.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new Error('the request was aborted'));
          });
        });
      }
      if (answer.fail) {
        throw new ModelError(answer.fail.message, { provider: 'fake', model: 'scripted', isRetryable: answer.fail.retryable });
      }
      const text = answer.text ?? (answer.json !== undefined ? JSON.stringify(answer.json) : `answer to: ${prompt}`);
      return { text, ...(request.jsonSchema ? { json: answer.json ?? JSON.parse(text) } : {}), usage: answer.usage ?? { input_tokens: 10, output_tokens: 5, cost_usd: 0 } };
    } finally {
      this.active--;
      call.endedAt = Date.now();
    }
  }
}

export function resolverFor(model: LanguageModel): ModelResolver {
  return { resolve: () => model };
}
