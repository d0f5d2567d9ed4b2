import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSystemctlIsEnabled, parseSystemctlListUnits, parseSystemctlStatus } from './systemctl-text.ts';

const sample = (n: string): string =>
  readFileSync(fileURLToPath(new URL(`./__samples__/systemd/${n}`, import.meta.url)), 'utf8');

describe('systemctl --failed', () => {
  it('modules-load-fails-requires lists only systemd-modules-load', () => {
    const r = parseSystemctlListUnits(sample('modules-load-fails-requires.systemctl-failed.txt'), 'f');
    expect(r.value.listedCount).toBe(1);
    expect(r.value.units).toEqual([
      {
        unit: 'systemd-modules-load.service',
        load: 'loaded',
        active: 'failed',
        sub: 'failed',
        description: 'Load Kernel Modules',
        line: 2,
      },
    ]);
  });

  it('healthy lists nothing', () => {
    const r = parseSystemctlListUnits(sample('healthy.systemctl-failed.txt'), 'f');
    expect(r.value).toEqual({ units: [], listedCount: 0 });
  });
});

describe('systemctl status', () => {
  it('modules-load-fails-requires: drop-ins from two directories, dead netfilter-persistent', () => {
    const r = parseSystemctlStatus(sample('modules-load-fails-requires.systemctl-status.txt'), 'f');
    const [np, ml] = r.value;
    expect(np).toMatchObject({
      unit: 'netfilter-persistent.service',
      description: 'netfilter persistent configuration',
      fragmentPath: '/lib/systemd/system/netfilter-persistent.service',
      unitFileState: 'enabled',
      activeState: 'inactive',
      subState: 'dead',
      dropIns: [
        '/usr/lib/systemd/system/netfilter-persistent.service.d/ipset.conf',
        '/usr/lib/systemd/system/netfilter-persistent.service.d/iptables.conf',
        '/etc/systemd/system/netfilter-persistent.service.d/nflab-old-debian-requires.conf',
      ],
    });
    expect(ml).toMatchObject({
      unit: 'systemd-modules-load.service',
      activeState: 'failed',
      result: 'exit-code',
    });
    expect(ml?.notices[0]).toMatch(/journal has been rotated/);
  });

  it('missing-xt-recent: failed unit with its log lines', () => {
    const r = parseSystemctlStatus(sample('missing-xt-recent.systemctl-status.txt'), 'f');
    expect(r.value[0]).toMatchObject({ activeState: 'failed', result: 'exit-code' });
    expect(r.value[0]?.logLines.some((l) => l.text.includes('RULE_APPEND failed'))).toBe(true);
    expect(r.value[1]).toMatchObject({ activeState: 'active', subState: 'exited' });
  });

  it('is-enabled', () => {
    const r = parseSystemctlIsEnabled('enabled\nstatic\nwhat\n', 'f');
    expect(r.value.map((s) => s.state)).toEqual(['enabled', 'static', 'what']);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['is-enabled-unknown-state']);
  });

  it('never throws', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        parseSystemctlStatus(s, 'f');
        parseSystemctlListUnits(s, 'f');
        parseSystemctlIsEnabled(s, 'f');
      }),
    );
  });
});
