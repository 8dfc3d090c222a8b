// What the commands that read a pipeline file share: the known models, compiling with every problem reported,
// and the input values given on the command line.
import { isPlainObject } from '../base/plain-object';
import * as fs from 'node:fs';
import { TOOLS } from '../tools';
import { compilePipelineFile, formatDiagnostic, type CompiledPipeline, type Diagnostic, type KnownModels } from '../compiler';
import { loadModelCatalog, ModelCatalogError, modelNamesOf } from '../models/catalog';
import { EXIT_FAILED, ExitCode, usageError } from './exit-code';

/** The models a pipeline may name: the shipped models.yaml merged with the user's; a broken one is reported. */
export function knownModels(): KnownModels {
  try {
    return { names: modelNamesOf(loadModelCatalog()) };
  } catch (error) {
    if (!(error instanceof ModelCatalogError)) throw error;
    process.stderr.write(`${error.message}\n`);
    throw new ExitCode(EXIT_FAILED);
  }
}

/** Diagnostics on stderr, each as FILE:LINE:COLUMN: CODE message. */
export function reportDiagnostics(file: string, diagnostics: readonly Diagnostic[]): void {
  for (const diagnostic of diagnostics) process.stderr.write(`${formatDiagnostic(file, diagnostic)}\n`);
}

/** Keys the file sets that change nothing here, on stderr: the command goes on. */
export function reportNotes(file: string, notes: readonly Diagnostic[]): void {
  reportDiagnostics(file, notes);
}

export function compileOrReport(file: string): CompiledPipeline {
  const result = compilePipelineFile(file, { models: knownModels(), knownTools: TOOLS.flatMap((tool) => [tool.name, ...(tool.aliases ?? [])]) });
  if (!result.ok) {
    reportDiagnostics(file, result.diagnostics);
    throw new ExitCode(EXIT_FAILED);
  }
  reportNotes(file, result.notes);
  return result.pipeline;
}

/** `-i, --input NAME=VALUE` as a repeatable commander option. */
export function collectValues(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function readInputFile(inputFile: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(inputFile, 'utf8'));
  } catch (error) {
    throw usageError(`cannot read --input-file ${inputFile}: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed)) {
    throw usageError(`--input-file ${inputFile} must hold a JSON object of input values`);
  }
  return { ...parsed };
}

/** The input values of `--input-file` overlaid with each `-i NAME=VALUE`. */
export function parseInputs(pairs: string[], inputFile: string | undefined): Record<string, unknown> {
  const inputs: Record<string, unknown> = inputFile ? readInputFile(inputFile) : {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw usageError(`-i expects NAME=VALUE, got '${pair}'`);
    inputs[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return inputs;
}
