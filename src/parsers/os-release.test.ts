import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOsRelease } from './os-release.ts';

const sample = (n: string): string =>
  readFileSync(fileURLToPath(new URL(`./__samples__/os-release/${n}`, import.meta.url)), 'utf8');

describe('parseOsRelease', () => {
  it('reads a real Debian 12 os-release', () => {
    const { value, diagnostics } = parseOsRelease(sample('debian-12.os-release'), '/etc/os-release');
    expect(diagnostics).toEqual([]);
    expect(value).toMatchObject({
      id: 'debian',
      versionId: '12',
      versionCodename: 'bookworm',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      idLike: [],
    });
    expect(value.values.get('HOME_URL')).toBe('https://www.debian.org/');
  });

  it('splits ID_LIKE and unquotes', () => {
    const { value } = parseOsRelease('ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID=\'9.4\'\n', 'f');
    expect(value).toMatchObject({ id: 'rocky', idLike: ['rhel', 'centos', 'fedora'], versionId: '9.4' });
  });

  it('never throws', () => {
    fc.assert(fc.property(fc.string(), (s) => void parseOsRelease(s, 'f')));
  });
});
