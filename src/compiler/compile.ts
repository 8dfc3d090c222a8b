// YAML text -> validated, serializable CompiledPipeline, or every problem at once with line:column. The work is a
// list of named passes over one CompileContext (src/compiler/context.ts); the per-kind checks are in kinds/.
import * as fs from 'node:fs';
import { compileAgents } from './agents';
import { keyPosition, newReader, reporter, type CompileContext, type CompileOptions } from './context';
import { PipelineValidationError, type Diagnostic } from './diagnostics';
import { frontEnd, type FrontEnd } from './front-end';
import { compileMcpServers } from './mcp-servers';
import { scanAutoTags } from './passes/auto-scan';
import { buildBlock } from './passes/blocks';
import { declaredInputs } from './passes/declared-inputs';
import { assemblePipeline } from './passes/finish';
import { checkModelNames } from './passes/models';
import { readValue } from './passes/references';
import { configDefaults } from './passes/settings';
import { compileBlock } from './passes/steps';
import { checkStructure } from './passes/structure';
import { diagnosticAt, type SourcePositions, type YamlPath } from './source';
import type { CompiledPipeline } from '../base/compiled-pipeline';
import { isPlainObject, type PlainObject } from './values';

export type { CompileOptions } from './context';

export type CompileResult =
  | { ok: true; pipeline: CompiledPipeline; diagnostics: []; /** Keys accepted that change nothing (NO_EFFECT), tools this worker lacks (TOOL_UNAVAILABLE), for the author to know. */ notes: Diagnostic[] }
  | { ok: false; pipeline?: undefined; diagnostics: Diagnostic[] };

export function compilePipeline(text: string, options: CompileOptions = {}): CompileResult {
  try {
    return compileText(text, options);
  } catch (error) {
    // The YAML parser and the checks recurse once per level of nesting: a file nested deeper than the call stack
    // (fuzzing found `a: a: a: …` thousands deep on one line) is an author's error to report, not a crash.
    if (error instanceof RangeError && /call stack/i.test(error.message)) return { ok: false, diagnostics: [nestedTooDeeply(text)] };
    throw error;
  }
}

/** Where a too-deep nesting most likely is: the longest line (a run of `key: ` or of brackets). */
function nestedTooDeeply(text: string): Diagnostic {
  const lines = text.split('\n');
  let longest = 0;
  lines.forEach((line, index) => {
    if (line.length > lines[longest]!.length) longest = index;
  });
  return {
    code: 'YAML_SYNTAX',
    message: 'malformed YAML: nested too deeply to read (thousands of levels of `key: key: …`, brackets or indentation); the longest line is here',
    path: '(root)',
    line: longest + 1,
    column: 1,
  };
}

/** The context every pass shares, with what the file declares at the top (config, MCP servers, agents, inputs). */
function newContext(front: FrontEnd, options: CompileOptions): CompileContext {
  const { document, source } = front;
  const configKey = isPlainObject(document.config) ? 'config' : 'context';
  const context: CompileContext = {
    options,
    document,
    source,
    diagnostics: [...front.diagnostics],
    notes: [...front.notes],
    configKey,
    config: isPlainObject(document[configKey]) ? (document[configKey] as PlainObject) : {},
    mcpServers: {},
    agents: {},
    top: { at: ['steps'], raw: [], ids: new Map(), handlers: new Set(), parent: null, loop: null },
    inputsDeclared: isPlainObject(document.inputs),
    inputs: {},
    implicitInputs: new Map(),
    fieldsRead: new Map(),
    autoTags: [],
    loopChildren: loopChildren(document.steps),
    defaults: { timeoutSeconds: 0, maxRetries: 0, cacheTtlSeconds: 0 },
  };
  return context;
}

/** The ids of the steps nested in loops, at any depth, each with its loop's id. */
function loopChildren(steps: unknown, found = new Map<string, string>()): Map<string, string> {
  if (!Array.isArray(steps)) return found;
  for (const step of steps) {
    if (!isPlainObject(step) || !Array.isArray(step.steps)) continue;
    for (const inner of step.steps) if (isPlainObject(inner) && typeof inner.id === 'string' && typeof step.id === 'string') found.set(inner.id, step.id);
    loopChildren(step.steps, found);
  }
  return found;
}

/** Pass: what the top of the file declares, which steps refer to: MCP servers, agents, inputs, config defaults. */
function declarations(context: CompileContext): void {
  const { document, config, configKey, options } = context;
  const servers = [
    { raw: config.mcp_servers, at: [configKey, 'mcp_servers'] },
    { raw: document.mcp_servers, at: ['mcp_servers'] },
  ];
  context.mcpServers = compileMcpServers(servers, reporter(context), options.file ?? null);
  context.agents = compileAgents(document.agents, reporter(context), keyPosition(context), Object.keys(context.mcpServers), options.file ?? null);
  context.inputs = declaredInputs(context);
  context.defaults = configDefaults(context);
}

function compileText(text: string, options: CompileOptions): CompileResult {
  const front = frontEnd(text, options);
  if (front.document === undefined) return { ok: false, diagnostics: front.diagnostics };
  const context = newContext(front, options);
  checkStructure(context);
  declarations(context);
  context.top = buildBlock(context, ['steps'], context.document.steps, null, null);
  scanAutoTags(context);
  const { steps } = compileBlock(context, context.top);
  const outputs = newReader();
  readValue(context, context.document.outputs ?? {}, ['outputs'], { block: context.top, inForEach: false, isHandler: false }, outputs);
  checkModelNames(context);
  if (context.diagnostics.length > 0) {
    context.diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
    return { ok: false, diagnostics: context.diagnostics };
  }
  const pipeline = assemblePipeline(context, steps, outputs, front);
  return { ok: true, pipeline, diagnostics: [], notes: [...context.notes, ...noEffectNotes(context.source, context.config, context.configKey)] };
}

export function compilePipelineFile(file: string, options: Omit<CompileOptions, 'file'> = {}): CompileResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return {
      ok: false,
      diagnostics: [{ code: 'FILE_UNREADABLE', message: `cannot read file: ${(error as Error).message}`, path: '(root)', line: 1, column: 1 }],
    };
  }
  return compilePipeline(text, { ...options, file });
}

/** For callers that want an exception: the API and `orc run`. */
export function compileOrThrow(text: string, file = '<pipeline>'): CompiledPipeline {
  const result = compilePipeline(text, { file });
  if (!result.ok) throw new PipelineValidationError(file, result.diagnostics);
  return result.pipeline;
}

/**
 * `checkpoint_strategy` is accepted (spec section 1) and changes nothing: Temporal records each step's outcome as
 * it finishes, so every step is a checkpoint. The author is told so, at the key, rather than left to guess.
 */
function noEffectNotes(source: SourcePositions, rawConfig: PlainObject, configKey: string): Diagnostic[] {
  if (rawConfig.checkpoint_strategy === undefined) return [];
  const at: YamlPath = [configKey, 'checkpoint_strategy'];
  return [
    diagnosticAt(
      source,
      'NO_EFFECT',
      `checkpoint_strategy ${JSON.stringify(rawConfig.checkpoint_strategy)} changes nothing: every step is checkpointed (Temporal records each step's outcome as it finishes, and a resumed run starts after the last one)`,
      at,
      source.positionOfKey([configKey], 'checkpoint_strategy'),
    ),
  ];
}
