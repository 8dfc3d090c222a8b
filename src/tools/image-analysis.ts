// image-analysis (alias vision): an image (workspace file, URL or data URI) described or questioned by a vision
// model through the OpenAI-compatible chat endpoint. Result `{analysis}` (pyorc-dialect.md section 5).
import { z } from 'zod';
import { invalidParameters } from './tool-failure';
import { imageUrlOf, openaiAvailability, openaiClient, providerFailure } from './openai-media';
import type { ToolContext, ToolModule } from './types';

const parameters = z.looseObject({
  image: z.string().optional(),
  image_path: z.string().optional(),
  image_url: z.string().optional(),
  path: z.string().optional(),
  analysis_type: z.string().optional(),
  question: z.string().optional(),
  prompt: z.string().optional(),
  model: z.string().optional(),
  detail: z.enum(['low', 'high', 'auto']).optional(),
});
type Parameters = z.infer<typeof parameters>;

const INSTRUCTIONS: Record<string, string> = {
  describe: 'Describe this image.',
  detailed: 'Describe this image in detail: subjects, setting, colours, composition and any text.',
  objects: 'List the objects in this image, one per line.',
  text: 'Transcribe all text visible in this image exactly; answer with the text only.',
  ocr: 'Transcribe all text visible in this image exactly; answer with the text only.',
  classify: 'Classify this image: answer with one short category.',
};

async function analyze(parameters: Parameters, context: ToolContext): Promise<Record<string, unknown>> {
  const image = parameters.image ?? parameters.image_path ?? parameters.image_url ?? parameters.path;
  if (!image) throw invalidParameters('the step has no `image`: a workspace file, an http(s) URL or a data URI');
  const type = (parameters.analysis_type ?? 'describe').toLowerCase();
  const question = parameters.question ?? parameters.prompt ?? INSTRUCTIONS[type] ?? `Analyse this image (${type}).`;
  const model = parameters.model ?? context.env.ORC_VISION_MODEL ?? 'gpt-4o-mini';
  const url = imageUrlOf(image, context);
  try {
    const answer = await openaiClient(context).chat.completions.create(
      {
        model,
        messages: [{ role: 'user', content: [{ type: 'text', text: question }, { type: 'image_url', image_url: { url, detail: parameters.detail ?? 'auto' } }] }],
      },
      { signal: context.signal },
    );
    return { analysis: answer.choices[0]?.message.content ?? '', analysis_type: type, model };
  } catch (error) {
    throw providerFailure(error, `image-analysis (${model})`);
  }
}

export const imageAnalysisTool: ToolModule = {
  name: 'image-analysis',
  aliases: ['vision'],
  description: 'An image described, read or questioned by a vision model through the OpenAI-compatible chat endpoint: {analysis}',
  actions: { analyze: { description: '`analysis_type` describe, detailed, objects, text or classify, or a `question` about `image`', parameters, run: analyze } },
  defaultAction: 'analyze',
  availability: openaiAvailability,
};
