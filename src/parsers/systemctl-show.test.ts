import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSystemctlShow, showBlockFor, showList } from './systemctl-show.ts';

const sample = (n: string): string =>
  readFileSync(fileURLToPath(new URL(`./__samples__/systemd/${n}`, import.meta.url)), 'utf8');

describe('parseSystemctlShow on lab captures', () => {
  it('modules-load-fails-requires: netfilter-persistent never ran, Requires= from the drop-in', () => {
    const r = parseSystemctlShow(
      sample('modules-load-fails-requires.systemctl-show.netfilter-persistent.props.txt'),
      'f',
    );
    expect(r.diagnostics).toEqual([]);
    const b = showBlockFor(r.value, 'netfilter-persistent.service');
    expect(b?.get('ActiveState')).toBe('inactive');
    expect(b?.get('Result')).toBe('success');
    expect(showList(b, 'Requires')).toEqual(['system.slice', 'systemd-modules-load.service']);
    expect(showList(b, 'DropInPaths')).toHaveLength(3);
    expect(showBlockFor(r.value, 'iptables.service')).toBe(b); // by Names=
  });

  it('linode-modules-load: systemd-modules-load succeeded despite the missing module', () => {
    const r = parseSystemctlShow(
      sample('linode-modules-load.systemctl-show.systemd-modules-load.props.txt'),
      'f',
    );
    const b = showBlockFor(r.value, 'systemd-modules-load.service');
    expect([b?.get('Result'), b?.get('ExecMainStatus'), b?.get('ActiveState')]).toEqual([
      'success',
      '0',
      'active',
    ]);
    expect(b?.get('InactiveExitTimestamp')).toBe('Mon 2026-11-23 11:04:48 UTC');
  });

  it('several units separated by blank lines; values may contain "="', () => {
    const r = parseSystemctlShow('Id=a.service\nEnvironment=A=1 B=2\n\nId=b.service\nId=c.service\n', 'f');
    expect(r.value.map((b) => b.get('Id'))).toEqual(['a.service', 'b.service', 'c.service']);
    expect(r.value[0]?.get('Environment')).toBe('A=1 B=2');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['show-repeated-key']);
  });

  it('never throws', () => {
    fc.assert(fc.property(fc.string(), (s) => void parseSystemctlShow(s, 'f')));
  });
});
