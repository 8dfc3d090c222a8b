// audio-processing and video-processing: Debian's ffmpeg over workspace files (convert, information, frames,
// the sound track) and, for audio, transcription through speech-to-text. Results `{transcription}` and `{frames}`
// as the dialect reads them (pyorc-dialect.md section 5).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ffmpeg, ffmpegAvailability, probe } from './ffmpeg';
import { transcribe, transcribeParameters } from './speech-to-text';
import { invalidParameters } from './tool-failure';
import type { ToolContext, ToolModule } from './types';

const mediaParameters = z.looseObject({
  input: z.string().optional(),
  file: z.string().optional(),
  path: z.string().optional(),
  audio: z.string().optional(),
  video: z.string().optional(),
  output_path: z.string().optional(),
  /** The output's format when output_path has no extension (mp3, wav, ogg, flac, m4a, mp4, webm ...). */
  format: z.string().optional(),
  sample_rate: z.number().int().positive().optional(),
  channels: z.number().int().min(1).max(8).optional(),
  /** Frames per second to extract (video). */
  fps: z.number().positive().optional(),
  max_frames: z.number().int().positive().optional(),
  output_dir: z.string().optional(),
});
type Parameters = z.infer<typeof mediaParameters>;

function inputOf(parameters: Parameters, context: ToolContext): { relative: string; absolute: string } {
  const relative = parameters.input ?? parameters.file ?? parameters.path ?? parameters.audio ?? parameters.video;
  if (!relative) throw invalidParameters('the step has no `input`: name a media file in the workspace');
  return { relative, absolute: context.workspace.resolve(relative) };
}

async function convert(parameters: Parameters, context: ToolContext): Promise<Record<string, unknown>> {
  const input = inputOf(parameters, context);
  const format = (parameters.format ?? path.extname(parameters.output_path ?? '').slice(1)) || 'mp3';
  const relative = parameters.output_path ?? input.relative.replace(/(\.[^./]+)?$/, `.${format}`);
  if (relative === input.relative) throw invalidParameters('the output would overwrite the input: give another `output_path` or `format`');
  const output = context.workspace.resolve(relative);
  const options = [...(parameters.sample_rate ? ['-ar', String(parameters.sample_rate)] : []), ...(parameters.channels ? ['-ac', String(parameters.channels)] : [])];
  await ffmpeg(input.absolute, output, options, context.signal);
  context.wrote(relative);
  const info = await probe(output, context.signal);
  return { output_path: relative, file_size: fs.statSync(output).size, format: info.format, duration_seconds: info.duration_seconds };
}

async function info(parameters: Parameters, context: ToolContext): Promise<Record<string, unknown>> {
  const input = inputOf(parameters, context);
  return { path: input.relative, ...(await probe(input.absolute, context.signal)) };
}

async function frames(parameters: Parameters, context: ToolContext): Promise<Record<string, unknown>> {
  const input = inputOf(parameters, context);
  const directory = parameters.output_dir ?? `frames/${context.stepId}`;
  const absolute = context.workspace.resolve(directory);
  fs.mkdirSync(absolute, { recursive: true });
  const limit = parameters.max_frames ?? 100;
  await ffmpeg(input.absolute, path.join(absolute, 'frame_%04d.png'), ['-vf', `fps=${parameters.fps ?? 1}`, '-frames:v', String(limit)], context.signal);
  const names = fs.readdirSync(absolute).filter((name) => /^frame_\d{4}\.png$/.test(name)).sort().map((name) => `${directory}/${name}`);
  for (const name of names) context.wrote(name);
  return { frames: names, count: names.length };
}

async function extractAudio(parameters: Parameters, context: ToolContext): Promise<Record<string, unknown>> {
  return convert({ ...parameters, format: parameters.format ?? 'mp3' }, context);
}

export const audioProcessingTool: ToolModule = {
  name: 'audio-processing',
  description: 'Audio files of the workspace: converted with ffmpeg, described, or transcribed (OpenAI-compatible endpoint)',
  actions: {
    transcribe: { description: 'The speech in `audio` as text: {transcription}', parameters: transcribeParameters, run: transcribe },
    convert: { description: '`input` converted to `output_path` (or `format`), optionally at `sample_rate` / `channels`', parameters: mediaParameters, run: convert },
    info: { description: 'Format, duration and streams of `input`', parameters: mediaParameters, run: info },
  },
  defaultAction: 'transcribe',
  actionFor(action) {
    const name = action.toLowerCase();
    if (['transcribe', 'transcription', 'speech_to_text'].includes(name)) return 'transcribe';
    if (['convert', 'transcode', 'resample'].includes(name)) return 'convert';
    if (['info', 'analyze', 'analyse', 'probe', 'metadata'].includes(name)) return 'info';
    return undefined;
  },
  availability: ffmpegAvailability,
};

export const videoProcessingTool: ToolModule = {
  name: 'video-processing',
  description: 'Video files of the workspace through ffmpeg: frames as PNG, the sound track, conversion, information',
  actions: {
    extract_frames: { description: 'Frames of `input` at `fps` (default 1) into `output_dir`: {frames, count}', parameters: mediaParameters, run: frames },
    extract_audio: { description: 'The sound track of `input` into `output_path` (default mp3)', parameters: mediaParameters, run: extractAudio },
    convert: { description: '`input` converted to `output_path` (or `format`)', parameters: mediaParameters, run: convert },
    info: { description: 'Format, duration and streams of `input`', parameters: mediaParameters, run: info },
  },
  defaultAction: 'extract_frames',
  actionFor(action) {
    const name = action.toLowerCase();
    if (['frames', 'extract_frames', 'analyze', 'analyse'].includes(name)) return 'extract_frames';
    if (['probe', 'metadata', 'info'].includes(name)) return 'info';
    return undefined;
  },
  availability: ffmpegAvailability,
};
