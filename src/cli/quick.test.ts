import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pieceEnd } from './quick.ts';
import { HAS_PYTHON, SLOW_NON_BLOCKING_READER } from '../testing/non-blocking-reader.ts';

const MODULE = join(dirname(fileURLToPath(import.meta.url)), 'quick.ts');

/** A text with one- to four-byte characters, astral ones straddling every 64 KiB piece boundary. */
const MIXED_TEXT = `
  const unit = 'rule é ✓ \\u{1F600} line\\n';
  let text = '';
  while (text.length < 300_000) text += unit;
  for (let k = 1; k <= 4; k++) {
    const at = k * 65536 - 1;
    text = text.slice(0, at) + '\\u{1F525}' + text.slice(at);
  }`;

/** Runs writeStdout(MIXED_TEXT) in a fresh Node and returns its stdout bytes and the text's UTF-8 bytes. */
function writeMixed(wrapper: string[]): { written: Buffer; expected: Buffer } {
  const script = `
    const { writeStdout } = await import(${JSON.stringify(MODULE)});
    ${MIXED_TEXT}
    writeStdout(text);`;
  const expectedScript = `${MIXED_TEXT}; process.stdout.write(Buffer.from(text, 'utf8').toString('base64'));`;
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e'];
  const r = spawnSync(wrapper[0] ?? '', [...wrapper.slice(1), ...node, script], { maxBuffer: 1 << 26 });
  const e = spawnSync(process.execPath, ['-e', expectedScript], { encoding: 'utf8', maxBuffer: 1 << 26 });
  expect(r.status).toBe(0);
  return { written: r.stdout, expected: Buffer.from(e.stdout, 'base64') };
}

describe('pieceEnd', () => {
  it('ends a piece after size units, or at the end of the text', () => {
    expect(pieceEnd('abcdef', 0, 4)).toBe(4);
    expect(pieceEnd('abcdef', 4, 4)).toBe(6);
    expect(pieceEnd('abcdef', 0, 6)).toBe(6);
  });

  it('never ends a piece between the two halves of a surrogate pair', () => {
    const text = `abc\u{1F600}def`; // the pair is at 3 and 4
    expect(pieceEnd(text, 0, 4)).toBe(3);
    expect(pieceEnd(text, 0, 5)).toBe(5);
    expect(pieceEnd(text, 3, 1)).toBe(5); // a piece of one unit that is a high surrogate takes the pair
  });
});

describe('writeStdout', () => {
  it('writes a text of every UTF-8 length, split in pieces, byte for byte', () => {
    const { written, expected } = writeMixed(['env']);
    expect(written.length).toBe(expected.length);
    expect(written.equals(expected)).toBe(true);
  });

  it.skipIf(!HAS_PYTHON)(
    'writes all of it to a non-blocking pipe read late (partial writes, multi-byte characters)',
    () => {
      const { written, expected } = writeMixed(['python3', '-c', SLOW_NON_BLOCKING_READER]);
      expect(written.length).toBe(expected.length);
      expect(written.equals(expected)).toBe(true);
    },
  );
});
