// speech-to-text: an audio (or video) file of the workspace transcribed by the OpenAI-compatible audio
// transcriptions endpoint; formats the endpoint does not take are converted with ffmpeg first.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toFile } from 'openai';
import { z } from 'zod';
import { ffmpeg } from './ffmpeg';
import { invalidParameters } from './tool-failure';
import { openaiAvailability, openaiClient, providerFailure } from './openai-media';
import type { ToolContext, ToolModule } from './types';

/** What the transcription endpoint takes as it is. */
const ACCEPTED = new Set(['.mp3', '.mp4', '.mpeg', '.mpga', '.m4a', '.wav', '.webm', '.ogg', '.flac']);

export const transcribeParameters = z.looseObject({
  audio: z.string().optional(),
  audio_file: z.string().optional(),
  file: z.string().optional(),
  path: z.string().optional(),
  input: z.string().optional(),
  language: z.string().optional(),
  prompt: z.string().optional(),
  model: z.string().optional(),
});
type Parameters = z.infer<typeof transcribeParameters>;

export async function transcribe(parameters: Parameters, context: ToolContext): Promise<Record<string, unknown>> {
  const relative = parameters.audio ?? parameters.audio_file ?? parameters.file ?? parameters.path ?? parameters.input;
  if (!relative) throw invalidParameters('the step has no `audio`: name an audio or video file in the workspace');
  const source = context.workspace.resolve(relative);
  if (!fs.existsSync(source)) throw invalidParameters(`no file '${relative}' in the workspace`);
  const client = openaiClient(context);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-audio-'));
  try {
    let upload = source;
    if (!ACCEPTED.has(path.extname(source).toLowerCase())) {
      upload = path.join(scratch, 'audio.mp3');
      await ffmpeg(source, upload, ['-vn', '-ac', '1', '-ar', '16000'], context.signal);
    }
    const model = parameters.model ?? context.env.ORC_TRANSCRIBE_MODEL ?? 'whisper-1';
    try {
      const answer = await client.audio.transcriptions.create(
        {
          file: await toFile(fs.readFileSync(upload), path.basename(upload)),
          model,
          ...(parameters.language ? { language: parameters.language } : {}),
          ...(parameters.prompt ? { prompt: parameters.prompt } : {}),
        },
        { signal: context.signal },
      );
      return { transcription: answer.text, text: answer.text, model, ...(parameters.language ? { language: parameters.language } : {}) };
    } catch (error) {
      throw providerFailure(error, `speech-to-text (${model})`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export const speechToTextTool: ToolModule = {
  name: 'speech-to-text',
  description: 'An audio or video file of the workspace transcribed through the OpenAI-compatible transcriptions endpoint: {transcription}',
  actions: { transcribe: { description: 'Transcribes `audio` (converted with ffmpeg when the endpoint would not take it)', parameters: transcribeParameters, run: transcribe } },
  defaultAction: 'transcribe',
  availability: openaiAvailability,
};
