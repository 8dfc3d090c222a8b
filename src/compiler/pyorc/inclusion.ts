// File inclusion in dialect strings: `{{ file:path }}` and `<< path >>` are replaced by the file's text, read
// relative to the pipeline file (as the Python orchestrator's validate does).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { YamlPath } from '../source';
import { isPlainObject } from '../values';

const INCLUSION = /\{\{\s*file:\s*([^}\s]+)\s*\}\}|<<\s*([^<>\s]+)\s*>>/g;

export interface InclusionProblem {
  at: YamlPath;
  message: string;
}

/** Returns the value with every inclusion expanded; files that cannot be read are problems at their string. */
export function expandInclusions(value: unknown, baseDirectory: string, at: YamlPath, problems: InclusionProblem[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes('file:') && !value.includes('<<')) return value;
    return value.replace(INCLUSION, (whole, templatePath: string | undefined, anglePath: string | undefined) => {
      const relative = (templatePath ?? anglePath)!;
      const file = path.resolve(baseDirectory, relative);
      try {
        return fs.readFileSync(file, 'utf8');
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
        problems.push({ at, message: `cannot include '${relative}' (${whole}): ${reason} at ${file}` });
        return '';
      }
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => expandInclusions(item, baseDirectory, [...at, index], problems));
  if (isPlainObject(value)) {
    // A name or description is never rendered: text there that looks like an inclusion is prose.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, key === 'name' || key === 'description' ? item : expandInclusions(item, baseDirectory, [...at, key], problems)]),
    );
  }
  return value;
}
