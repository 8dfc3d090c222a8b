// The model catalog: the shipped models.yaml merged with a user's, validated, with lookup by spec and pricing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { projectRoot } from '../base/paths';
import { HOSTED_PROVIDERS, isHostedProvider, MODEL_PROVIDERS, type ModelProvider } from '../base/providers';
import { readSettings, type Environment } from '../base/settings';
import { costOf, type UsageForPricing } from './pricing';

export { costOf, type UsageForPricing };

// ---------------------------------------------------------------------------------------------------------------
// The file's shape
// ---------------------------------------------------------------------------------------------------------------

/** The providers `createModelResolver` knows; an entry for any other could never be run. */
export const modelProviderSchema = z.enum(MODEL_PROVIDERS);
export type { ModelProvider };

export const modelCapabilitiesSchema = z.strictObject({
  /** Kinds of work the model is good for (`general`, `summarization`, `reasoning`, ...); a requirement's tasks must all be here. */
  tasks: z.array(z.string().min(1)).min(1),
  /** Tokens of prompt plus answer the model takes. */
  context_window: z.number().int().positive(),
  function_calling: z.boolean().default(false),
  /** The adapter can make the model answer with JSON that satisfies a schema. */
  structured_output: z.boolean().default(false),
  /** Informational, as in the design document; selection does not use it. */
  languages: z.array(z.string().min(1)).optional(),
});
export type ModelCapabilities = z.infer<typeof modelCapabilitiesSchema>;

/** USD per 1,000 tokens. */
export const modelPricingSchema = z.strictObject({
  input_per_1k: z.number().nonnegative(),
  output_per_1k: z.number().nonnegative(),
});
export type ModelPricing = z.infer<typeof modelPricingSchema>;

// Names and aliases stand where a pipeline writes a model; a colon there would read as `provider:model`.
const nameSchema = z.string().regex(/^[^\s:]+$/, 'a name or alias has no spaces or colons (":" separates provider and model)');

export const modelEntrySchema = z
  .strictObject({
    provider: modelProviderSchema,
    /** The provider's own id for the model (what goes after `provider:`). */
    model: z.string().min(1),
    aliases: z.array(nameSchema).default([]),
    description: z.string().optional(),
    /** False keeps the model out of requirement-based selection (it can still be named directly). */
    selectable: z.boolean().default(true),
    capabilities: modelCapabilitiesSchema,
    pricing: modelPricingSchema,
  })
  .superRefine((entry, context) => {
    // The resolver only knows the bare spec `echo`.
    if (entry.provider === 'echo' && entry.model !== 'echo') {
      context.addIssue({ code: 'custom', path: ['model'], message: 'the echo provider has one model, "echo"' });
    }
  });
export type ModelEntry = z.infer<typeof modelEntrySchema>;
/** An entry as written (optional fields may be left out). */
export type ModelEntryInput = z.input<typeof modelEntrySchema>;

/**
 * A provider's request, token and concurrency limits. Requests per minute hold across every worker (the Temporal
 * server paces the provider's task queue); tokens per minute and concurrent requests are per worker process.
 */
export const rateLimitsSchema = z.strictObject({
  requests_per_minute: z.number().positive().optional(),
  tokens_per_minute: z.number().int().positive().optional(),
  concurrent_requests: z.number().int().positive().optional(),
});
export type RateLimits = z.infer<typeof rateLimitsSchema>;

export const providerSettingsSchema = z.strictObject({
  rate_limits: rateLimitsSchema.optional(),
});
export type ProviderSettings = z.infer<typeof providerSettingsSchema>;

export const modelsFileSchema = z.strictObject({
  // A user's file may hold only `providers:` (or nothing yet).
  models: z.record(z.string(), modelEntrySchema).default({}),
  /** Settings per provider; a provider in the user's file replaces the shipped one as a whole. */
  providers: z.partialRecord(modelProviderSchema, providerSettingsSchema.nullable()).default({}),
});
export type ModelsFile = z.infer<typeof modelsFileSchema>;

/** Keys of the design document's models.yaml (seeds/004 9.1) and what to write instead. */
const keyHints: Record<string, string> = {
  supports_function_calling: 'write "function_calling"',
  supports_structured_output: 'write "structured_output"',
  supported_tasks: 'write "tasks"',
  supports_streaming: 'streaming is not a selection criterion here; remove it',
  requirements: 'hardware requirements are not used here; remove them',
  metrics: 'observed latency and success are learned from runs; write prices under "pricing"',
  base_model: 'quantized variants are separate entries; remove it',
  quantization: 'quantized variants are separate entries; remove it',
  selection_policies: 'a policy is chosen per requirement (`policy: ucb | cost_optimized | performance_optimized`); remove it',
  cost_per_token: 'write "pricing: { input_per_1k, output_per_1k }"',
};

