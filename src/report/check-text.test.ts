import fc from 'fast-check';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { ANSI, PLAIN } from './check-text.ts';

// picocolors (a test reference only): its module reads process.stdout.isTTY when loaded, which builds the
// stdout stream and, on a pipe, loads node:net at every start of the CLI.
const REFERENCE = pc.createColors(true);
const PAIRS = [
  [ANSI.bad, REFERENCE.red],
  [ANSI.good, REFERENCE.green],
  [ANSI.warn, REFERENCE.yellow],
  [ANSI.dim, REFERENCE.dim],
  [ANSI.bold, REFERENCE.bold],
] as const;

describe('ANSI style', () => {
  it('writes the same bytes as picocolors, nested styles included', () => {
    const piece = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('\x1b[39m', '\x1b[22m', '\x1b[2m'));
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 6 }),
        fc.nat(PAIRS.length - 1),
        fc.nat(PAIRS.length - 1),
        (ps, i, j) => {
          const [ours, theirs] = PAIRS[i] ?? PAIRS[0];
          const [innerOurs, innerTheirs] = PAIRS[j] ?? PAIRS[0];
          // picocolors looks for nested closes only from the open sequence's length on: start with plain text.
          const text = `text ${ps.join('')}`;
          expect(ours(text)).toBe(theirs(text));
          expect(ours(`a${innerOurs(text)}b`)).toBe(theirs(`a${innerTheirs(text)}b`));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('bold inside dim keeps the dim going after it; PLAIN leaves text alone', () => {
    expect(ANSI.dim(`x ${ANSI.bold('y')} z`)).toBe('\x1b[2mx \x1b[1my\x1b[22m\x1b[2m z\x1b[22m');
    expect(PLAIN.bad('x')).toBe('x');
  });
});
