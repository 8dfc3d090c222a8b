// Reads an `orc test` case set (spec section 14): YAML (a list, or `cases:`) or JSONL rows of `{ name?, inputs, expect? }`.
import * as fs from 'node:fs';
import { isSeq, LineCounter, parseDocument } from 'yaml';
import type { ExpectCheck } from '../base/expect-checks';
import type { TestCase } from '../base/test-run-types';
import { resolveRunInputs, type CompiledPipeline } from '../compiler';
import { isExpectProblem, normalizeExpectEntry } from '../compiler/expect';
import { isPlainObject } from '../compiler/values';

/** Every problem of a case set, each as `FILE:LINE: message`. */
export class TestCasesError extends Error {
  override readonly name = 'TestCasesError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

interface Row {
  value: unknown;
  line: number;
}

function rowsOf(file: string, text: string): { rows: Row[]; problems: string[] } {
  if (file.endsWith('.jsonl')) {
    const rows: Row[] = [];
    const problems: string[] = [];
    text.split('\n').forEach((line, index) => {
      if (line.trim() === '') return;
      try {
        rows.push({ value: JSON.parse(line) as unknown, line: index + 1 });
      } catch (error) {
        problems.push(`${file}:${index + 1}: not a JSON object: ${(error as Error).message}`);
      }
    });
    return { rows, problems };
  }
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines });
  if (document.errors.length > 0) return { rows: [], problems: document.errors.map((error) => `${file}:${error.linePos?.[0].line ?? 1}: ${error.message}`) };
  const root = document.contents;
  const list = isSeq(root) ? root : isSeq(document.get('cases', true)) ? (document.get('cases', true) as typeof root) : null;
  if (!isSeq(list)) return { rows: [], problems: [`${file}:1: a case set is a list of { name, inputs, expect } (or a mapping with 'cases:')`] };
  return { rows: list.items.map((item) => ({ value: (item as { toJSON(): unknown }).toJSON(), line: lines.linePos((item as { range?: readonly number[] | null }).range?.[0] ?? 0).line })), problems: [] };
}

/** A row's `expect`: output name -> one check or a list of checks. */
function rowChecks(raw: unknown, where: string, outputs: string[], problems: string[]): TestCase['expect'] {
  if (raw === undefined) return [];
  if (!isPlainObject(raw)) {
    problems.push(`${where}: 'expect' maps output names to checks, e.g. { label: { equals: bug } }`);
    return [];
  }
  const checks: TestCase['expect'] = [];
  for (const [output, entries] of Object.entries(raw)) {
    if (outputs.length > 0 && !outputs.includes(output)) problems.push(`${where}: the pipeline has no output '${output}' (outputs: ${outputs.join(', ')})`);
    for (const entry of Array.isArray(entries) ? entries : [entries]) {
      const check = normalizeExpectEntry(entry);
      if (isExpectProblem(check)) problems.push(`${where}: expect.${output}: ${check.code} ${check.message}`);
      else checks.push({ output, check: check as ExpectCheck });
    }
  }
  return checks;
}

/** The cases of `file` for `pipeline`, inputs checked as `orc run` checks them; every problem at once. */
export function readTestCases(file: string, pipeline: CompiledPipeline): TestCase[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new TestCasesError([`${file}: cannot read the case set: ${(error as Error).message}`]);
  }
  const { rows, problems } = rowsOf(file, text);
  const outputs = Object.keys(pipeline.outputs);
  const cases: TestCase[] = [];
  const names = new Set<string>();
  rows.forEach((row, index) => {
    const where = `${file}:${row.line}`;
    if (!isPlainObject(row.value)) {
      problems.push(`${where}: a case is a mapping { name, inputs, expect }`);
      return;
    }
    const name = typeof row.value.name === 'string' && row.value.name !== '' ? row.value.name : `case-${index + 1}`;
    if (names.has(name)) problems.push(`${where}: case name '${name}' is used twice`);
    names.add(name);
    const inputs = isPlainObject(row.value.inputs) ? row.value.inputs : {};
    const resolution = resolveRunInputs(pipeline, inputs);
    if (!resolution.ok) for (const diagnostic of resolution.diagnostics) problems.push(`${where}: case '${name}': ${diagnostic.code} ${diagnostic.message}`);
    cases.push({ name, inputs: resolution.ok ? resolution.values : inputs, expect: rowChecks(row.value.expect, where, outputs, problems) });
  });
  if (rows.length === 0 && problems.length === 0) problems.push(`${file}: the case set has no cases`);
  if (problems.length > 0) throw new TestCasesError(problems);
  return cases;
}

