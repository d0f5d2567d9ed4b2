import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sortEntries } from './fs-tree.ts';
import type { DirEntry } from './host-reader.ts';

const byBytes = (names: string[]): string[] =>
  [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe('sortEntries', () => {
  it('orders names by their UTF-8 bytes, ASCII or not', () => {
    const ascii = fc.string({ maxLength: 12 });
    const any = fc.string({ unit: 'grapheme', maxLength: 6 });
    for (const name of [ascii, fc.oneof(ascii, any)]) {
      fc.assert(
        fc.property(fc.array(name, { maxLength: 30 }), (names) => {
          const entries: DirEntry[] = names.map((n) => ({ name: n, type: 'file' }));
          expect(sortEntries(entries).map((e) => e.name)).toEqual(byBytes(names));
        }),
        { numRuns: 1000 },
      );
    }
  });

  it('sorts a surrogate pair after U+FFFD, as UTF-8 does (UTF-16 would put it first)', () => {
    const entries: DirEntry[] = [
      { name: '\u{1F600}', type: 'file' },
      { name: '\uFFFD', type: 'file' },
      { name: 'a', type: 'file' },
    ];
    expect(sortEntries(entries).map((e) => e.name)).toEqual(['a', '\uFFFD', '\u{1F600}']);
  });
});
