// pdf-compiler: markdown (markdown-it) laid out as HTML and printed to PDF by headless Chromium — no LaTeX.
// Result `{output_path, file_size}` (pyorc-dialect.md section 5); the PDF is written inside the workspace.
import * as fs from 'node:fs';
import * as path from 'node:path';
import MarkdownIt from 'markdown-it';
import { z } from 'zod';
import { chromiumAvailability, withBrowser } from './chromium';
import { invalidParameters } from './tool-failure';
import type { ToolContext, ToolModule } from './types';

const STYLE = `
body { font-family: "DejaVu Serif", Georgia, serif; font-size: 11pt; line-height: 1.45; color: #111; margin: 0; }
h1, h2, h3, h4 { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; line-height: 1.2; }
h1 { font-size: 20pt; border-bottom: 1px solid #999; padding-bottom: 4pt; }
pre, code { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; }
pre { background: #f4f4f4; padding: 8pt; white-space: pre-wrap; }
table { border-collapse: collapse; } th, td { border: 1px solid #aaa; padding: 3pt 6pt; }
img { max-width: 100%; } blockquote { color: #444; border-left: 3px solid #ccc; margin-left: 0; padding-left: 10pt; }`;

const parameters = z.looseObject({
  markdown_content: z.string().optional(),
  markdown: z.string().optional(),
  content: z.string().optional(),
  /** HTML given as it is, instead of markdown. */
  html_content: z.string().optional(),
  output_path: z.string().optional(),
  title: z.string().optional(),
  /** A4 (default), Letter, ... */
  page_size: z.string().optional(),
});
type Parameters = z.infer<typeof parameters>;

const markdown = new MarkdownIt({ html: false, linkify: true, typographer: true });

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The whole HTML page the PDF is printed from. */
export function htmlDocument(parameters: Parameters): string {
  const source = parameters.markdown_content ?? parameters.markdown ?? parameters.content;
  if (source === undefined && parameters.html_content === undefined) throw invalidParameters('the step has no `markdown_content`: give the markdown to print (or `html_content`)');
  const body = parameters.html_content ?? markdown.render(source ?? '');
  const title = parameters.title ?? /^#\s+(.+)$/m.exec(source ?? '')?.[1] ?? 'Document';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

async function compile(parameters: Parameters, context: ToolContext): Promise<Record<string, unknown>> {
  const html = htmlDocument(parameters);
  const relative = parameters.output_path ?? `${context.stepId}.pdf`;
  const target = context.workspace.resolve(relative);
  const pdf = await withBrowser(context.env, context.signal, async (session) => {
    const page = await session.context.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return page.pdf({ format: parameters.page_size ?? 'A4', printBackground: true, margin: { top: '18mm', bottom: '18mm', left: '16mm', right: '16mm' } });
  });
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, pdf);
  context.wrote(relative);
  return { output_path: relative, file_size: pdf.length };
}

export const pdfCompilerTool: ToolModule = {
  name: 'pdf-compiler',
  description: 'Markdown (or HTML) printed to a PDF in the workspace by headless Chromium: {output_path, file_size}',
  actions: {
    compile: { description: 'Prints `markdown_content` to `output_path` (default STEP.pdf)', parameters, run: compile },
  },
  defaultAction: 'compile',
  availability: chromiumAvailability,
};
