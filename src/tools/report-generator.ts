// report-generator and markdown-to-html: Markdown assembled from a title, sections and search results, and
// rendered to HTML by markdown-it; either may be written into the workspace.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import MarkdownIt from 'markdown-it';
import { z } from 'zod';
import type { ToolContext, ToolModule } from './types';

const markdownRenderer = new MarkdownIt({ html: false, linkify: true, typographer: false });

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** A standalone page: the rendered Markdown with a small readable style. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>\n<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5}pre{background:#f4f4f4;padding:.75rem;overflow:auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem}</style>\n</head><body>\n${body}</body></html>\n`;
}

function wordCount(markdown: string): number {
  return markdown.split(/\s+/).filter((word) => /\w/.test(word)).length;
}

async function writeOutput(relative: string | undefined, content: string, context: ToolContext): Promise<Record<string, unknown>> {
  if (!relative) return {};
  const file = context.workspace.resolve(relative);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
  const written = path.relative(context.workspace.root, file).split(path.sep).join('/');
  context.wrote(written);
  return { path: written, output_path: written, file_size: Buffer.byteLength(content) };
}

const searchResult = z.looseObject({ title: z.string().optional(), url: z.string().optional(), snippet: z.string().optional() });

const reportParameters = z.object({
  title: z.string().default('Report'),
  query: z.string().optional(),
  content: z.unknown().optional(),
  sections: z.array(z.looseObject({ title: z.string(), content: z.unknown().optional() })).default([]),
  search_results: z.union([z.array(searchResult), z.looseObject({ results: z.array(searchResult) })]).optional(),
  extraction_results: z.unknown().optional(),
  findings: z.array(z.unknown()).optional(),
  format: z.enum(['markdown', 'html']).default('markdown'),
  output_path: z.string().optional(),
});

function reportMarkdown(parameters: z.infer<typeof reportParameters>): string {
  const parts = [`# ${parameters.title}`];
  if (parameters.query) parts.push(`*Query: ${parameters.query}*`);
  if (parameters.content !== undefined) parts.push(text(parameters.content));
  for (const section of parameters.sections) parts.push(`## ${section.title}\n\n${text(section.content)}`);
  if (parameters.findings?.length) parts.push(`## Findings\n\n${parameters.findings.map((finding) => `- ${text(finding)}`).join('\n')}`);
  if (parameters.extraction_results !== undefined) parts.push(`## Extracted content\n\n${text(parameters.extraction_results)}`);
  const results = Array.isArray(parameters.search_results) ? parameters.search_results : parameters.search_results?.results;
  if (results?.length) {
    parts.push(`## Sources\n\n${results.map((result, index) => `${index + 1}. [${result.title ?? result.url ?? 'source'}](${result.url ?? ''})${result.snippet ? ` — ${result.snippet}` : ''}`).join('\n')}`);
  }
  return `${parts.join('\n\n')}\n`;
}

export const reportGeneratorTool: ToolModule = {
  name: 'report-generator',
  description: 'A Markdown report from a title, content, sections, findings and search results (HTML with format: html): {markdown, word_count}.',
  actions: {
    generate: {
      description: 'assembles the report; output_path writes it into the workspace',
      parameters: reportParameters,
      run: async (parameters: z.infer<typeof reportParameters>, context) => {
        const markdown = reportMarkdown(parameters);
        const html = parameters.format === 'html' ? htmlPage(parameters.title, markdownRenderer.render(markdown)) : undefined;
        const written = await writeOutput(parameters.output_path, html ?? markdown, context);
        return { markdown, ...(html !== undefined ? { html } : {}), word_count: wordCount(markdown), title: parameters.title, ...written };
      },
    },
  },
  defaultAction: 'generate',
  availability: () => ({ available: true }),
};

const htmlParameters = z.object({
  markdown: z.string().optional(),
  content: z.string().optional(),
  title: z.string().default('Document'),
  /** A whole page (with head and style), or only the body's HTML. */
  standalone: z.boolean().default(true),
  output_path: z.string().optional(),
});

export const markdownToHtmlTool: ToolModule = {
  name: 'markdown-to-html',
  description: 'Markdown rendered to HTML by markdown-it (raw HTML in the Markdown is escaped): {html}.',
  actions: {
    convert: {
      description: 'renders parameters.markdown (or content); output_path writes the page into the workspace',
      parameters: htmlParameters,
      run: async (parameters: z.infer<typeof htmlParameters>, context) => {
        const body = markdownRenderer.render(parameters.markdown ?? parameters.content ?? '');
        const html = parameters.standalone ? htmlPage(parameters.title, body) : body;
        return { html, ...(await writeOutput(parameters.output_path, html, context)) };
      },
    },
  },
  defaultAction: 'convert',
  availability: () => ({ available: true }),
};
