// What the guard did on real boots of the lab VM (Debian 12, systemd 252, TCG): the evidence the
// guard-scenario.sh check hook recorded on the broken boot (fixtures/lab-captures/guard-<scenario>/check.log,
// "== title" sections), after `guard install --fail-closed --allow 10.0.2.0/24:22 --textfile ...` on the setup
// boot. Only captures that exist are checked (the VM runs are not part of CI).
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_CAPTURES } from '../testing/lab-host.ts';
import { MESSAGE_IDS } from './messages.ts';

function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let title = '';
  for (const line of text.split('\n')) {
    const m = /^== (.*)$/.exec(line);
    if (m != null) {
      title = m[1] ?? '';
      out.set(title, '');
    } else if (title !== '' && !line.startsWith('+ ')) {
      // (the check hook runs under bash -x: its trace lines are not output)
      out.set(title, `${out.get(title) ?? ''}${line}\n`);
    }
  }
  return out;
}

const BAD: Readonly<Record<string, string>> = {
  'missing-xt-recent': 'kmod/module-unavailable#xt_recent:blocked',
  'ipset-missing-set': 'ipset/set-unavailable#blocklist',
  'modules-load-fails-requires': 'boot/modules-load-config#xt_recent:insert',
};

for (const scenario of ['missing-xt-recent', 'ipset-missing-set', 'modules-load-fails-requires', 'healthy']) {
  const file = join(LAB_CAPTURES, `guard-${scenario}`, 'check.log');
  describe.runIf(existsSync(file))(`guard on a real ${scenario} boot`, () => {
    const s = sections(existsSync(file) ? readFileSync(file, 'utf8') : '');
    const get = (prefix: string): string => [...s].find(([k]) => k.startsWith(prefix))?.[1] ?? '';
    const journal = get('journalctl -b SYSLOG_IDENTIFIER=nfdoctor-guard -o json')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, string>);
    const root = BAD[scenario];

    it('creates no ordering cycle', () => {
      expect(get('ordering cycles this boot').trim()).toBe('(none)');
    });

    if (root === undefined) {
      it('stays silent and changes nothing', () => {
        expect(journal.filter((j) => j.MESSAGE_ID !== undefined)).toEqual([]);
        expect(get('iptables-save (as the guard left it)')).not.toContain('NFDOCTOR');
        expect(get('/run/motd.d')).not.toContain('nfdoctor guard');
        expect(get('systemctl show nfdoctor-guard.service')).toContain('Result=success');
        expect(get('textfile')).toMatch(/nfdoctor_firewall_loaded\{family="ipv4"\} 1/);
      });
      return;
    }

    it('logs one err entry for ipv4 with the stable MESSAGE_ID and the root cause', () => {
      const entries = journal.filter((j) => j.MESSAGE_ID === MESSAGE_IDS.notLoaded);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        PRIORITY: '3',
        NFDOCTOR_FAMILY: 'ipv4',
        NFDOCTOR_FAIL_CLOSED: 'applied',
      });
      expect(entries[0]?.NFDOCTOR_ROOT_CAUSE).toContain(root);
    });

    it('loaded the emergency ruleset, wrote boot.json, the textfile and the banner, failed the unit', () => {
      expect(get('iptables-save (as the guard left it)')).toMatch(/-A INPUT -j NFDOCTOR-GUARD-IN/);
      expect(get('iptables-save (as the guard left it)')).toContain(
        '-A NFDOCTOR-GUARD-IN -s 10.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT',
      );
      expect(get('/var/lib/nfdoctor/boot.json')).toMatch(/"verdict": "not-loaded"/);
      expect(get('textfile')).toMatch(/nfdoctor_firewall_loaded\{family="ipv4"\} 0/);
      expect(get('/run/motd.d')).toMatch(/ipv4 firewall did NOT load/);
      expect(get('systemctl show nfdoctor-guard.service')).toContain('Result=exit-code');
    });

    it('guard release removes it', () => {
      expect(get('nfdoctor guard release')).toMatch(/released the ipv4 emergency ruleset[\s\S]*rc=0/);
      expect(get('iptables-save after release')).not.toContain('NFDOCTOR');
      expect(get('journalctl -b MESSAGE_ID=9c27f461')).toContain('released');
    });
  });
}
