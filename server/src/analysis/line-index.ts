import type { Position, Range } from './finding';

/** Maps UTF-16 offsets in a text to 0-based line/character positions and back. */
export class LineIndex {
  private readonly lineStarts: readonly number[];

  constructor(private readonly text: string) {
    this.lineStarts = lineStartsOf(text);
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  positionAt(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid] <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low, character: clamped - this.lineStarts[low] };
  }

  offsetAt(position: Position): number {
    if (position.line >= this.lineStarts.length) return this.text.length;
    const start = this.lineStarts[Math.max(0, position.line)];
    return Math.min(start + position.character, this.text.length);
  }

  rangeOf(startOffset: number, endOffset: number): Range {
    return { start: this.positionAt(startOffset), end: this.positionAt(endOffset) };
  }

  lineStart(line: number): number {
    return this.lineStarts[Math.max(0, Math.min(line, this.lineStarts.length - 1))];
  }

  /** The text of one line without its line break. */
  lineText(line: number): string {
    const start = this.lineStart(line);
    const next = line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] : this.text.length;
    return this.text.slice(start, next).replace(/\r?\n$/, '');
  }
}

/**
 * The offset each line starts at (indexOf jumps from one line break to the next: ~3× a loop over every character).
 * The last two texts' answers are kept: an analysis asks for its original and its parsed text. Never mutate one.
 */
export function lineStartsOf(text: string): readonly number[] {
  for (const known of recentStarts) if (known.text === text) return known.starts;
  const starts = [0];
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) starts.push(index + 1);
  recentStarts.unshift({ text, starts });
  recentStarts.length = Math.min(recentStarts.length, 2);
  return starts;
}

const recentStarts: { text: string; starts: readonly number[] }[] = [];
