// What model selection has learned from past calls (the bandit's statistics), kept in <data>/model-stats.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { dataDirectory } from '../base/paths';

export const modelStatisticsSchema = z.object({
  attempts: z.number().int().nonnegative(),
  successes: z.number().int().nonnegative(),
  /** Sum of per-call rewards in [0, 1] (see `rewardOf` in selection.ts). */
  totalReward: z.number().nonnegative(),
  totalLatencyMs: z.number().nonnegative(),
  totalCostUsd: z.number().nonnegative(),
  /** ISO time of the last recorded call, for people reading the file. */
  lastUsedAt: z.string().optional(),
});
export type ModelStatistics = z.infer<typeof modelStatisticsSchema>;

export const selectionStatisticsSchema = z.object({
  version: z.literal(1),
  /** Keyed by `provider:model`. */
  models: z.record(z.string(), modelStatisticsSchema),
});
export type SelectionStatistics = z.infer<typeof selectionStatisticsSchema>;

export function emptySelectionStatistics(): SelectionStatistics {
  return { version: 1, models: {} };
}

export function selectionStatsFile(): string {
  return path.join(dataDirectory(), 'model-stats.json');
}

// A corrupt file is reported once per process, not on every selection that reads it.
const reportedCorruptFiles = new Set<string>();

function reportCorrupt(file: string, problem: string): void {
  if (reportedCorruptFiles.has(file)) return;
  reportedCorruptFiles.add(file);
  process.stderr.write(
    `orchestrator: model selection statistics in ${file} are unreadable (${problem}); starting fresh ` +
      `(the file is set aside as ${corruptCopyOf(file)} before statistics are next written).\n`,
  );
}

function corruptCopyOf(file: string): string {
  return `${file}.corrupt`;
}

type ReadResult = { statistics: SelectionStatistics; corrupt?: string };

function readFile(file: string): ReadResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { statistics: emptySelectionStatistics() };
    return { statistics: emptySelectionStatistics(), corrupt: (error as Error).message };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { statistics: emptySelectionStatistics(), corrupt: `not JSON: ${(error as Error).message}` };
  }
  const result = selectionStatisticsSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { statistics: emptySelectionStatistics(), corrupt: `${issue?.path.join('.') || 'top level'}: ${issue?.message ?? 'invalid'}` };
  }
  return { statistics: result.data };
}

/** The statistics on disk; empty when there are none yet, or when the file is corrupt (said once on stderr). */
export function loadSelectionStats(file: string = selectionStatsFile()): SelectionStatistics {
  const { statistics, corrupt } = readFile(file);
  if (corrupt !== undefined) reportCorrupt(file, corrupt);
  return statistics;
}

/** Replaces the file in one step (temp file + rename), so a reader never sees half a file. */
export function saveSelectionStats(statistics: SelectionStatistics, file: string = selectionStatsFile()): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(temporary, `${JSON.stringify(statistics, null, 2)}\n`);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Reads what is on disk now, applies `update` and writes the result back. Everything is synchronous so concurrent
 * activities in one worker never interleave their read-modify-write; other processes sharing the data folder can
 * at worst lose one another's update made in the same instant, which only nudges the statistics.
 */
export function updateSelectionStats(update: (statistics: SelectionStatistics) => void, file: string = selectionStatsFile()): SelectionStatistics {
  const { statistics, corrupt } = readFile(file);
  if (corrupt !== undefined) {
    reportCorrupt(file, corrupt);
    // Keep the unreadable file for a person to look at instead of overwriting it; losing it is no reason to fail.
    try {
      fs.copyFileSync(file, corruptCopyOf(file));
    } catch {
      // Unreadable in the first place (e.g. no permission): nothing to keep.
    }
  }
  update(statistics);
  saveSelectionStats(statistics, file);
  return statistics;
}

/** Adds `more` into `into`, model by model (e.g. statistics gathered elsewhere); returns `into`. */
export function mergeSelectionStats(into: SelectionStatistics, more: SelectionStatistics): SelectionStatistics {
  for (const [modelId, added] of Object.entries(more.models)) {
    const existing = into.models[modelId];
    if (!existing) {
      into.models[modelId] = { ...added };
      continue;
    }
    existing.attempts += added.attempts;
    existing.successes += added.successes;
    existing.totalReward += added.totalReward;
    existing.totalLatencyMs += added.totalLatencyMs;
    existing.totalCostUsd += added.totalCostUsd;
    if (added.lastUsedAt && (!existing.lastUsedAt || added.lastUsedAt > existing.lastUsedAt)) existing.lastUsedAt = added.lastUsedAt;
  }
  return into;
}
