// PyYAML reads a quoted scalar whose continuation lines are not indented past its key, e.g.
//
//     success_rate: "{{ (
//       a + b
//     ) / n }}"
//
// YAML 1.2 (and the `yaml` library) refuses it. The dialect's parser indents such lines just enough before parsing:
// inside a quoted scalar leading spaces fold away, so the value is what PyYAML reads. The inserted spaces are
// recorded so positions still point into the author's text.

/** Inserted spaces, in order: `at` is an offset in the text before any of them; `count` spaces go there. */
interface Pad {
  at: number;
  count: number;
}

const OPENING = /^(\s*)((?:-\s+)*)(?:([^\s#'"-][^#]*?|-[^\s#][^#]*?):\s+)?(["'])/;
const BLOCK_SCALAR = /^(\s*)(?:-\s+)*(?:[^\s#'"][^#]*?:\s+)?[|>][-+0-9]*\s*(?:#.*)?$/;

/** Where the quoted scalar opened at `start` of `line` closes on that line, or -1. */
function closingIndex(line: string, start: number, quote: string): number {
  for (let i = start; i < line.length; i++) {
    const character = line[i];
    if (quote === '"' && character === '\\') {
      i++;
      continue;
    }
    if (character !== quote) continue;
    if (quote === "'" && line[i + 1] === "'") {
      i++;
      continue;
    }
    return i;
  }
  return -1;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** The spaces to insert so that every continuation line of a multi-line quoted scalar is indented past its key. */
function padsFor(text: string): Pad[] {
  const pads: Pad[] = [];
  const lines = text.split('\n');
  let offset = 0;
  /** Inside a quoted scalar: its quote and the indentation its continuation lines need. */
  let open: { quote: string; needs: number } | null = null;
  /** Inside a block scalar (`|`, `>`): lines indented past this belong to it. */
  let blockOver: number | null = null;
  for (const line of lines) {
    const lineOffset = offset;
    offset += line.length + 1;
    if (open) {
      if (line.trim() !== '' && indentOf(line) < open.needs) pads.push({ at: lineOffset, count: open.needs - indentOf(line) });
      if (closingIndex(line, 0, open.quote) >= 0) open = null;
      continue;
    }
    if (blockOver !== null) {
      if (line.trim() === '' || indentOf(line) > blockOver) continue;
      blockOver = null;
    }
    if (BLOCK_SCALAR.test(line)) {
      blockOver = indentOf(line) + (/^\s*((?:-\s+)*)/.exec(line)?.[1]?.length ?? 0);
      continue;
    }
    const opening = OPENING.exec(line);
    if (!opening) continue;
    const [whole, indent = '', dashes = '', , quote = '"'] = opening;
    if (closingIndex(line, whole.length, quote) >= 0) continue;
    // The scalar's parent block starts at its key (after any `- `); continuation lines must be indented past it.
    open = { quote, needs: indent.length + dashes.length + 1 };
  }
  return pads;
}

/**
 * `text` with under-indented continuation lines of quoted scalars indented, and the offsets (in the result) of
 * every inserted character: `insertions`, given in `text`'s offsets, are carried over.
 */
export function indentQuotedContinuations(text: string, insertions: readonly number[]): { text: string; insertions: number[] } {
  const pads = padsFor(text);
  if (pads.length === 0) return { text, insertions: [...insertions] };
  let result = '';
  let from = 0;
  const inserted: number[] = [];
  for (const pad of pads) {
    result += text.slice(from, pad.at);
    for (let i = 0; i < pad.count; i++) inserted.push(result.length + i);
    result += ' '.repeat(pad.count);
    from = pad.at;
  }
  result += text.slice(from);
  // An earlier insertion moves by the spaces inserted before it.
  const moved = insertions.map((at) => at + pads.filter((pad) => pad.at <= at).reduce((sum, pad) => sum + pad.count, 0));
  return { text: result, insertions: [...moved, ...inserted].sort((a, b) => a - b) };
}
