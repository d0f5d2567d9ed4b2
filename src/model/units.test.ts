import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dropInDirNames, hardDependencyOn, resolveUnit, unitSearchPath } from './units.ts';

const sample = (n: string): string =>
  readFileSync(fileURLToPath(new URL(`../parsers/__samples__/systemd/${n}`, import.meta.url)), 'utf8');

const NP = 'netfilter-persistent.service';
const fragment = { path: `/lib/systemd/system/${NP}`, text: sample(NP) };
const pkgDropIns = [
  { path: `/usr/lib/systemd/system/${NP}.d/ipset.conf`, text: sample(`${NP}.d_ipset.conf`) },
  { path: `/usr/lib/systemd/system/${NP}.d/iptables.conf`, text: sample(`${NP}.d_iptables.conf`) },
];
const labRequires = {
  path: `/etc/systemd/system/${NP}.d/nflab-old-debian-requires.conf`,
  text: sample('nflab-old-debian-requires.conf'),
};

describe('resolveUnit on the real Debian netfilter-persistent', () => {
  it('stock bookworm: Wants= and After= systemd-modules-load, no hard dependency', () => {
    const u = resolveUnit(NP, { fragments: [fragment], dropIns: pkgDropIns });
    expect(u.fragmentPath).toBe(fragment.path);
    expect(u.masked).toBe(false);
    expect(u.dropIns).toEqual(pkgDropIns.map((d) => d.path));
    expect(u.deps('Wants').map((d) => d.unit)).toEqual([
      'network-pre.target',
      'systemd-modules-load.service',
      'local-fs.target',
    ]);
    expect(u.deps('After')[0]).toEqual({
      unit: 'systemd-modules-load.service',
      at: { file: fragment.path, line: 6 },
    });
    expect(u.aliases().map((a) => a.unit)).toEqual([
      'ipset.service',
      'iptables.service',
      'ip6tables.service',
    ]);
    expect(u.deps('WantedBy').map((d) => d.unit)).toEqual(['multi-user.target']);
    expect(hardDependencyOn(u, 'systemd-modules-load.service')).toBeUndefined();
    expect(u.diagnostics).toEqual([]);
  });

  it('modules-load-fails-requires: the lab drop-in makes a failure propagate (ordered by the fragment)', () => {
    const u = resolveUnit(NP, { fragments: [fragment], dropIns: [labRequires, ...pkgDropIns] });
    // sorted by file name across directories, as DropInPaths= shows them
    expect(u.dropIns).toEqual([...pkgDropIns.map((d) => d.path), labRequires.path]);
    expect(hardDependencyOn(u, 'systemd-modules-load.service')).toEqual({
      kind: 'Requires',
      at: { file: labRequires.path, line: 2 },
      ordered: true,
      orderedAt: { file: fragment.path, line: 6 },
      propagatesStartFailure: 'yes',
    });
  });

  it('an empty After= in a drop-in resets the ordering: Requires without After only races', () => {
    const reset = {
      path: `/etc/systemd/system/${NP}.d/zz-reset.conf`,
      text: '[Unit]\nAfter=\nAfter=local-fs.target\n',
    };
    const u = resolveUnit(NP, { fragments: [fragment], dropIns: [labRequires, reset] });
    expect(u.values('Unit', 'After').map((v) => v.value)).toEqual(['local-fs.target']);
    expect(hardDependencyOn(u, 'systemd-modules-load.service')).toMatchObject({
      kind: 'Requires',
      ordered: false,
      propagatesStartFailure: 'race',
    });
  });
});

