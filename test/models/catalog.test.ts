// The model catalog: shipped defaults, a user's models.yaml on top, positions in errors, lookup and pricing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createModelCatalog,
  loadModelCatalog,
  missingCredential,
  ModelCatalogError,
  parseModelCatalog,
  shippedModelsFile,
  type ModelCatalog,
} from '../../src/models/catalog';
import { LocalModelServer } from '../../src/models/local/local-server-process';
import { createModelResolver } from '../../src/models/registry';
import { projectRoot } from '../../src/base/paths';

let temporaryDirectory: string;

beforeEach(() => {
  temporaryDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-catalog-'));
});

afterEach(() => {
  fs.rmSync(temporaryDirectory, { recursive: true, force: true });
});

function writeUserFile(text: string, name = 'models.yaml'): string {
  const file = path.join(temporaryDirectory, name);
  fs.writeFileSync(file, text);
  return file;
}

/** The ModelCatalogError `load` throws (failing the test when it throws nothing or something else). */
function catalogError(load: () => unknown): ModelCatalogError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelCatalogError);
    return error as ModelCatalogError;
  }
  throw new Error('expected a ModelCatalogError');
}

const userCatalogText = `# my models
models:
  gpt-4o-mini:
    provider: openai
    model: gpt-4o-mini
    capabilities:
      tasks: [general, reasoning]
      context_window: 128000
      function_calling: true
      structured_output: true
    pricing: { input_per_1k: 0.0001, output_per_1k: 0.0002 }
  team-llama:
    provider: local
    model: llama-3.2-1b
    aliases: [llama]
    capabilities:
      tasks: [general]
      context_window: 4096
    pricing: { input_per_1k: 0, output_per_1k: 0 }
`;

describe('shipped models.yaml', () => {
  let catalog: ModelCatalog;
  beforeAll(() => {
    catalog = loadModelCatalog({ userFile: null });
  });

  it('loads with the required models and their capabilities', () => {
    expect(catalog.files).toEqual([shippedModelsFile]);
    expect(shippedModelsFile).toBe(path.join(projectRoot, 'models.yaml'));
    expect(catalog.entries.map((entry) => entry.id)).toEqual(
      expect.arrayContaining([
        'local:smollm2-135m',
        'echo',
        'openai:gpt-4o-mini',
        'openai:gpt-4o',
        'anthropic:claude-sonnet-4-20250514',
        'anthropic:claude-3-5-haiku-latest',
        'google:gemini-1.5-flash',
        'google:gemini-1.5-pro',
      ]),
    );
    const local = catalog.lookup('local:smollm2-135m');
    expect(local).toMatchObject({
      name: 'smollm2-135m',
      provider: 'local',
      model: 'smollm2-135m',
      selectable: true,
      capabilities: { tasks: ['general', 'summarization', 'classification'], context_window: 8192, structured_output: true },
      pricing: { input_per_1k: 0, output_per_1k: 0 },
      definedAt: { file: shippedModelsFile, line: 12, column: 3 },
    });
    expect(catalog.lookup('echo')).toMatchObject({ id: 'echo', selectable: false, pricing: { input_per_1k: 0, output_per_1k: 0 } });
    for (const entry of catalog.entries.filter((entry) => !['local', 'echo'].includes(entry.provider))) {
      expect(entry.pricing.input_per_1k).toBeGreaterThan(0);
      expect(entry.pricing.output_per_1k).toBeGreaterThan(entry.pricing.input_per_1k);
    }
  });

  it('looks a model up by provider:model, by name and by alias', () => {
    expect(catalog.lookup('openai:gpt-4o')?.name).toBe('gpt-4o');
    expect(catalog.lookup('gpt-4o')?.id).toBe('openai:gpt-4o');
    expect(catalog.lookup('local')?.id).toBe('local:smollm2-135m');
    expect(catalog.lookup('claude-sonnet-4')?.id).toBe('anthropic:claude-sonnet-4-20250514');
    expect(catalog.lookup(' gemini-1.5-flash ')?.id).toBe('google:gemini-1.5-flash');
    expect(catalog.lookup('openai:gpt-5-turbo')).toBeUndefined();
    expect(catalog.lookup('nothing')).toBeUndefined();
  });

  it('gives every entry an id the model resolver accepts', () => {
    const resolver = createModelResolver({
      localServer: new LocalModelServer(),
      environment: { OPENAI_API_KEY: 'test', ANTHROPIC_API_KEY: 'test', GOOGLE_API_KEY: 'test' },
    });
    for (const entry of catalog.entries) expect(resolver.resolve(entry.id).id).toBe(entry.id);
  });

  it('prices usage at list price', () => {
    // gpt-4o-mini: $0.15 / $0.60 per million tokens.
    expect(catalog.priceOf('openai:gpt-4o-mini', { input_tokens: 1000, output_tokens: 2000 })).toBe(0.00135);
    expect(catalog.priceOf('gpt-4o', { input_tokens: 1_000_000, output_tokens: 1_000_000 })).toBe(12.5);
    expect(catalog.priceOf('claude-sonnet-4', { input_tokens: 10, output_tokens: 0 })).toBe(0.00003);
    expect(catalog.priceOf('local', { input_tokens: 5000, output_tokens: 5000 })).toBe(0);
    // Free and unknown are different things.
    expect(catalog.priceOf('openai:gpt-5-turbo', { input_tokens: 1, output_tokens: 1 })).toBeUndefined();
  });

  it('is not read twice when the current directory is the project root', () => {
    const catalogInRoot = loadModelCatalog({ cwd: projectRoot, environment: {} });
    expect(catalogInRoot.files).toEqual([shippedModelsFile]);
  });
});

