// The rule lines of one requirement, as a 100k-rule file gives them: up to one per rule, mostly rising.
//
// A JS array pushed 95,000 times grows by copying into ever larger backing stores; past 128 KiB each is a
// fresh mapping of its own, and on a small VM every page of it costs a fault (~12 us here: 820 faults for
// `check` of 100k rules). Fixed chunks of 32-bit lines touch each page once, a quarter of the bytes.

/** Lines per chunk: 64 KiB, below V8's regular object limit. */
const CHUNK = 16 * 1024;

/** Rule lines in the order added, the last one never repeated. */
export class LineList {
  private readonly full: Int32Array[] = [];
  private current = new Int32Array(8);
  private used = 0;
  private lastLine = -1;
  /** A line was added below the line before it. */
  unordered = false;

  get length(): number {
    return this.full.length * CHUNK + this.used;
  }

  /** The last line added, undefined when none was. */
  get last(): number | undefined {
    return this.lastLine === -1 ? undefined : this.lastLine;
  }

  /** Adds `line` unless it is the line added last. */
  add(line: number): void {
    if (line === this.lastLine) {
      return;
    }
    if (this.lastLine !== -1 && line < this.lastLine) {
      this.unordered = true;
    }
    this.lastLine = line;
    if (this.used === this.current.length) {
      this.grow();
    }
    this.current[this.used++] = line;
  }

  /** The lines, sorted and each once when they came out of order. */
  toArray(): number[] {
    // Filled to its exact length at once: pushing would grow it by copying again.
    const lines = new Array<number>(this.length);
    let at = 0;
    for (const chunk of this.full) {
      for (let i = 0; i < chunk.length; i++) {
        lines[at++] = chunk[i] as number;
      }
    }
    for (let i = 0; i < this.used; i++) {
      lines[at++] = this.current[i] as number;
    }
    return this.unordered ? [...new Set(lines)].sort((a, b) => a - b) : lines;
  }

  private grow(): void {
    if (this.current.length < CHUNK) {
      // Small lists (most requirements have a handful of lines) stay small.
      const bigger = new Int32Array(Math.min(CHUNK, this.current.length * 4));
      bigger.set(this.current);
      this.current = bigger;
      return;
    }
    this.full.push(this.current);
    this.current = new Int32Array(CHUNK);
    this.used = 0;
  }
}
