// headless-browser (alias web-scraper): a page loaded in headless Chromium, JavaScript run, then its text and
// links read (`{title, text, word_count, links[]}`, pyorc-dialect.md section 5), a screenshot taken into the
// workspace, or the page checked. Loopback, private and link-local addresses are refused, after redirects too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Page } from 'playwright-core';
import { z } from 'zod';
import { FailureType } from '../base/failure-types';
import { chromiumAvailability, withBrowser, type BrowserSession } from './chromium';
import { networkRefused } from './net-guard';
import { backendFailed, invalidParameters } from './tool-failure';
import type { ToolContext, ToolModule } from './types';

const pageParameters = z.looseObject({
  url: z.string().optional(),
  urls: z.array(z.string()).optional(),
  /** Only the text inside this CSS selector. */
  selector: z.string().optional(),
  /** Wait for this CSS selector before reading. */
  wait_for: z.string().optional(),
  /** Milliseconds (a number under 1000 is read as seconds, as some pipelines write it). */
  timeout: z.number().positive().optional(),
  max_links: z.number().int().nonnegative().optional(),
  max_length: z.number().int().positive().optional(),
});
type PageParameters = z.infer<typeof pageParameters>;

const screenshotParameters = pageParameters.extend({
  output_path: z.string().optional(),
  path: z.string().optional(),
  full_page: z.boolean().optional(),
});

const verifyParameters = pageParameters.extend({
  /** Text the page must contain for `found: true`. */
  expect_text: z.string().optional(),
  query: z.string().optional(),
});

function timeoutOf(parameters: PageParameters): number {
  const given = parameters.timeout ?? 30_000;
  return given < 1000 ? given * 1000 : given;
}