describe("a user's models.yaml", () => {
  it('overrides shipped entries by name and adds its own (ORC_MODELS_FILE)', () => {
    const file = writeUserFile(userCatalogText, 'custom-models.yaml');
    const catalog = loadModelCatalog({ environment: { ORC_MODELS_FILE: file }, cwd: projectRoot });
    expect(catalog.files).toEqual([shippedModelsFile, file]);

    const overridden = catalog.lookup('gpt-4o-mini');
    expect(overridden).toMatchObject({ id: 'openai:gpt-4o-mini', capabilities: { tasks: ['general', 'reasoning'] }, definedAt: { file, line: 3, column: 3 } });
    expect(catalog.priceOf('openai:gpt-4o-mini', { input_tokens: 1000, output_tokens: 1000 })).toBe(0.0003);
    // An overridden entry keeps its place; additions come last.
    const ids = catalog.entries.map((entry) => entry.id);
    expect(ids.indexOf('openai:gpt-4o-mini')).toBeLessThan(ids.indexOf('openai:gpt-4o'));
    expect(ids[ids.length - 1]).toBe('local:llama-3.2-1b');

    expect(catalog.lookup('llama')).toMatchObject({
      name: 'team-llama',
      capabilities: { function_calling: false, structured_output: false },
      aliases: ['llama'],
    });
    // Shipped entries not mentioned stay.
    expect(catalog.lookup('gpt-4o')?.definedAt.file).toBe(shippedModelsFile);
  });

  it('is found as models.yaml in the current directory, or named explicitly', () => {
    writeUserFile(userCatalogText);
    expect(loadModelCatalog({ cwd: temporaryDirectory, environment: {} }).lookup('llama')?.id).toBe('local:llama-3.2-1b');
    const other = writeUserFile(userCatalogText, 'other.yaml');
    expect(loadModelCatalog({ userFile: other, environment: {} }).files).toEqual([shippedModelsFile, other]);
    expect(loadModelCatalog({ userFile: null, cwd: temporaryDirectory }).lookup('llama')).toBeUndefined();
  });

  it('says so when ORC_MODELS_FILE names a missing file', () => {
    const missing = path.join(temporaryDirectory, 'missing.yaml');
    const error = catalogError(() => loadModelCatalog({ environment: { ORC_MODELS_FILE: missing } }));
    expect(error.message).toBe(`${missing}: ORC_MODELS_FILE points at ${missing}, which does not exist`);
  });

  it('reports malformed YAML at file:line:column', () => {
    const file = writeUserFile('models:\n  broken:\n    provider: openai\n    aliases: [a, b\n    model: x\n');
    const error = catalogError(() => loadModelCatalog({ userFile: file }));
    // The parser notices the unclosed `[` where the next key starts.
    expect(error.message).toBe(`${file}:5:5: malformed YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`);
    expect(error.problems).toEqual([expect.objectContaining({ file, line: 5, column: 5 })]);
  });

  it('reports a duplicate model name at the second one', () => {
    const file = writeUserFile(userCatalogText.replace('  team-llama:', '  gpt-4o-mini:'));
    const error = catalogError(() => loadModelCatalog({ userFile: file }));
    expect(error.problems[0]).toMatchObject({ file, line: 12, column: 3 });
    expect(error.message).toMatch(/malformed YAML: Map keys must be unique/);
  });

  it('reports a wrong value at its line:column, and every problem at once', () => {
    const file = writeUserFile(
      [
        'models:', //                                      1
        '  fast:', //                                      2
        '    provider: openai', //                         3
        '    model: gpt-4o-mini', //                       4
        '    capabilities:', //                            5
        '      tasks: [general]', //                       6
        '      context_window: lots', //                   7
        '    pricing: { input_per_1k: -1, output_per_1k: 0 }', // 8
        '  other:', //                                     9
        '    provider: mistral', //                        10
        '    model: small', //                             11
        '    capabilities: { tasks: [general], context_window: 1000 }', // 12
        '    pricing: { input_per_1k: 0, output_per_1k: 0 }', // 13
        '',
      ].join('\n'),
    );
    const error = catalogError(() => loadModelCatalog({ userFile: file }));
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`${file}:7:23: models.fast.capabilities.context_window: Invalid input: expected number, received string`);
    expect(lines[1]).toMatch(new RegExp(`^${escapeRegExp(file)}:8:30: models\\.fast\\.pricing\\.input_per_1k: `));
    expect(lines[2]).toMatch(new RegExp(`^${escapeRegExp(file)}:10:15: models\\.other\\.provider: Invalid option: expected one of "local"\\|"echo"\\|"openai"`));
  });

  it('reports a missing key at its map\'s key and an unknown key at the key, with a hint for the design document names', () => {
    const file = writeUserFile(
      [
        'models:',
        '  fast:',
        '    provider: openai',
        '    model: gpt-4o-mini',
        '    capabilities:',
        '      tasks: [general]',
        '      supports_structured_output: true',
        '    pricing: { input_per_1k: 0, output_per_1k: 0 }',
        '',
      ].join('\n'),
    );
    const error = catalogError(() => loadModelCatalog({ userFile: file }));
    expect(error.message.split('\n').sort()).toEqual(
      [
        `${file}:5:5: models.fast.capabilities: missing "context_window"`,
        `${file}:7:7: models.fast.capabilities: unknown key "supports_structured_output" (write "structured_output")`,
      ].sort(),
    );
  });

  it('rejects names and aliases that clash with the shipped ones, where the user wrote them', () => {
    const aliasClash = writeUserFile(userCatalogText.replace('aliases: [llama]', 'aliases: [llama, local]'));
    expect(catalogError(() => loadModelCatalog({ userFile: aliasClash })).message).toBe(
      `${aliasClash}:15:22: models.team-llama: alias "local" is already an alias of smollm2-135m (${shippedModelsFile})`,
    );

    const nameClash = writeUserFile(userCatalogText.replace('  team-llama:', '  local:'), 'name-clash.yaml');
    expect(catalogError(() => loadModelCatalog({ userFile: nameClash })).message).toBe(
      `${nameClash}:12:3: models.smollm2-135m: alias "local" is already the name of local (${nameClash})`,
    );

    const sameModel = writeUserFile(userCatalogText.replace('  gpt-4o-mini:', '  my-mini:'), 'same-model.yaml');
    const error = catalogError(() => loadModelCatalog({ userFile: sameModel }));
    expect(error.problems[0]).toMatchObject({ file: sameModel, line: 3, column: 3 });
    expect(error.message).toMatch(/openai:gpt-4o-mini is already in the catalog as gpt-4o-mini .*use the name "gpt-4o-mini"/);
  });

  it('rejects a name with a colon, and an echo entry with another model', () => {
    expect(() =>
      parseModelCatalog('models:\n  "a:b":\n    provider: local\n    model: m\n    capabilities: { tasks: [general], context_window: 10 }\n    pricing: { input_per_1k: 0, output_per_1k: 0 }\n', 'inline.yaml'),
    ).toThrow(/^inline\.yaml:2:3: models\.a:b: a name or alias has no spaces or colons/);
    expect(() =>
      createModelCatalog({
        fake: { provider: 'echo', model: 'parrot', capabilities: { tasks: ['general'], context_window: 10 }, pricing: { input_per_1k: 0, output_per_1k: 0 } },
      }),
    ).toThrow('(inline catalog): models.fake.model: the echo provider has one model, "echo"');
  });

  it('takes an empty file as no additions', () => {
    const file = writeUserFile('# nothing yet\n');
    expect(loadModelCatalog({ userFile: file }).entries).toHaveLength(loadModelCatalog({ userFile: null }).entries.length);
  });
});

describe('missingCredential', () => {
  it('names the API key a cloud model needs', () => {
    const catalog = loadModelCatalog({ userFile: null });
    const entry = (spec: string) => catalog.lookup(spec)!;
    expect(missingCredential(entry('gpt-4o'), {})).toBe("OPENAI_API_KEY is not set in the worker's environment");
    expect(missingCredential(entry('gpt-4o'), { OPENAI_API_KEY: 'key' })).toBeUndefined();
    expect(missingCredential(entry('claude-sonnet-4'), {})).toMatch(/^ANTHROPIC_API_KEY/);
    expect(missingCredential(entry('gemini-1.5-pro'), {})).toMatch(/^GOOGLE_API_KEY/);
    expect(missingCredential(entry('local'), {})).toBeUndefined();
    expect(missingCredential(entry('echo'), {})).toBeUndefined();
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
