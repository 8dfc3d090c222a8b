// image-generation: the OpenAI-compatible images endpoint; each image written into the workspace.
// Result `{images: [{path}], count}` (pyorc-dialect.md section 5).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { invalidParameters } from './tool-failure';
import { openaiAvailability, openaiClient, providerFailure } from './openai-media';
import type { ToolContext, ToolModule } from './types';

const parameters = z.looseObject({
  prompt: z.string().optional(),
  size: z.string().optional(),
  num_images: z.number().int().min(1).max(10).optional(),
  n: z.number().int().min(1).max(10).optional(),
  style: z.string().optional(),
  quality: z.string().optional(),
  model: z.string().optional(),
  /** One image: this file; several: NAME_1.EXT, NAME_2.EXT ... */
  output_path: z.string().optional(),
  output_dir: z.string().optional(),
  output_format: z.string().optional(),
});
type Parameters = z.infer<typeof parameters>;

function targetsOf(parameters: Parameters, count: number, context: ToolContext): string[] {
  const extension = (parameters.output_format ?? 'png').toLowerCase().replace(/^\./, '');
  const single = parameters.output_path ?? `${parameters.output_dir ?? 'images'}/${context.stepId}.${extension}`;
  const names = count === 1 ? [single] : Array.from({ length: count }, (_, index) => single.replace(/(\.[^./]+)?$/, (ext) => `_${index + 1}${ext || `.${extension}`}`));
  for (const name of names) context.workspace.resolve(name);
  return names;
}

async function generate(parameters: Parameters, context: ToolContext): Promise<Record<string, unknown>> {
  if (!parameters.prompt || parameters.prompt.trim() === '') throw invalidParameters('the step has no `prompt`: describe the image to make');
  const count = parameters.num_images ?? parameters.n ?? 1;
  const targets = targetsOf(parameters, count, context);
  const model = parameters.model ?? context.env.ORC_IMAGE_MODEL ?? 'dall-e-3';
  let answer;
  try {
    answer = await openaiClient(context).images.generate(
      {
        model,
        prompt: parameters.style ? `${parameters.prompt} (style: ${parameters.style})` : parameters.prompt,
        n: count,
        size: (parameters.size ?? '1024x1024') as '1024x1024',
        response_format: 'b64_json',
        ...(parameters.quality ? { quality: parameters.quality as 'standard' } : {}),
      },
      { signal: context.signal },
    );
  } catch (error) {
    throw providerFailure(error, `image-generation (${model})`);
  }
  const images = (answer.data ?? []).map((image, index) => {
    const target = targets[index];
    if (!image.b64_json || !target) return { url: image.url, ...(image.revised_prompt ? { revised_prompt: image.revised_prompt } : {}) };
    const file = context.workspace.resolve(target);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from(image.b64_json, 'base64'));
    context.wrote(target);
    return { path: target, ...(image.revised_prompt ? { revised_prompt: image.revised_prompt } : {}) };
  });
  return { images, count: images.length, model, prompt: parameters.prompt };
}

export const imageGenerationTool: ToolModule = {
  name: 'image-generation',
  description: 'Images from a prompt through the OpenAI-compatible images endpoint, written into the workspace: {images: [{path}], count}',
  actions: { generate: { description: 'Makes `num_images` images of `prompt` at `size` into `output_path` (default images/STEP.png)', parameters, run: generate } },
  defaultAction: 'generate',
  availability: openaiAvailability,
};
