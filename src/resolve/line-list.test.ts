import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineList } from './line-list.ts';

/** What the list must give for `added`: each line once, in order, unless they came out of order (sorted then). */
function expected(added: readonly number[]): number[] {
  const kept = added.filter((line, i) => i === 0 || line !== added[i - 1]);
  const ordered = kept.every((line, i) => i === 0 || line > (kept[i - 1] as number));
  return ordered ? kept : [...new Set(kept)].sort((a, b) => a - b);
}

describe('LineList', () => {
  it('keeps rising lines in order and drops a line repeated at once', () => {
    const list = new LineList();
    for (const line of [3, 3, 5, 9, 9, 9, 12]) {
      list.add(line);
    }
    expect(list.toArray()).toEqual([3, 5, 9, 12]);
    expect(list.length).toBe(4);
    expect(list.last).toBe(12);
    expect(list.unordered).toBe(false);
  });

  it('sorts and deduplicates lines that went back (set types added set by set)', () => {
    const list = new LineList();
    for (const line of [10, 20, 5, 20, 7]) {
      list.add(line);
    }
    expect(list.unordered).toBe(true);
    expect(list.toArray()).toEqual([5, 7, 10, 20]);
  });

  it('holds 250k lines across chunks, in order', () => {
    const list = new LineList();
    const lines = Array.from({ length: 250_000 }, (_, i) => 35_006 + 2 * i);
    for (const line of lines) {
      list.add(line);
    }
    expect(list.length).toBe(lines.length);
    expect(list.toArray()).toEqual(lines);
  });

  it('is empty before anything is added', () => {
    const list = new LineList();
    expect(list.toArray()).toEqual([]);
    expect(list.last).toBeUndefined();
  });

  it('gives what an array with the last line deduplicated gives, for any lines', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 300 }), (added) => {
        const list = new LineList();
        for (const line of added) {
          list.add(line);
        }
        expect(list.toArray()).toEqual(expected(added));
      }),
      { numRuns: 300 },
    );
  });
});
