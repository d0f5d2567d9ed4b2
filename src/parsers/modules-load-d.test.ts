import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderModulesLoadFiles, parseModulesLoad } from './modules-load-d.ts';

const sample = (n: string): string =>
  readFileSync(fileURLToPath(new URL(`./__samples__/modules-load/${n}`, import.meta.url)), 'utf8');

describe('parseModulesLoad on real /etc/modules', () => {
  it("Debian's stock /etc/modules lists nothing", () => {
    const r = parseModulesLoad(sample('etc-modules.debian-stock'), '/etc/modules');
    expect(r.value).toEqual([]);
    expect(r.diagnostics).toEqual([]);
  });

  it('linode-modules-load: loop on line 7', () => {
    const r = parseModulesLoad(sample('etc-modules.linode-loop'), '/etc/modules');
    expect(r.value).toEqual([{ module: 'loop', lookupName: 'loop', at: { file: '/etc/modules', line: 7 } }]);
  });

  it('modules-load-fails: plain xt_recent (the bad option is in modprobe.d, not here)', () => {
    const r = parseModulesLoad(sample('etc-modules.xt_recent'), '/etc/modules');
    expect(r.value.map((e) => e.module)).toEqual(['xt_recent']);
    expect(r.diagnostics).toEqual([]);
  });
});

describe('parseModulesLoad format', () => {
  it('skips # and ; comments, normalises dashes, keeps parameters apart and warns about them', () => {
    const r = parseModulesLoad('  # c\n; c\n\nvirtio-net\n xt_recent ip_list_tot=0 \n', 'f');
    expect(r.value).toEqual([
      { module: 'virtio_net', lookupName: 'virtio-net', at: { file: 'f', line: 4 } },
      {
        module: 'xt_recent',
        rest: 'ip_list_tot=0',
        lookupName: 'xt_recent ip_list_tot=0',
        at: { file: 'f', line: 5 },
      },
    ]);
    expect(r.diagnostics.map((d) => [d.code, d.at.line])).toEqual([['modules-load-parameters-ignored', 5]]);
  });

  it('never throws, lines in range', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = parseModulesLoad(s, 'f');
        const n = s.split('\n').length;
        for (const e of r.value) {
          expect(e.at.line).toBeLessThanOrEqual(n);
          expect(e.module.length).toBeGreaterThan(0);
        }
      }),
    );
  });
});

describe('orderModulesLoadFiles', () => {
  it('Debian: /etc/modules-load.d/modules.conf -> ../modules is read; /etc shadows /usr/lib; /dev/null masks', () => {
    const r = orderModulesLoadFiles([
      { dir: '/usr/lib/modules-load.d', name: 'zz.conf' },
      { dir: '/usr/lib/modules-load.d', name: 'nf.conf' },
      { dir: '/etc/modules-load.d', name: 'nf.conf', isSymlinkTo: '/dev/null' },
      { dir: '/etc/modules-load.d', name: 'modules.conf', isSymlinkTo: '../modules' },
      { dir: '/run/modules-load.d', name: 'a.conf' },
      { dir: '/etc/modules-load.d', name: 'README' },
      { dir: '/etc/modprobe.d', name: 'x.conf' },
    ]);
    expect(r.files.map((f) => [f.path, f.masked, f.shadows])).toEqual([
      ['/run/modules-load.d/a.conf', false, []],
      ['/etc/modules-load.d/modules.conf', false, []],
      ['/etc/modules-load.d/nf.conf', true, ['/usr/lib/modules-load.d/nf.conf']],
      ['/usr/lib/modules-load.d/zz.conf', false, []],
    ]);
    expect(r.ignored).toEqual([
      { path: '/etc/modules-load.d/README', reason: 'not-conf' },
      { path: '/etc/modprobe.d/x.conf', reason: 'unknown-dir' },
    ]);
  });
});
