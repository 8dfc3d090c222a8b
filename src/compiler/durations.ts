// Durations as authors write them: seconds (number) or strings such as 500ms, 30s, 5m, 1h, 1h30m.

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds, or undefined when the value is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return parseDuration(Number(text));
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text.replace(/\s+/g, '')) return undefined;
  const seconds = parts.reduce((total, part) => total + Number(part[1]) * UNIT_SECONDS[part[2]!]!, 0);
  return seconds > 0 ? seconds : undefined;
}

/** The diagnostic for a value that is no duration; a mapping or list is shown as JSON (String() of one can throw). */
export function badDurationMessage(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  } catch {
    // A mapping that refers to itself through a YAML alias.
    shown = Array.isArray(value) ? '[…]' : '{…}';
  }
  return `bad duration '${shown}': use seconds or a string like 30s, 5m, 1h, 1d`;
}
