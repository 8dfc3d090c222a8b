// What every compile pass shares: the document, where its values are in the author's file, and what earlier passes
// found. One object, passed explicitly, instead of locals captured by closures.
import type { CompiledAgent } from '../base/compiled-pipeline';
import { diagnosticAt, type Position, type SourcePositions, type YamlPath } from './source';
import type { Diagnostic } from './diagnostics';
import type { KnownModels } from './model-names';
import type { AutoTag, CompiledPipeline, InputSpec, Reference } from '../base/compiled-pipeline';
import type { PlainObject } from './values';

export interface CompileOptions {
  file?: string;
  /** The models that exist (from models.yaml): with it, a model no provider or catalog entry knows is an error. */
  models?: KnownModels;
  /** Read the file as this language (`orc … --dialect pyorc`); absent: detected from what the file uses (spec 18). */
  dialect?: 'native' | 'pyorc';
  /** Tools this worker has (src/tools' registry names); with it, a `tool:` step naming another gets a TOOL_UNAVAILABLE note. */
  knownTools?: readonly string[];
}

export type Report = (code: Diagnostic['code'], message: string, at: YamlPath, position?: Position) => void;
export type KeyPosition = (mapPath: YamlPath, key: string) => Position;

/**
 * A list of steps that see each other by id: the pipeline's `steps`, or a loop's nested `steps` (whose short ids
 * mean this iteration's step inside the block). Reading a name looks in the block, then in the blocks around it.
 */
export interface Block {
  /** YAML path of the list: ['steps'] or ['steps', 3, 'steps']. */
  at: YamlPath;
  raw: PlainObject[];
  /** First index of each id (duplicates are reported). */
  ids: Map<string, number>;
  /** Steps that run only as another step's on_failure / on_error handler. */
  handlers: Set<string>;
  parent: Block | null;
  /** The loop step that owns the block (null for the pipeline's steps). */
  loop: { id: string; kind: 'for_each' | 'while' | 'until' } | null;
}

/** What one step's (or the outputs') templates read. */
export interface Reader {
  references: Map<string, Reference>;
  /** Step ids read, by the block that holds them: the step's own block gives its dependencies. */
  reads: Map<Block, Set<string>>;
}

export function newReader(): Reader {
  return { references: new Map(), reads: new Map() };
}

/** Where a template stands: which step (in which block) reads, and which names are in scope there. */
export interface TemplateScope {
  step?: string;
  block: Block;
  /** A step with `for_each` (fan-out): `item` and `index` are defined. */
  inForEach: boolean;
  isHandler: boolean;
}

export interface CompileContext {
  options: CompileOptions;
  document: PlainObject;
  source: SourcePositions;
  diagnostics: Diagnostic[];
  /** Not problems: keys that change nothing, tools this worker lacks. */
  notes: Diagnostic[];
  /** `config`, or its older name `context`. */
  configKey: string;
  config: PlainObject;
  mcpServers: NonNullable<CompiledPipeline['mcpServers']>;
  agents: Record<string, CompiledAgent>;
  /** The pipeline's own steps. */
  top: Block;
  inputsDeclared: boolean;
  inputs: Record<string, InputSpec>;
  /** Inputs that templates read when the file declares none: required strings, at their first use. */
  implicitInputs: Map<string, { line: number; column: number; path: string }>;
  /** Fields of a step's result read downstream, by `stepKey(block, id)`: they become an LLM step's output schema. */
  fieldsRead: Map<string, Set<string>>;
  autoTags: AutoTag[];
  /** Ids of the steps inside loops (at any depth) -> their loop's id: outside it, such a name is an error. */
  loopChildren: Map<string, string>;
  defaults: { timeoutSeconds: number; maxRetries: number; cacheTtlSeconds: number };
}

export function reporter(context: Pick<CompileContext, 'source' | 'diagnostics'>): Report {
  return (code, message, at, position = context.source.positionOf(at)) => {
    context.diagnostics.push(diagnosticAt(context.source, code, message, at, position));
  };
}

export function report(context: CompileContext, code: Diagnostic['code'], message: string, at: YamlPath, position?: Position): void {
  reporter(context)(code, message, at, position);
}

export function note(context: CompileContext, code: Diagnostic['code'], message: string, at: YamlPath, position?: Position): void {
  context.notes.push(diagnosticAt(context.source, code, message, at, position ?? context.source.positionOf(at)));
}

export function keyPosition(context: CompileContext): KeyPosition {
  return (mapPath, key) => context.source.positionOfKey(mapPath, key);
}

/** A step's key for per-step maps: unique across blocks (a child's short id may repeat an outer id). */
export function stepKey(block: Block, id: string): string {
  return `${block.at.join('/')}#${id}`;
}

/** The block, or the nearest around it, that holds `id`. */
export function blockOf(block: Block, id: string): Block | undefined {
  for (let current: Block | null = block; current; current = current.parent) if (current.ids.has(id)) return current;
  return undefined;
}

export function rawStepOf(block: Block, id: string): PlainObject | undefined {
  const index = block.ids.get(id);
  return index === undefined ? undefined : block.raw[index];
}
