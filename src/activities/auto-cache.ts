// Remembers AUTO tag values by (model, prompt, schema) for a while, so re-running a pipeline on the same
// inputs does not ask the model again. One small JSON file per entry under the data folder.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface AutoValueCache {
  get(key: string): { value: unknown } | undefined;
  set(key: string, value: unknown): void;
}

export function autoCacheKey(model: string, prompt: unknown, schema: unknown): string {
  return createHash('sha256').update(JSON.stringify([model, prompt, schema])).digest('hex');
}

export class FileAutoValueCache implements AutoValueCache {
  constructor(
    private readonly directory: string,
    private readonly ttlSeconds: number,
  ) {}

  private file(key: string): string {
    return path.join(this.directory, `${key}.json`);
  }

  get(key: string): { value: unknown } | undefined {
    try {
      const entry = JSON.parse(fs.readFileSync(this.file(key), 'utf8')) as { value: unknown; expiresAt: number };
      if (entry.expiresAt > Date.now()) return { value: entry.value };
      fs.rmSync(this.file(key), { force: true });
    } catch {
      // Missing or unreadable: a miss.
    }
    return undefined;
  }

  set(key: string, value: unknown): void {
    if (this.ttlSeconds <= 0) return;
    fs.mkdirSync(this.directory, { recursive: true });
    const temporary = `${this.file(key)}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify({ value, expiresAt: Date.now() + this.ttlSeconds * 1000 }));
    fs.renameSync(temporary, this.file(key));
  }
}

/** For tests and `--no-cache`: remembers nothing. */
export const noAutoValueCache: AutoValueCache = { get: () => undefined, set: () => undefined };