// ---------------------------------------------------------------------------------------------------------------
// Loaded catalog
// ---------------------------------------------------------------------------------------------------------------

export interface SourcePosition {
  file: string;
  /** 1-based; absent for entries that did not come from a file. */
  line?: number;
  column?: number;
}

export interface CatalogEntry extends ModelEntry {
  /** The entry's key in models.yaml. */
  name: string;
  /** The spec `createModelResolver` takes: `provider:model`, or `echo`. */
  id: string;
  definedAt: SourcePosition;
}

export interface ModelCatalog {
  /** In file order: shipped entries first (an overridden one keeps its place), then the user's additions. */
  readonly entries: readonly CatalogEntry[];
  /** The files the catalog was read from, shipped first. */
  readonly files: readonly string[];
  /** The entry a spec names: `provider:model`, an entry name, or an alias; undefined when none does. */
  lookup(spec: string): CatalogEntry | undefined;
  /** What a call cost in USD at list price; undefined for a model the catalog does not know (cost unknown, not free). */
  priceOf(spec: string, usage: UsageForPricing): number | undefined;
  /** Settings per provider (`providers:` in models.yaml), after the user's file replaced shipped ones. */
  readonly providers: Readonly<Partial<Record<ModelProvider, ProviderSettings>>>;
}

export interface CatalogProblem extends SourcePosition {
  message: string;
}

/** A models.yaml that cannot be used; the message starts with `file:line:column:` of the first problem. */
export class ModelCatalogError extends Error {
  override readonly name = 'ModelCatalogError';
  constructor(readonly problems: CatalogProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

function formatProblem(problem: CatalogProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}:${problem.column ?? 1}`;
  return `${where}: ${problem.message}`;
}

export function modelIdOf(provider: ModelProvider, model: string): string {
  return provider === 'echo' ? 'echo' : `${provider}:${model}`;
}

/** Why the worker could not call this model now (its API key is missing), or undefined when it could. */
export function missingCredential(entry: Pick<CatalogEntry, 'provider'>, environment: Environment = process.env): string | undefined {
  if (!isHostedProvider(entry.provider) || readSettings(environment).apiKey(entry.provider)) return undefined;
  return `${HOSTED_PROVIDERS[entry.provider].keyVariable} is not set in the worker's environment`;
}

/** Every name a pipeline may write for one of the catalog's models: `provider:model`, entry names and aliases. */
export function modelNamesOf(catalog: ModelCatalog): string[] {
  return catalog.entries.flatMap((entry) => [entry.id, entry.name, ...entry.aliases]);
}

// ---------------------------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------------------------

export const shippedModelsFile = path.join(projectRoot, 'models.yaml');

export interface LoadModelCatalogOptions {
  /** Defaults to the models.yaml at the project root. */
  shippedFile?: string;
  /** The user's file; null for none; when left out, ORC_MODELS_FILE, else `<cwd>/models.yaml` if it exists. */
  userFile?: string | null;
  cwd?: string;
  environment?: NodeJS.ProcessEnv;
}

export function loadModelCatalog(options: LoadModelCatalogOptions = {}): ModelCatalog {
  const shippedFile = options.shippedFile ?? shippedModelsFile;
  const userFile = findUserFile(options, shippedFile);
  const files: Array<[string, string]> = [[shippedFile, readCatalogFile(shippedFile)]];
  if (userFile) files.push([userFile, readCatalogFile(userFile)]);
  // The files are read every time (an edit counts at once); parsing the same text again is skipped.
  const key = files.map(([file, text]) => `${file}\0${text}`).join('\0');
  const cached = catalogsByText.get(key);
  if (cached) return cached;
  const catalog = buildCatalog(files.map(([file, text]) => parseModelsFile(text, file)));
  if (catalogsByText.size >= 8) catalogsByText.delete(catalogsByText.keys().next().value!);
  catalogsByText.set(key, catalog);
  return catalog;
}

/** Catalogs built from the same file texts: a worker and a client load the catalog for every run. */
const catalogsByText = new Map<string, ModelCatalog>();

/** A catalog from entries given in code (tests, embedders); validated like a file. */
export function createModelCatalog(
  models: Record<string, ModelEntryInput>,
  file = '(inline catalog)',
  providers: Partial<Record<ModelProvider, ProviderSettings>> = {},
): ModelCatalog {
  return buildCatalog([parseModelsValue({ models, providers }, file, undefined)]);
}

/** A catalog from the text of one models.yaml (no shipped defaults). */
export function parseModelCatalog(text: string, file: string): ModelCatalog {
  return buildCatalog([parseModelsFile(text, file)]);
}

function findUserFile(options: LoadModelCatalogOptions, shippedFile: string): string | undefined {
  if (options.userFile === null) return undefined;
  const cwd = options.cwd ?? process.cwd();
  if (options.userFile !== undefined) return path.resolve(cwd, options.userFile);
  const fromEnvironment = readSettings(options.environment).modelsFile;
  if (fromEnvironment) {
    const file = path.resolve(cwd, fromEnvironment);
    if (!fs.existsSync(file)) throw new ModelCatalogError([{ file, message: `ORC_MODELS_FILE points at ${file}, which does not exist` }]);
    return file;
  }
  const candidate = path.join(cwd, 'models.yaml');
  if (!fs.existsSync(candidate) || isSameFile(candidate, shippedFile)) return undefined;
  return candidate;
}

function isSameFile(first: string, second: string): boolean {
  try {
    return fs.realpathSync(first) === fs.realpathSync(second);
  } catch {
    return false;
  }
}

function readCatalogFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ModelCatalogError([{ file, message: `cannot read the model catalog: ${(error as Error).message}` }]);
  }
}

