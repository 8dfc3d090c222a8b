// filesystem: read, write, list, exists, copy, move and delete files inside the run's workspace.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { FailureType } from '../base/failure-types';
import type { ToolContext, ToolModule } from './types';

/** Files read whole into a step's result stay under this size (bigger ones belong to data-processing). */
const MAX_READ_BYTES = 16 * 1024 * 1024;

const pathParameter = z.string().min(1, 'must name a file in the workspace');

function failed(message: string, retryable = false): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.ToolFailed, nonRetryable: !retryable, message });
}

/** The path as the workspace sees it (`reports/a.md`), for results and the run's file list. */
function relativeOf(context: ToolContext, absolute: string): string {
  return path.relative(context.workspace.root, absolute).split(path.sep).join('/') || '.';
}

function missing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Text as written; anything else as indented JSON. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (content === undefined || content === null) return '';
  return JSON.stringify(content, null, 2);
}

/**
 * Writes through a temporary file renamed into place: a retried attempt writes the same bytes again, and a
 * reader never sees half a file.
 */
async function writeAtomically(target: string, data: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString('hex')}.orc-tmp`);
  try {
    await fs.writeFile(temporary, data);
    await fs.rename(temporary, target);
  } finally {
    await fs.rm(temporary, { force: true });
  }
}

async function read(parameters: { path: string }, context: ToolContext): Promise<Record<string, unknown>> {
  const file = context.workspace.resolve(parameters.path);
  const stat = await fs.stat(file).catch((error: unknown) => {
    if (missing(error)) throw failed(`no file '${parameters.path}' in the workspace ${context.workspace.root}: write it first, or check the path`);
    throw error;
  });
  if (stat.isDirectory()) throw failed(`'${parameters.path}' is a folder: use action list to see what is in it`);
  if (stat.size > MAX_READ_BYTES) throw failed(`'${parameters.path}' is ${stat.size} bytes, over the ${MAX_READ_BYTES} a read returns: use data-processing for large files`);
  const content = await fs.readFile(file, 'utf8');
  return { path: relativeOf(context, file), content, size: stat.size };
}

async function write(parameters: { path: string; content?: unknown; mode?: string }, context: ToolContext): Promise<Record<string, unknown>> {
  const file = context.workspace.resolve(parameters.path);
  const text = contentText(parameters.content);
  if (parameters.mode === 'append') {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.appendFile(file, text);
  } else {
    await writeAtomically(file, text);
  }
  const relative = relativeOf(context, file);
  context.wrote(relative);
  return { path: relative, filepath: relative, size: Buffer.byteLength(text) };
}

async function list(parameters: { path: string; recursive: boolean; pattern?: string | undefined }, context: ToolContext): Promise<Record<string, unknown>> {
  const folder = context.workspace.resolve(parameters.path);
  const entries = await fs.readdir(folder, { withFileTypes: true, recursive: parameters.recursive }).catch((error: unknown) => {
    if (missing(error)) throw failed(`no folder '${parameters.path}' in the workspace ${context.workspace.root}`);
    throw error;
  });
  const matcher = parameters.pattern ? globMatcher(parameters.pattern) : undefined;
  const items = [];
  for (const entry of entries) {
    if (entry.name.endsWith('.orc-tmp')) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    if (matcher && !matcher(entry.name)) continue;
    const stat = await fs.stat(absolute).catch(() => null);
    items.push({ name: entry.name, path: relativeOf(context, absolute), type: entry.isDirectory() ? 'directory' : 'file', size: stat?.size ?? 0 });
  }
  items.sort((a, b) => a.path.localeCompare(b.path));
  return { path: relativeOf(context, folder), items, files: items.filter((item) => item.type === 'file').map((item) => item.path), count: items.length };
}

/** `*.md`, `data_??.csv`: the shell's wildcards over one name. */
function globMatcher(pattern: string): (name: string) => boolean {
  const expression = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return (name) => expression.test(name);
}

async function exists(parameters: { path: string }, context: ToolContext): Promise<Record<string, unknown>> {
  const file = context.workspace.resolve(parameters.path);
  const stat = await fs.stat(file).catch(() => null);
  return { path: relativeOf(context, file), exists: stat !== null, type: stat === null ? null : stat.isDirectory() ? 'directory' : 'file' };
}

async function copy(parameters: { path: string; destination: string }, context: ToolContext): Promise<Record<string, unknown>> {
  const source = context.workspace.resolve(parameters.path);
  const destination = context.workspace.resolve(parameters.destination);
  const data = await fs.readFile(source).catch((error: unknown) => {
    if (missing(error)) throw failed(`no file '${parameters.path}' to copy in the workspace ${context.workspace.root}`);
    throw error;
  });
  await writeAtomically(destination, data);
  const relative = relativeOf(context, destination);
  context.wrote(relative);
  return { source: relativeOf(context, source), destination: relative, size: data.length };
}

async function move(parameters: { path: string; destination: string }, context: ToolContext): Promise<Record<string, unknown>> {
  const source = context.workspace.resolve(parameters.path);
  const destination = context.workspace.resolve(parameters.destination);
  await fs.mkdir(path.dirname(destination), { recursive: true });
  try {
    await fs.rename(source, destination);
  } catch (error) {
    // A retry after the move went through but its answer was lost: the file is already where it goes.
    const done = missing(error) && context.attempt > 1 && (await fs.stat(destination).catch(() => null)) !== null;
    if (!done) {
      if (missing(error)) throw failed(`no file '${parameters.path}' to move in the workspace ${context.workspace.root}`);
      throw error;
    }
  }
  const relative = relativeOf(context, destination);
  context.wrote(relative);
  return { source: relativeOf(context, source), destination: relative };
}

async function remove(parameters: { path: string; recursive: boolean }, context: ToolContext): Promise<Record<string, unknown>> {
  const target = context.workspace.resolve(parameters.path);
  if (target === context.workspace.root) throw failed('will not delete the whole workspace');
  const stat = await fs.lstat(target).catch(() => null);
  if (stat?.isDirectory() && !parameters.recursive) throw failed(`'${parameters.path}' is a folder: give recursive: true to delete it with what it holds`);
  await fs.rm(target, { recursive: parameters.recursive, force: true });
  return { path: relativeOf(context, target), deleted: stat !== null };
}

const onePath = z.object({ path: pathParameter });
const twoPaths = z.object({ path: pathParameter, destination: pathParameter });

export const filesystemTool: ToolModule = {
  name: 'filesystem',
  description: "Reads and writes files inside the run's workspace (orc run --workspace DIR); no path may leave it.",
  actions: {
    read: { description: 'the text of a file: {path, content, size}', parameters: onePath, run: read },
    write: {
      description: 'writes content (text, or JSON for other values); mode append adds to the end: {path, size}',
      parameters: z.object({ path: pathParameter, content: z.unknown().optional(), mode: z.enum(['overwrite', 'append']).optional() }),
      run: write,
    },
    list: {
      description: 'what a folder holds, optionally recursive and filtered by a wildcard pattern: {items, count}',
      parameters: z.object({ path: z.string().default('.'), recursive: z.boolean().default(false), pattern: z.string().optional() }),
      run: list,
    },
    exists: { description: 'whether a path exists: {exists, type}', parameters: onePath, run: exists },
    copy: { description: 'copies path to destination: {source, destination, size}', parameters: twoPaths, run: copy },
    move: { description: 'moves path to destination: {source, destination}', parameters: twoPaths, run: move },
    delete: { description: 'deletes a file (a folder with recursive: true): {path, deleted}', parameters: z.object({ path: pathParameter, recursive: z.boolean().default(false) }), run: remove },
  },
  // The dialect sometimes names the action in the parameters (`action: execute`, `parameters.action: read`).
  actionFor: (action, parameters) => {
    if (['read', 'write', 'list', 'exists', 'copy', 'move', 'delete'].includes(action)) return action;
    return typeof parameters.action === 'string' ? parameters.action : undefined;
  },
  availability: () => ({ available: true }),
};
