// Holding V8's young generation at its size while a big file streams through the parser.
//
// A scavenge copies what survives, and once enough has survived V8 doubles the semi-spaces, up to 16 MB each
// (heap.cc CheckNewSpaceExpansionCriteria -> SemiSpaceNewSpace::Grow). Reading a 15 MB rules file, the
// chain declarations at its head survive and grow the young generation to 2 x 16 MB, although from then on
// nearly everything allocated per line is garbage within the line. Those 28 MB of fresh pages cost ~13 us
// each to touch on a small VM, and a young generation bigger than the caches misses them on every
// allocation. With the growth held, `check` of 100k rules ran 7% and 18% faster in two runs of 11
// alternating pairs (848 -> 788 ms, 1122 -> 916 ms), about what `node --max-semi-space-size=2` gives.
//
// SemiSpaceNewSpace::Grow multiplies by v8_flags.semi_space_growth_factor each time it grows, so a factor
// of 1 set at run time holds the size. Node's documentation warns that a flag changed after start may do
// nothing or worse; this one is a plain integer read at each growth, and the tests check both its effect
// and that it is put back. Newer V8 raises the factor to at least 2 (flag-definitions.h
// DEFINE_MIN_VALUE_IMPLICATION(semi_space_growth_factor, 2)): there the hold does nothing, and costs only
// loading node:v8.
//
// V8 hashes its flags into code caches (SerializedCodeData::SanityCheck), so the factor is put back
// afterwards: the compile cache the launcher writes at exit must match the flags of the next start.
import { v8 } from '../lazy-builtins.ts';

const FLAG = 'semi-space-growth-factor';
/** V8's default (flag-definitions.h DEFINE_INT(semi_space_growth_factor, 2, ...)). */
const DEFAULT_FACTOR = 2;

/**
 * Loading node:v8 costs ~3 ms. At 10k rules (1.5 MB) holding was even (431.0 against 430.4 ms, 15 alternating
 * runs); at 100k rules it saved 18% in the same run (1122 -> 916 ms).
 */
export const HOLD_FROM_BYTES = 1024 * 1024;

/** The user chose the factor (node --semi-space-growth-factor=N, or in NODE_OPTIONS): leave it alone. */
export function factorSetByUser(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const mentions = (arg: string): boolean => arg.replaceAll('_', '-').includes(FLAG);
  return execArgv.some(mentions) || (nodeOptions !== undefined && mentions(nodeOptions));
}

/**
 * Holds the young generation at its current size until the returned function is called, which restores
 * V8's default growth. Does nothing when the user set the factor.
 */
export function holdYoungGeneration(): () => void {
  if (factorSetByUser(process.execArgv, process.env.NODE_OPTIONS)) {
    return () => undefined;
  }
  v8().setFlagsFromString(`--${FLAG}=1`);
  let held = true;
  return () => {
    if (held) {
      held = false;
      v8().setFlagsFromString(`--${FLAG}=${DEFAULT_FACTOR}`);
    }
  };
}

/** `pieces` of a file of `bytes` bytes, with the young generation held while they are read, if it is big. */
export function* holdingYoungGeneration(pieces: Iterable<string>, bytes: number): Generator<string> {
  const release = bytes >= HOLD_FROM_BYTES ? holdYoungGeneration() : undefined;
  try {
    yield* pieces;
  } finally {
    release?.();
  }
}
