// Keeps the catalogue honest: every check folder is registered, named after its id, documented with the
// mandatory README sections, tested with failing and passing cases, and uses every message id it declares.
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKS } from './index.ts';
import { CHECK_DOCS } from './docs.generated.ts';

const CHECKS_DIR = import.meta.dirname;
const SECTIONS = [
  'Symptom',
  'Why it happens',
  'Evidence we use',
  'Fix',
  'How the fix persists',
  'False positives',
];

function checkFolders(dir: string, rel = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => {
      const id = rel === '' ? e.name : `${rel}/${e.name}`;
      const sub = join(dir, e.name);
      return existsSync(join(sub, 'check.ts')) ? [id] : checkFolders(sub, id);
    });
}

describe('check catalogue', () => {
  const folders = checkFolders(CHECKS_DIR);

  it('registers every check folder, and nothing else, in checks/index.ts', () => {
    expect(CHECKS.map((c) => c.meta.id).sort()).toEqual([...folders].sort());
  });

  for (const id of folders) {
    describe(id, () => {
      const dir = join(CHECKS_DIR, id);
      it('has a README with the mandatory sections in order, and the generated docs are current', () => {
        const readme = readFileSync(join(dir, 'README.md'), 'utf8');
        const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
        expect(headings.filter((h) => SECTIONS.includes(h ?? ''))).toEqual(SECTIONS);
        expect(readme.startsWith(`# ${id}\n`)).toBe(true);
        expect(CHECK_DOCS[id]).toBe(readme);
      });
      it('has tests with a failing and a passing case', () => {
        const test = readFileSync(join(dir, 'check.test.ts'), 'utf8');
        expect(test).toMatch(/toBe\('fail'\)/);
        expect(test).toMatch(/toBe\('pass'\)/);
      });
      it('uses every message id it declares', () => {
        const check = CHECKS.find((c) => c.meta.id === id);
        const source = readFileSync(join(dir, 'check.ts'), 'utf8');
        for (const messageId of Object.keys(check?.meta.messages ?? {})) {
          const uses = source.split(`'${messageId}'`).length - 1;
          expect(uses, `${messageId} is declared but never reported`).toBeGreaterThanOrEqual(1);
        }
      });
    });
  }
});