function urlOf(parameters: PageParameters): string {
  const url = parameters.url ?? parameters.urls?.[0];
  if (!url || url.trim() === '') throw invalidParameters('the step has no `url`: give the page to load (http or https)');
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw invalidParameters(`'${url}' is not a URL: give an absolute http or https URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw networkRefused(url, `only http and https pages are loaded`);
  return parsed.href;
}

/** Loads `url` in a new page; a refused or unreachable page fails with the guard's own failure. */
async function open(session: BrowserSession, url: string, parameters: PageParameters): Promise<{ page: Page; status: number }> {
  const page = await session.context.newPage();
  try {
    const response = await page.goto(url, { waitUntil: 'load', timeout: timeoutOf(parameters) });
    if (parameters.wait_for) await page.waitForSelector(parameters.wait_for, { timeout: timeoutOf(parameters) });
    return { page, status: response?.status() ?? 0 };
  } catch (error) {
    const refused = session.refusals.find((each) => each instanceof ApplicationFailure);
    if (refused) throw refused;
    throw backendFailed(`could not load ${url}: ${(error as Error).message.split('\n')[0]}`);
  }
}

interface PageContent {
  url: string;
  status: number;
  title: string;
  text: string;
  word_count: number;
  links: Array<{ text: string; url: string }>;
}

/** Runs in the page (a string: the worker's TypeScript has no DOM types): title, visible text and links. */
function readScript(selector: string | undefined): string {
  return `(() => {
    const root = ${selector ? `document.querySelector(${JSON.stringify(selector)})` : 'document.body'};
    const anchors = Array.from((root || document.body || document.documentElement).querySelectorAll('a[href]'));
    return {
      title: document.title,
      text: root ? root.innerText : '',
      links: anchors.map((a) => ({ text: (a.innerText || '').trim().replace(/\\s+/g, ' '), url: a.href })),
    };
  })()`;
}

async function readPage(page: Page, url: string, status: number, parameters: PageParameters): Promise<PageContent> {
  const { title, text, links } = (await page.evaluate(readScript(parameters.selector))) as { title: string; text: string; links: Array<{ text: string; url: string }> };
  const seen = new Set<string>();
  const unique = links.filter((link) => /^https?:/.test(link.url) && !seen.has(link.url) && seen.add(link.url));
  const clean = text.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
  return {
    url,
    status,
    title,
    text: clean.slice(0, parameters.max_length ?? 200_000),
    word_count: clean === '' ? 0 : clean.split(/\s+/).length,
    links: unique.slice(0, parameters.max_links ?? 200),
  };
}

async function scrape(parameters: PageParameters, context: ToolContext): Promise<Record<string, unknown>> {
  const urls = parameters.urls && parameters.urls.length > 0 ? parameters.urls : [urlOf(parameters)];
  return withBrowser(context.env, context.signal, async (session) => {
    const pages: PageContent[] = [];
    for (const url of urls) {
      const { page, status } = await open(session, urlOf({ url }), parameters);
      pages.push(await readPage(page, urlOf({ url }), status, parameters));
      await page.close();
      context.heartbeat({ scraped: pages.length });
    }
    return urls.length === 1 && !parameters.urls ? { ...pages[0]! } : { ...pages[0]!, pages, count: pages.length };
  });
}

async function screenshot(parameters: z.infer<typeof screenshotParameters>, context: ToolContext): Promise<Record<string, unknown>> {
  const url = urlOf(parameters);
  const relative = parameters.output_path ?? parameters.path ?? `screenshots/${context.stepId}.png`;
  const target = context.workspace.resolve(relative);
  return withBrowser(context.env, context.signal, async (session) => {
    const { page, status } = await open(session, url, parameters);
    const image = await page.screenshot({ fullPage: parameters.full_page ?? true, type: 'png' });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, image);
    context.wrote(relative);
    return { url, status, title: await page.title(), path: relative, file_size: image.length };
  });
}

/** A page checked: reachable, its status, and whether it holds `expect_text`. A refused address still fails. */
async function verify(parameters: z.infer<typeof verifyParameters>, context: ToolContext): Promise<Record<string, unknown>> {
  const url = urlOf(parameters);
  const wanted = parameters.expect_text ?? parameters.query;
  try {
    return await withBrowser(context.env, context.signal, async (session) => {
      const { page, status } = await open(session, url, parameters);
      const content = await readPage(page, url, status, parameters);
      const found = wanted === undefined ? undefined : content.text.toLowerCase().includes(wanted.toLowerCase());
      return { url, reachable: true, ok: status > 0 && status < 400 && found !== false, status, title: content.title, word_count: content.word_count, ...(found !== undefined ? { found } : {}) };
    });
  } catch (error) {
    if (error instanceof ApplicationFailure && error.type === FailureType.ToolFailed) return { url, reachable: false, ok: false, error: error.message };
    throw error;
  }
}

export const headlessBrowserTool: ToolModule = {
  name: 'headless-browser',
  aliases: ['web-scraper'],
  description: 'Headless Chromium: a page\'s text and links after its JavaScript ran, a screenshot into the workspace, or a check that it loads',
  actions: {
    scrape: { description: 'Loads `url` (or each of `urls`) and gives {title, text, word_count, links[]}; `selector` narrows the text', parameters: pageParameters, run: scrape },
    screenshot: { description: 'A PNG of `url` written to `output_path` in the workspace (default screenshots/STEP.png)', parameters: screenshotParameters, run: screenshot },
    verify: { description: 'Whether `url` loads (status under 400) and, with `expect_text`, holds that text: {reachable, ok, status, title, found}', parameters: verifyParameters, run: verify },
  },
  defaultAction: 'scrape',
  actionFor(action) {
    const name = action.toLowerCase();
    if (['scrape', 'scrape_js', 'extract', 'fetch', 'get', 'read', 'browse', 'extract_text', 'scrape_page'].includes(name)) return 'scrape';
    if (['screenshot', 'capture', 'take_screenshot'].includes(name)) return 'screenshot';
    if (['verify', 'check', 'check_page', 'validate'].includes(name)) return 'verify';
    return undefined;
  },
  availability: chromiumAvailability,
};
