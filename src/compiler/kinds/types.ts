// What a step kind's checker owns on the compile side: the `action` that selects it, the keys only it takes,
// its checks and defaults, and whether its answers may be cached. Runners (src/workflows/runners) own the rest.
import type { Block, CompileContext, Reader, TemplateScope } from '../context';
import type { CompiledStep } from '../../base/compiled-pipeline';
import type { YamlPath } from '../source';
import type { PlainObject } from '../values';

/** One step being compiled, as a checker sees it. */
export interface StepSite {
  raw: PlainObject;
  /** The step's id (short, inside a loop's block), or `#N` when it has none. */
  id: string;
  index: number;
  block: Block;
  /** The YAML path of the step. */
  path: YamlPath;
  at(...rest: Array<string | number>): Array<string | number>;
  scope: TemplateScope;
  /** What the step's templates read: a checker adds what its own keys read. */
  reader: Reader;
  /** The step's action as written ('' when it has none). */
  action: string;
  /** Compiles a nested block of steps (a loop's) with every per-step pass, as the pipeline's own steps are. */
  compileBlock(block: Block): BlockResult;
}

/** A compiled block: its steps, and what they read outside it (the loop that owns it depends on that). */
export interface BlockResult {
  steps: CompiledStep[];
  escapes: Reader;
}

/** Fields only some kinds have; the checker returns its own. */
export type KindFields = Partial<Pick<CompiledStep, 'agent' | 'tool' | 'loop'>>;

export interface KindChecker {
  /** The built-in `action: NAME` that selects this kind (absent: selected otherwise, see kindOf). */
  readonly action?: string;
  /** Keys only this kind takes: on a step of another kind they are an error. */
  readonly keys?: readonly string[];
  /** It sends one request and gets one answer, so `cache_results` applies (spec section 9). */
  readonly cacheable: boolean;
  /** Its result is a model's answer: fields read downstream become its inferred output schema. */
  readonly modelAnswer: boolean;
  /** Checks the kind's own keys (reporting into the context) and returns its compiled fields. */
  check(context: CompileContext, step: StepSite): KindFields;
}
