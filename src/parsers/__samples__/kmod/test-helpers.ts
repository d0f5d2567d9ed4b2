// Test-only helpers shared by the kmod parser tests: paths of the real fixtures and a totality property.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Parsed } from '../../types.ts';
import { splitLines } from '../../types.ts';

export const KERNELS = ['6.1.0-56-amd64', '6.1.0-56-cloud-amd64', '6.12.117+deb13-cloud-amd64'] as const;

export function kernelFile(release: string, name: string): string {
  return fileURLToPath(new URL(`../../../../fixtures/kernels/${release}/${name}`, import.meta.url));
}

export function readKernel(release: string, name: string): string {
  return readFileSync(kernelFile(release, name), 'utf8');
}

export function sampleFile(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

export function readSample(name: string): string {
  return readFileSync(sampleFile(name), 'utf8');
}

const NOISE = [
  '#',
  '\\',
  '"',
  '[',
  ']',
  '*',
  '?',
  '-',
  ':',
  '=',
  ',',
  '.',
  '\r',
  '\t',
  ' ',
  '\0',
  '\uFEFF',
  '--',
];

/** Files built from the format's keywords and noise, so generated input reaches the parser's branches. */
export function textOf(words: readonly string[]): fc.Arbitrary<string> {
  const word = fc.oneof(fc.constantFrom(...words, ...NOISE), fc.string({ maxLength: 12 }));
  const line = fc
    .tuple(fc.array(word, { maxLength: 8 }), fc.constantFrom(' ', '\t', '', '  '))
    .map(([ws, sep]) => ws.join(sep));
  return fc
    .tuple(fc.array(line, { maxLength: 20 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
    .map(([ls, nl, final]) => ls.join(nl) + (final ? nl : ''));
}

/** Never throws; every diagnostic points into the file (1..number of lines) and has a kebab-case code. */
export function checkTotal(
  parse: (text: string, file: string) => Parsed<unknown>,
  words: readonly string[],
): void {
  fc.assert(
    fc.property(fc.oneof(textOf(words), fc.string({ maxLength: 300 })), (text) => {
      const r = parse(text, 'f');
      const max = Math.max(1, splitLines(text).length);
      for (const d of r.diagnostics) {
        expect(d.at.file).toBe('f');
        if (d.at.line !== undefined) {
          expect(d.at.line).toBeGreaterThanOrEqual(1);
          expect(d.at.line).toBeLessThanOrEqual(max);
        }
        expect(d.code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      }
    }),
    { numRuns: 300 },
  );
}
