// The OpenAI-compatible endpoints the image and audio tools call (images, chat with images, audio
// transcriptions): key and endpoint from the worker's environment (OPENAI_API_KEY, OPENAI_BASE_URL), never the pipeline.
import * as fs from 'node:fs';
import * as path from 'node:path';
import OpenAI from 'openai';
import { readSettings } from '../base/settings';
import { FailureType } from '../base/failure-types';
import { backendFailed, invalidParameters, toolFailure } from './tool-failure';
import type { Availability, ToolContext } from './types';

const NO_KEY = 'OPENAI_API_KEY is not set on the worker: set it (and OPENAI_BASE_URL for another OpenAI-compatible endpoint)';

export function openaiAvailability(env: NodeJS.ProcessEnv): Availability {
  return readSettings(env).apiKey('openai') ? { available: true } : { available: false, reason: NO_KEY };
}

export function openaiClient(context: ToolContext): OpenAI {
  const settings = readSettings(context.env);
  const apiKey = settings.apiKey('openai');
  if (!apiKey) throw toolFailure(FailureType.ToolUnavailable, NO_KEY);
  return new OpenAI({ apiKey, baseURL: settings.baseUrl('openai'), maxRetries: 0, timeout: 120_000 });
}

/** An SDK error as a tool failure: bad requests and auth are not retried; the rest (429, 5xx, network) are. */
export function providerFailure(error: unknown, what: string): Error {
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    const message = `${what}: the endpoint answered ${status || 'nothing'}: ${error.message}`;
    return status >= 400 && status < 500 && status !== 429 && status !== 408 ? toolFailure(FailureType.ToolFailed, message) : backendFailed(message);
  }
  return error instanceof Error && 'type' in error ? error : backendFailed(`${what}: ${(error as Error).message ?? String(error)}`);
}

const IMAGE_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' };

/** An image for a vision request: a URL or data URI as given, or a workspace file inlined as a data URI. */
export function imageUrlOf(image: string, context: ToolContext): string {
  const trimmed = image.trim();
  if (/^(https?:|data:image\/)/i.test(trimmed)) return trimmed;
  const file = context.workspace.resolve(trimmed);
  const type = IMAGE_TYPES[path.extname(file).toLowerCase()];
  if (!type) throw invalidParameters(`'${image}' is not a PNG, JPEG, GIF or WebP image (or an http(s) URL)`);
  if (!fs.existsSync(file)) throw invalidParameters(`no image '${image}' in the workspace`);
  return `data:${type};base64,${fs.readFileSync(file).toString('base64')}`;
}
