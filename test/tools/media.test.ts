// image-generation, image-analysis (vision), speech-to-text, audio-processing and video-processing against a
// stand-in that speaks the OpenAI images / chat / audio protocol, and Debian's real ffmpeg.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FailureType } from '../../src/base/failure-types';
import { findTool } from '../../src/tools';
import { FakeOpenAIMediaServer, TINY_PNG } from '../helpers/fake-openai-media';
import { callTool, toolContext, type TestToolContext } from './tool-context';

const fake = new FakeOpenAIMediaServer();
let env: NodeJS.ProcessEnv;
let context: TestToolContext;

beforeAll(async () => {
  env = { ...process.env, OPENAI_API_KEY: 'sk-worker-key', OPENAI_BASE_URL: await fake.start() };
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.requests.length = 0;
  context = toolContext(env);
});
afterEach(() => context.remove());

const file = (relative: string) => path.join(context.workspace.root, relative);
const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', ...args]);

test('image-generation: images written into the workspace, the key from the worker', async () => {
  const result = await callTool('image-generation', 'generate', { prompt: 'a lighthouse', size: '512x512', num_images: 2, output_path: 'art/light.png' }, context);
  expect(result).toMatchObject({ count: 2, images: [{ path: 'art/light_1.png', revised_prompt: 'revised: a lighthouse' }, { path: 'art/light_2.png' }] });
  expect(fs.readFileSync(file('art/light_1.png'))).toEqual(TINY_PNG);
  expect(fake.requests[0]).toMatchObject({ path: '/images/generations', authorization: 'Bearer sk-worker-key', json: { prompt: 'a lighthouse', size: '512x512', n: 2, response_format: 'b64_json' } });
});

test('image-analysis and vision: a workspace image sent inline to the chat endpoint', async () => {
  fs.writeFileSync(file('square.png'), TINY_PNG);
  const result = await callTool('vision', 'analyze', { image: 'square.png', analysis_type: 'describe' }, context);
  expect(result).toMatchObject({ analysis: 'a red square on white', analysis_type: 'describe' });
  const content = (fake.requests[0]!.json!.messages as Array<{ content: Array<{ type: string; image_url?: { url: string } }> }>)[0]!.content;
  expect(content[1]!.image_url!.url).toBe(`data:image/png;base64,${TINY_PNG.toString('base64')}`);
  await expect(callTool('image-analysis', 'analyze', { image: '../../etc/hostname.png' }, context)).rejects.toMatchObject({ type: FailureType.PathOutsideWorkspace });
});

test('a refusal of the endpoint is a non-retried TOOL_FAILED that says what it answered', async () => {
  fake.failNextWith = 400;
  await expect(callTool('image-generation', 'generate', { prompt: 'x' }, context)).rejects.toMatchObject({ type: FailureType.ToolFailed, nonRetryable: true, message: expect.stringContaining('400') });
});

test('without OPENAI_API_KEY the tools are unavailable, with the reason', async () => {
  const bare = { ...process.env, OPENAI_API_KEY: '' };
  for (const name of ['image-generation', 'image-analysis', 'speech-to-text']) {
    expect(await findTool(name)!.availability(bare)).toEqual({ available: false, reason: expect.stringContaining('OPENAI_API_KEY') });
  }
  const keyless = toolContext(bare);
  fs.writeFileSync(path.join(keyless.workspace.root, 'a.wav'), '');
  await expect(callTool('audio-processing', 'transcribe', { audio: 'a.wav' }, keyless)).rejects.toMatchObject({ type: FailureType.ToolUnavailable });
  keyless.remove();
  expect(fake.requests).toEqual([]);
});

test('speech-to-text: a format the endpoint does not take is converted with ffmpeg, then transcribed', async () => {
  ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', file('tone.aiff'));
  const result = await callTool('speech-to-text', 'transcribe', { audio: 'tone.aiff', language: 'en' }, context);
  expect(result).toMatchObject({ transcription: 'hello from the recording', language: 'en' });
  const upload = fake.requests[0]!;
  expect(upload.path).toBe('/audio/transcriptions');
  expect(upload.body.toString('latin1')).toContain('filename="audio.mp3"');
  expect(upload.body.toString('latin1')).toContain('whisper-1');
});

test('audio-processing: convert and info with real ffmpeg', async () => {
  ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', file('tone.wav'));
  const converted = await callTool('audio-processing', 'convert', { input: 'tone.wav', output_path: 'out/tone.ogg', sample_rate: 16000, channels: 1 }, context);
  expect(converted).toMatchObject({ output_path: 'out/tone.ogg', format: 'ogg' });
  expect(converted.duration_seconds).toBeCloseTo(2, 0);
  const info = await callTool('audio-processing', 'info', { input: 'out/tone.ogg' }, context);
  expect(info.streams).toEqual([expect.objectContaining({ type: 'audio', sample_rate: 16000, channels: 1 })]);
});

test('video-processing: frames as PNG files', async () => {
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=duration=3:size=160x120:rate=10', '-pix_fmt', 'yuv420p', file('clip.mp4'));
  const result = await callTool('video-processing', 'extract_frames', { input: 'clip.mp4', fps: 1, output_dir: 'frames' }, context);
  expect(result).toEqual({ frames: ['frames/frame_0001.png', 'frames/frame_0002.png', 'frames/frame_0003.png'], count: 3 });
  expect(fs.readFileSync(file('frames/frame_0001.png')).subarray(1, 4).toString()).toBe('PNG');
});

test('a playlist that names a file outside the workspace is not opened', async () => {
  fs.writeFileSync(file('list.m3u8'), '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:/etc/passwd\n#EXT-X-ENDLIST\n');
  const attempt = callTool('audio-processing', 'convert', { input: 'list.m3u8', output_path: 'stolen.mp3' }, context);
  await expect(attempt).rejects.toMatchObject({ type: FailureType.ToolFailed, message: expect.stringContaining('not on whitelist') });
  expect(fs.existsSync(file('stolen.mp3'))).toBe(false);
});