interface ParsedLayer {
  file: string;
  entries: Array<{ entry: CatalogEntry; aliasPositions: SourcePosition[] }>;
  providers: Partial<Record<ModelProvider, ProviderSettings>>;
}

function parseModelsFile(text: string, file: string): ParsedLayer {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const locator = new YamlLocator(file, document, lineCounter);
  if (document.errors.length > 0) {
    throw new ModelCatalogError(
      document.errors.map((error) => ({ ...locator.positionOfOffset(error.pos[0]), message: `malformed YAML: ${error.message.split('\n')[0]}` })),
    );
  }
  // An empty file is a user who has not added anything yet.
  const value: unknown = document.toJS({ maxAliasCount: 100 }) ?? { models: {} };
  return parseModelsValue(value, file, locator);
}

function parseModelsValue(value: unknown, file: string, locator: YamlLocator | undefined): ParsedLayer {
  const located = (yamlPath: YamlPath): SourcePosition => locator?.positionOf(yamlPath) ?? { file };
  const problems: CatalogProblem[] = [];

  const result = modelsFileSchema.safeParse(value);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const hint = keyHints[key];
          problems.push({
            ...(locator?.positionOfKey(issue.path, key) ?? { file }),
            message: `${formatYamlPath(issue.path)}: unknown key "${key}"${hint ? ` (${hint})` : ''}`,
          });
        }
        continue;
      }
      // A missing key is told about at the map that lacks it, in words rather than "expected number, received undefined".
      if (issue.path.length > 0 && valueAt(value, issue.path) === undefined) {
        const mapPath = issue.path.slice(0, -1);
        const mapKey = mapPath[mapPath.length - 1];
        const at = locator && typeof mapKey === 'string' ? locator.positionOfKey(mapPath.slice(0, -1), mapKey) : located(mapPath);
        problems.push({ ...at, message: `${formatYamlPath(mapPath)}: missing "${String(issue.path[issue.path.length - 1])}"` });
        continue;
      }
      problems.push({ ...located(issue.path), message: `${formatYamlPath(issue.path)}: ${issue.message}` });
    }
    throw new ModelCatalogError(problems);
  }

  const entries: ParsedLayer['entries'] = [];
  for (const [name, entry] of Object.entries(result.data.models)) {
    const keyPosition = locator?.positionOfKey(['models'], name) ?? { file };
    const nameCheck = nameSchema.safeParse(name);
    if (!nameCheck.success) {
      problems.push({ ...keyPosition, message: `models.${name}: ${nameCheck.error.issues[0]?.message ?? 'invalid name'}` });
      continue;
    }
    entries.push({
      entry: { ...entry, name, id: modelIdOf(entry.provider, entry.model), definedAt: keyPosition },
      aliasPositions: entry.aliases.map((_alias, index) => located(['models', name, 'aliases', index])),
    });
  }
  if (problems.length > 0) throw new ModelCatalogError(problems);
  const providers: ParsedLayer['providers'] = {};
  // `openai:` with nothing under it (or `null`) is a provider with no settings: it replaces a shipped one with none.
  for (const [provider, settings] of Object.entries(result.data.providers)) providers[provider as ModelProvider] = settings ?? {};
  return { file, entries, providers };
}

function describeOwner(entry: CatalogEntry): string {
  return `${entry.name} (${entry.definedAt.file})`;
}

