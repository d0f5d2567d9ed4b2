import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCheckOn } from '../../testing.ts';
import { labHost, labAvailable } from '../../../testing/lab-host.ts';
import { openSnapshot } from '../../../sources/snapshot-reader.ts';
import { buildHostModel } from '../../../model/host-model.ts';
import { runChecks } from '../../engine.ts';
import { CHECKS } from '../../index.ts';

const ID = 'loader/saved-rules-refused';
const HOSTS = join(import.meta.dirname, '../../../../fixtures/hosts');
const HEALTHY_RULES = readFileSync(
  join(import.meta.dirname, '../../../../fixtures/lab-captures/healthy/files/etc/iptables/rules.v4'),
  'utf8',
);

/** The healthy lab host after someone edited rules.v4 (the live rules are still the old ones). */
function edited(extraRules: string) {
  const rules = HEALTHY_RULES.replace(
    '-A INPUT -p icmp -j ACCEPT\n',
    `-A INPUT -p icmp -j ACCEPT\n${extraRules}`,
  );
  return labHost('healthy', { files: { '/etc/iptables/rules.v4': rules } });
}

describe.skipIf(!labAvailable)(
  'loader/saved-rules-refused on the healthy lab host with an edited rules.v4',
  () => {
    it('passes on the file as the lab saved it', async () => {
      expect((await runCheckOn(ID, labHost('healthy'))).run.status).toBe('pass');
    });

    it('says a refused line takes the table down at the next boot, and a host name only may', async () => {
      const { run } = await runCheckOn(
        ID,
        edited(
          '-A INPUT -s admin.example.org -p tcp --dport 2222 -j ACCEPT\n-A INPUT -p tcp --dport 99999 -j ACCEPT\n',
        ),
      );
      expect(run.status).toBe('fail');
      expect(run.findings.map((f) => [f.key, f.severity])).toEqual([
        ['/etc/iptables/rules.v4:12', 'warning'],
        ['/etc/iptables/rules.v4:13', 'error'],
      ]);
      const refused = run.findings[1];
      expect(refused?.message).toBe(
        "/etc/iptables/rules.v4 line 13 will be refused the next time netfilter-persistent.service loads the file (at boot or a restart), and with it the whole table: invalid port/service `99999' specified",
      );
      expect(refused?.evidence[0]).toMatchObject({
        source: '/etc/iptables/rules.v4',
        line: 13,
        text: '-A INPUT -p tcp --dport 99999 -j ACCEPT',
      });
      expect(refused?.fix?.actions[0]).toMatchObject({
        kind: 'manual',
        command: 'sudoedit /etc/iptables/rules.v4',
      });
      expect(run.findings[0]?.message).toContain(
        'admin.example.org: iptables resolves the name when the rules load',
      );
    });
  },
);

describe.skipIf(!labAvailable)('loader/saved-rules-refused on lines the parser already refuses', () => {
  it('an option before its -m or -p, and -h that stops the restore with status 0, each at its line', async () => {
    const { run } = await runCheckOn(
      ID,
      edited(
        '-A INPUT --dport 2222 -p tcp -j ACCEPT\n-A INPUT -h 192.0.2.10 -p tcp --dport 5432 -j ACCEPT\n',
      ),
    );
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => [f.key, f.severity])).toEqual([
      ['/etc/iptables/rules.v4:12', 'error'],
      ['/etc/iptables/rules.v4:13', 'error'],
    ]);
    expect(run.findings[0]?.message).toContain('unknown option \\"--dport\\"');
    expect(run.findings[1]?.message).toContain('prints its help here and exits with status 0');
  });
});

describe.skipIf(!labAvailable)('loader/saved-rules-refused on a file with many refused lines', () => {
  it('gives the first ten their own finding and lists the rest in one', async () => {
    const bad = Array.from(
      { length: 12 },
      (_, i) => `-A INPUT -p tcp --dport ${String(70000 + i)} -j ACCEPT\n`,
    ).join('');
    const { run } = await runCheckOn(ID, edited(bad));
    expect(run.findings.length).toBe(11);
    const more = run.findings.at(-1);
    expect(more?.key).toBe('/etc/iptables/rules.v4:more');
    expect(more?.severity).toBe('error');
    expect(more?.message).toBe(
      '/etc/iptables/rules.v4: 2 more line(s) that netfilter-persistent.service will or may refuse: line 22, 23 (nfdoctor check /etc/iptables/rules.v4 lists them all)',
    );
    expect(more?.subjects).toEqual(['rules:/etc/iptables/rules.v4:22', 'rules:/etc/iptables/rules.v4:23']);
  });
});

describe('loader/saved-rules-refused leaves a line refused on this boot to the loader checks', () => {
  it("chain-loop (real boot): the refused line 15 is restore-failed's root, not repeated here", async () => {
    const result = runChecks(
      CHECKS,
      await buildHostModel(await openSnapshot(join(HOSTS, 'chain-loop.tar.gz'))),
    );
    expect(result.findings.filter((f) => f.checkId === ID)).toEqual([]);
    expect(result.findings[0]?.id).toBe('loader/restore-failed#/etc/iptables/rules.v4:15');
  });
});