describe('resolveUnit precedence (systemd.unit(5))', () => {
  it('/etc fragment beats /lib; /dev/null mask in /etc masks; empty file masks', () => {
    const etc = { path: `/etc/systemd/system/${NP}`, text: '[Unit]\nDescription=local copy\n' };
    const u = resolveUnit(NP, { fragments: [fragment, etc], dropIns: [] });
    expect(u.fragmentPath).toBe(etc.path);
    expect(u.shadowed).toEqual([fragment.path]);
    expect(u.last('Unit', 'Description')?.value).toBe('local copy');

    const m = resolveUnit(NP, {
      fragments: [fragment],
      dropIns: pkgDropIns,
      masked: { path: `/etc/systemd/system/${NP}` },
    });
    expect(m).toMatchObject({ masked: true, dropIns: [] });
    expect(m.fragmentPath).toBeUndefined();
    expect(m.deps('Wants')).toEqual([]);

    const e = resolveUnit(NP, { fragments: [{ path: `/etc/systemd/system/${NP}`, text: '' }], dropIns: [] });
    expect(e.masked).toBe(true);

    // a mask in a lower-priority directory does not hide an /etc unit
    const lowMask = resolveUnit(NP, {
      fragments: [etc],
      dropIns: [],
      masked: { path: `/usr/lib/systemd/system/${NP}` },
    });
    expect(lowMask.masked).toBe(false);
  });

  it('same drop-in name: higher-priority directory shadows; type and prefix dirs apply; non-.conf ignored', () => {
    const u = resolveUnit('foo-bar-baz.service', {
      fragments: [
        { path: '/usr/lib/systemd/system/foo-bar-baz.service', text: '[Service]\nExecStart=/bin/a\n' },
      ],
      dropIns: [
        {
          path: '/usr/lib/systemd/system/foo-bar-baz.service.d/10-x.conf',
          text: '[Service]\nExecStart=/bin/lib\n',
        },
        {
          path: '/etc/systemd/system/foo-bar-baz.service.d/10-x.conf',
          text: '[Service]\nExecStart=\nExecStart=/bin/etc\n',
        },
        { path: '/usr/lib/systemd/system/service.d/05-all.conf', text: '[Unit]\nAfter=top.target\n' },
        { path: '/run/systemd/system/foo-.service.d/20-prefix.conf', text: '[Unit]\nAfter=prefix.target\n' },
        { path: '/etc/systemd/system/foo-bar-baz.service.d/notes.txt', text: 'x' },
        { path: '/etc/systemd/system/other.service.d/x.conf', text: '[Unit]\nAfter=no.target\n' },
      ],
    });
    expect(u.dropIns).toEqual([
      '/usr/lib/systemd/system/service.d/05-all.conf',
      '/etc/systemd/system/foo-bar-baz.service.d/10-x.conf',
      '/run/systemd/system/foo-.service.d/20-prefix.conf',
    ]);
    expect(u.shadowed).toContain('/usr/lib/systemd/system/foo-bar-baz.service.d/10-x.conf');
    expect(u.values('Service', 'ExecStart').map((v) => v.value)).toEqual(['/bin/etc']);
    expect(u.deps('After').map((d) => d.unit)).toEqual(['top.target', 'prefix.target']);
    expect(u.diagnostics.map((d) => d.code)).toEqual(['unit-dropin-not-conf', 'unit-dropin-not-for-unit']);
  });

  it('drop-in dir names: own, alias, template, prefixes, type', () => {
    expect(dropInDirNames('foo-bar@x.service', ['alias.service'])).toEqual([
      'foo-bar@x.service.d',
      'foo-bar@.service.d',
      'foo-.service.d',
      'alias.service.d',
      'service.d',
    ]);
    expect(unitSearchPath().indexOf('/etc/systemd/system')).toBeLessThan(
      unitSearchPath().indexOf('/lib/systemd/system'),
    );
  });

  it('BindsTo and Requisite are hard too; Wants never is', () => {
    const u = resolveUnit('a.service', {
      fragments: [
        {
          path: '/etc/systemd/system/a.service',
          text: '[Unit]\nRequisite=b.service\nBindsTo=c.service\nAfter=c.service\nWants=d.service\nAfter=d.service\n',
        },
      ],
      dropIns: [],
    });
    expect(hardDependencyOn(u, 'b.service')).toMatchObject({ kind: 'Requisite', ordered: false });
    expect(hardDependencyOn(u, 'c.service')).toMatchObject({
      kind: 'BindsTo',
      ordered: true,
      propagatesStartFailure: 'yes',
    });
    expect(hardDependencyOn(u, 'd.service')).toBeUndefined();
  });

  it('never throws on arbitrary unit text', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const u = resolveUnit('x.service', {
          fragments: [{ path: '/etc/systemd/system/x.service', text: a }],
          dropIns: [{ path: '/etc/systemd/system/x.service.d/a.conf', text: b }],
        });
        u.deps('Requires');
        hardDependencyOn(u, 'y.service');
      }),
    );
  });
});