/** Later layers replace earlier entries by name; every name, alias and `provider:model` must then say one model. */
function buildCatalog(layers: ParsedLayer[]): ModelCatalog {
  const byName = new Map<string, { entry: CatalogEntry; aliasPositions: SourcePosition[]; layer: number }>();
  layers.forEach((layer, layerIndex) => {
    for (const located of layer.entries) byName.set(located.entry.name, { ...located, layer: layerIndex });
  });

  const problems: CatalogProblem[] = [];
  const owners = new Map<string, { entry: CatalogEntry; layer: number }>();
  const byId = new Map<string, { entry: CatalogEntry; layer: number }>();
  const aliasOwners = new Map<string, CatalogEntry>();

  // A clash is reported where the later layer (the user's file) defines it: that is the text to change.
  const report = (first: { entry: CatalogEntry; layer: number }, second: { entry: CatalogEntry; layer: number }, position: SourcePosition | undefined, message: string): void => {
    const at = second.layer >= first.layer ? (position ?? second.entry.definedAt) : first.entry.definedAt;
    problems.push({ ...at, message });
  };

  for (const current of byName.values()) {
    owners.set(current.entry.name, current);
  }
  for (const current of byName.values()) {
    const { entry } = current;
    entry.aliases.forEach((alias, index) => {
      const nameOwner = owners.get(alias);
      const aliasOwner = aliasOwners.get(alias);
      if (nameOwner && nameOwner.entry !== entry) {
        report(nameOwner, current, current.aliasPositions[index], `models.${entry.name}: alias "${alias}" is already the name of ${describeOwner(nameOwner.entry)}`);
      } else if (aliasOwner && aliasOwner !== entry) {
        const ownerLayer = byName.get(aliasOwner.name)?.layer ?? 0;
        report({ entry: aliasOwner, layer: ownerLayer }, current, current.aliasPositions[index], `models.${entry.name}: alias "${alias}" is already an alias of ${describeOwner(aliasOwner)}`);
      } else {
        aliasOwners.set(alias, entry);
      }
    });
    const sameModel = byId.get(entry.id);
    if (sameModel) {
      report(
        sameModel,
        current,
        undefined,
        `models.${entry.name}: ${entry.id} is already in the catalog as ${describeOwner(sameModel.entry)}; ` +
          `to change that model, use the name "${sameModel.entry.name}" (an entry replaces the one of the same name), or add an alias to it`,
      );
    } else {
      byId.set(entry.id, current);
    }
  }
  if (problems.length > 0) throw new ModelCatalogError(problems);

  const entries = [...byName.values()].map((located) => located.entry);
  const providers: Partial<Record<ModelProvider, ProviderSettings>> = Object.assign({}, ...layers.map((layer) => layer.providers));
  const lookup = (spec: string): CatalogEntry | undefined => {
    const key = spec.trim();
    return byId.get(key)?.entry ?? owners.get(key)?.entry ?? aliasOwners.get(key);
  };
  return {
    entries,
    files: layers.map((layer) => layer.file),
    providers,
    lookup,
    priceOf(spec: string, usage: UsageForPricing): number | undefined {
      const entry = lookup(spec);
      return entry ? costOf(entry.pricing, usage) : undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Positions in the YAML text
// ---------------------------------------------------------------------------------------------------------------

type YamlPath = ReadonlyArray<PropertyKey>;

function formatYamlPath(yamlPath: YamlPath): string {
  if (yamlPath.length === 0) return '(top level)';
  return yamlPath.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`)).join('');
}

function valueAt(value: unknown, yamlPath: YamlPath): unknown {
  let current = value;
  for (const segment of yamlPath) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** Finds where a value or key of a parsed document stands in its text, for errors a user can jump to. */
class YamlLocator {
  constructor(
    private readonly file: string,
    private readonly document: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  positionOfOffset(offset: number): SourcePosition {
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.file, line, column: col };
  }

  private nodeAt(yamlPath: YamlPath): unknown {
    let node: unknown = this.document.contents;
    for (const segment of yamlPath) {
      if (isMap(node)) {
        node = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment))?.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else {
        return undefined;
      }
    }
    return node ?? undefined;
  }

  /** The value at `yamlPath`, or its nearest ancestor that exists (a missing key points at its map). */
  positionOf(yamlPath: YamlPath): SourcePosition {
    for (let length = yamlPath.length; length >= 0; length--) {
      const node = this.nodeAt(yamlPath.slice(0, length));
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return this.positionOfOffset(range[0]);
    }
    return { file: this.file, line: 1, column: 1 };
  }

  positionOfKey(mapPath: YamlPath, key: string): SourcePosition {
    const map = this.nodeAt(mapPath);
    if (isMap(map)) {
      for (const item of map.items) {
        if (isPair(item) && isScalar(item.key) && String(item.key.value) === key && item.key.range) return this.positionOfOffset(item.key.range[0]);
      }
    }
    return this.positionOf(mapPath);
  }
}
