// Debian's ffmpeg / ffprobe for audio and video conversion. Inputs are workspace files opened through the `file`
// protocol only, and formats that name other files or URLs (playlists, concat lists) are refused before any run.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FailureType } from '../base/failure-types';
import { invalidParameters, toolFailure } from './tool-failure';
import type { Availability } from './types';

/** Demuxers that read other files or URLs named inside the input (never in INPUT_FORMATS; checked again after the probe). */
const REFERRING_FORMATS = /(^|,)(hls|applehttp|concat|ffconcat|dash|image2|imagepipe|tee|lavfi|sdp|rtsp|mpd)(,|$)/;
/** The only demuxers ffmpeg may use on an input: media containers that hold their own data. */
const INPUT_FORMATS = 'wav,w64,mp3,ogg,flac,mov,mp4,m4a,matroska,webm,aac,aiff,au,caf,avi,mpeg,mpegts,flv,amr,asf,mpegvideo,h264,hevc,png_pipe,jpeg_pipe';
const INPUT_OPTIONS = ['-protocol_whitelist', 'file', '-format_whitelist', INPUT_FORMATS];

function which(program: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const directory of (env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
    const candidate = path.join(directory, program);
    if (directory && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function ffmpegAvailability(env: NodeJS.ProcessEnv): Availability {
  return which('ffmpeg', env) && which('ffprobe', env)
    ? { available: true }
    : { available: false, reason: 'ffmpeg is not installed on the worker: run `bash scripts/setup-ops-tools.sh` (Debian\'s ffmpeg)' };
}

function run(program: string, args: string[], signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { signal, maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 }, (error, stdout, stderr) => {
      // The same file fails the same way again: not retried.
      if (error) reject(toolFailure(FailureType.ToolFailed, `${program} could not process the file: ${stderr.toString().trim().split('\n').slice(-3).join(' ') || error.message}`));
      else resolve(stdout.toString());
    });
  });
}

export interface MediaInfo {
  format: string;
  duration_seconds: number | null;
  size_bytes: number;
  streams: Array<{ type: string; codec: string; sample_rate?: number; channels?: number; width?: number; height?: number }>;
}

/** What a workspace media file is; refuses formats that would read other files. */
export async function probe(file: string, signal: AbortSignal): Promise<MediaInfo> {
  if (!fs.existsSync(file)) throw invalidParameters(`no file '${path.basename(file)}' in the workspace`);
  const output = await run('ffprobe', ['-v', 'error', ...INPUT_OPTIONS, '-print_format', 'json', '-show_format', '-show_streams', `file:${file}`], signal);
  const parsed = JSON.parse(output) as { format?: { format_name?: string; duration?: string; size?: string }; streams?: Array<Record<string, unknown>> };
  const format = parsed.format?.format_name ?? 'unknown';
  if (REFERRING_FORMATS.test(format)) {
    throw toolFailure(FailureType.PathOutsideWorkspace, `'${path.basename(file)}' is a ${format} file, which names other files or URLs: give the media itself`);
  }
  return {
    format,
    duration_seconds: parsed.format?.duration ? Number(parsed.format.duration) : null,
    size_bytes: Number(parsed.format?.size ?? fs.statSync(file).size),
    streams: (parsed.streams ?? []).map((stream) => ({
      type: String(stream.codec_type),
      codec: String(stream.codec_name),
      ...(stream.sample_rate ? { sample_rate: Number(stream.sample_rate) } : {}),
      ...(stream.channels ? { channels: Number(stream.channels) } : {}),
      ...(stream.width ? { width: Number(stream.width), height: Number(stream.height) } : {}),
    })),
  };
}

/** ffmpeg over one checked workspace input into `output` (an absolute path inside the workspace). */
export async function ffmpeg(input: string, output: string, options: string[], signal: AbortSignal): Promise<void> {
  await probe(input, signal);
  fs.mkdirSync(path.dirname(output), { recursive: true });
  await run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...INPUT_OPTIONS, '-i', `file:${input}`, ...options, `file:${output}`], signal);
}
