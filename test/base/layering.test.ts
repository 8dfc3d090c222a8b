// Imports run one way: base <- models, compiler, store <- tools <- activities <- workflows <- worker <- client.
// A folder may import its own files and any folder of a lower layer; never one of its own layer or above.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const sourceRoot = path.resolve(__dirname, '..', '..', 'src');

/** Each top folder of src and its layer: lower layers know nothing of higher ones. */
const LAYERS: Record<string, number> = {
  base: 0,
  models: 1,
  compiler: 1,
  store: 1,
  tools: 2,
  activities: 3,
  workflows: 4,
  worker: 5,
  client: 6,
};

function sourceFiles(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.m?ts$/.test(entry.name) ? [full] : [];
  });
}

function topFolder(root: string, file: string): string {
  return path.relative(root, file).split(path.sep)[0]!;
}

/** The files under `root` a file imports (static, type-only, dynamic and re-exports alike). */
function importsOf(root: string, file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((match) => match[1]!);
  return specifiers.map((specifier) => path.resolve(path.dirname(file), specifier)).filter((target) => target.startsWith(root + path.sep));
}

test('every top folder of src has a layer', () => {
  const folders = fs.readdirSync(sourceRoot, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  expect(folders.filter((folder) => LAYERS[folder] === undefined)).toEqual([]);
});

/** Every import under `root` from a folder to one of its own layer or a higher one. */
function layeringViolations(root: string): string[] {
  const violations: string[] = [];
  for (const file of sourceFiles(root)) {
    const from = topFolder(root, file);
    for (const target of importsOf(root, file)) {
      const to = topFolder(root, target);
      if (to !== from && (LAYERS[to] ?? Infinity) >= (LAYERS[from] ?? -Infinity)) {
        violations.push(`${path.relative(root, file)} imports ${path.relative(root, target)} (${from} may not import ${to})`);
      }
    }
  }
  return violations;
}

test('no import runs against the layering', () => {
  expect(layeringViolations(sourceRoot)).toEqual([]);
});

test('the check reports an import upward and one across a layer, and lets one downward through', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-layering-'));
  try {
    const write = (file: string, text: string): void => {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), text);
    };
    write('base/paths.ts', "import type { Worker } from '../worker/worker';\n");
    write('models/registry.ts', "import { compile } from '../compiler';\nimport { paths } from '../base/paths';\n");
    write('client/cli.ts', "import { createWorker } from '../worker/worker';\n");
    expect(layeringViolations(root).sort()).toEqual([
      'base/paths.ts imports worker/worker (base may not import worker)',
      'models/registry.ts imports compiler (models may not import compiler)',
    ]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

/** The files workflow code loads at run time: value imports only (`import type` is erased by the compiler). */
function runtimeClosure(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const text = fs.readFileSync(file, 'utf8');
    const statements = [...text.matchAll(/^(import|export)\s+(?!type\b)[^;]*?from\s+['"]([^'"]+)['"]/gm)].map((match) => match[2]!);
    seen.set(file, statements);
    for (const specifier of statements.filter((each) => each.startsWith('.'))) {
      const base = path.resolve(path.dirname(file), specifier);
      const target = [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate));
      if (target) visit(target);
    }
  };
  visit(entry);
  return seen;
}

test('workflow code loads no zod: every workflow sandbox would evaluate its schemas', () => {
  const closure = runtimeClosure(path.join(sourceRoot, 'workflows', 'index.ts'));
  expect(closure.size).toBeGreaterThan(20);
  const loadingZod = [...closure].filter(([, specifiers]) => specifiers.includes('zod')).map(([file]) => path.relative(sourceRoot, file));
  expect(loadingZod).toEqual([]);
});
