import { describe, it, expect } from 'vitest';
import { runCheckOn } from '../../testing.ts';
import { labHost, labAvailable } from '../../../testing/lab-host.ts';
import { memoryReader } from '../../../testing/memory-reader.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openSnapshot } from '../../../sources/snapshot-reader.ts';

const ID = 'loader/restore-failed';
const RULES_V4 = '/etc/iptables/rules.v4';

describe.skipIf(!labAvailable)('loader/restore-failed on real lab captures', () => {
  for (const scenario of ['missing-xt-recent', 'missing-xt-recent-notest']) {
    it(`fails on ${scenario}: lines 7 and 8 (-m recent) rejected, unit failed, no firewall`, async () => {
      const { run } = await runCheckOn(ID, labHost(scenario));
      expect(run.status).toBe('fail');
      expect(run.findings.map((f) => `${f.id} ${f.messageId}`).sort()).toEqual([
        `${ID}#${RULES_V4}:7 ruleRejected`,
        `${ID}#${RULES_V4}:8 ruleRejected`,
        `${ID}#unit:netfilter-persistent.service unitFailed`,
      ]);
      const line7 = run.findings.find((f) => f.key === `${RULES_V4}:7`)!;
      expect(line7.causedBy).toEqual(['kmod/module-unavailable#xt_recent:blocked']);
      expect(line7.evidence).toContainEqual(
        expect.objectContaining({
          source: 'journalctl -b',
          text: 'line 7: RULE_APPEND failed (No such file or directory): rule in chain INPUT',
        }),
      );
      expect(line7.evidence).toContainEqual(expect.objectContaining({ source: RULES_V4, line: 7 }));
      expect(line7.data.extensions).toBe('match recent (xt_recent)');
      // The root cause's own actions (un-block xt_recent), then the restart: all applicable.
      expect(line7.fix?.actions).toEqual([
        expect.objectContaining({
          kind: 'comment-line',
          file: '/etc/modprobe.d/nflab-no-xt-recent.conf',
          line: 1,
        }),
        expect.objectContaining({ kind: 'systemctl', verb: 'restart', unit: 'netfilter-persistent.service' }),
      ]);

      const unit = run.findings.find((f) => f.key === 'unit:netfilter-persistent.service')!;
      expect(unit.causedBy).toEqual([`${ID}#${RULES_V4}:7`, `${ID}#${RULES_V4}:8`]);
      expect(unit.subjects).toEqual(['unit:netfilter-persistent.service', `ruleset-not-loaded:${RULES_V4}`]);
      expect(unit.evidence).toContainEqual(
        expect.objectContaining({
          source: 'command: systemctl show netfilter-persistent.service',
          text: expect.stringContaining('ActiveState=failed') as unknown,
        }),
      );
      expect(unit.evidence).toContainEqual(
        expect.objectContaining({
          source: 'journalctl -b',
          text: 'netfilter-persistent.service: Main process exited, code=exited, status=1/FAILURE',
        }),
      );
      expect(unit.evidence).toContainEqual(
        expect.objectContaining({ source: 'command: iptables-save', text: '(empty output)' }),
      );
    });
  }

  it('quotes the warnings of both passes on missing-xt-recent (--test pass 221, real restore 291)', async () => {
    const { run } = await runCheckOn(ID, labHost('missing-xt-recent'));
    const line7 = run.findings.find((f) => f.key === `${RULES_V4}:7`)!;
    const warnings = line7.evidence.filter((e) => e.text?.startsWith('Warning: Extension recent') === true);
    expect(warnings.map((e) => e.note)).toEqual([
      'pid 221: the iptables-restore --test pass, which passed',
      'pid 221: the iptables-restore --test pass, which passed',
      'pid 291: the real restore',
      'pid 291: the real restore',
    ]);
  });

  for (const scenario of ['healthy', 'ipset-missing-set', 'modules-load-fails-requires']) {
    it(`passes on ${scenario} (the unit did not fail; the benign IPv6 test-load line is not reported)`, async () => {
      const { run } = await runCheckOn(ID, labHost(scenario));
      expect(run.status).toBe('pass');
    });
  }
});

const LEGACY_RULES = [
  '*filter', // 1
  ':INPUT DROP [0:0]', // 2
  ':FORWARD DROP [0:0]', // 3
  ':OUTPUT ACCEPT [0:0]', // 4
  '-A INPUT -i lo -j ACCEPT', // 5
  '-A INPUT -m recent --name x --rcheck -j DROP', // 6
  '-A INPUT -p tcp --dport 22 -j ACCEPT', // 7
  '-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT', // 8
  'COMMIT', // 9
  '',
].join('\n');

function failedShow(unit: string): string {
  return `Id=${unit}\nActiveState=failed\nSubState=failed\nResult=exit-code\nExecMainStatus=1\n`;
}

function host(opts: {
  files: Record<string, string>;
  journal: string[];
  unit: string;
  show?: string;
  save?: string;
}) {
  const short = opts.unit.replace(/\.service$/, '');
  return memoryReader({
    files: { ...opts.files, '/run/systemd/system/.keep': '' },
    commands: {
      'journal.boot': { stdout: opts.journal.join('\n') + '\n' },
      [`systemctl.show.${short}`]: { stdout: opts.show ?? failedShow(opts.unit) },
      'iptables-save.default': { stdout: opts.save ?? '' },
    },
  });
}

describe('loader/restore-failed on generated journals', () => {
  it('legacy backend: "line 9 failed" names the COMMIT of table filter', async () => {
    const { run } = await runCheckOn(
      ID,
      host({
        unit: 'netfilter-persistent.service',
        files: { [RULES_V4]: LEGACY_RULES, '/etc/os-release': 'ID=debian\n' },
        journal: [
          'Nov 23 10:57:49.801325 h netfilter-persistent[217]: run-parts: executing /usr/share/netfilter-persistent/plugins.d/15-ip4tables start',
          'Nov 23 10:57:53.948865 h netfilter-persistent[291]: Warning: Extension recent revision 0 not supported, missing kernel module?',
          'Nov 23 10:57:55.587027 h netfilter-persistent[291]: iptables-restore: line 9 failed',
          'Nov 23 10:57:55.597154 h netfilter-persistent[217]: run-parts: /usr/share/netfilter-persistent/plugins.d/15-ip4tables exited with return code 1',
          'Nov 23 10:57:55.926930 h systemd[1]: netfilter-persistent.service: Main process exited, code=exited, status=1/FAILURE',
          "Nov 23 10:57:55.942897 h systemd[1]: netfilter-persistent.service: Failed with result 'exit-code'.",
        ],
      }),
    );
    expect(run.status).toBe('fail');
    const table = run.findings.find((f) => f.messageId === 'tableRejected')!;
    expect(table.key).toBe(`${RULES_V4}:9`);
    expect(table.data).toMatchObject({ table: 'filter', line: 9, backend: 'legacy', lines: '6' });
    expect(table.evidence).toContainEqual(
      expect.objectContaining({ source: 'journalctl -b', text: 'iptables-restore: line 9 failed' }),
    );
    expect(table.evidence).toContainEqual(
      expect.objectContaining({ source: RULES_V4, line: 9, text: 'COMMIT' }),
    );
    const unit = run.findings.find((f) => f.messageId === 'unitFailed')!;
    expect(unit.causedBy).toEqual([table.id]);
  });

  it('RHEL iptables.service: "iptables: Applying firewall rules: iptables-restore: line 9 failed"', async () => {
    const { run } = await runCheckOn(
      ID,
      host({
        unit: 'iptables.service',
        files: {
          '/etc/sysconfig/iptables': LEGACY_RULES,
          '/etc/os-release': 'ID="rhel"\nID_LIKE="fedora"\n',
        },
        journal: [
          'Aug 24 09:29:59.000000 c8 systemd[1]: Starting IPv4 firewall with iptables...',
          'Aug 24 09:29:59.100000 c8 iptables.init[8259]: iptables: Applying firewall rules: iptables-restore: line 9 failed',
          'Aug 24 09:29:59.200000 c8 systemd[1]: iptables.service: Main process exited, code=exited, status=1/FAILURE',
          "Aug 24 09:29:59.300000 c8 systemd[1]: iptables.service: Failed with result 'exit-code'.",
        ],
      }),
    );
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => `${f.key} ${f.messageId}`)).toEqual([
      '/etc/sysconfig/iptables:9 tableRejected',
      'unit:iptables.service unitFailed',
    ]);
    const unit = run.findings[1]!;
    // The rejected rule needs a person's edit, so the restart waits for it too.
    expect(unit.fix?.actions.at(-1)).toMatchObject({
      kind: 'manual',
      command: 'sudo systemctl restart iptables.service',
    });
    expect(unit.evidence).toContainEqual(
      expect.objectContaining({
        source: 'command: systemctl show iptables.service',
        text: expect.stringContaining('Result=exit-code') as unknown,
      }),
    );
  });

  it('a failed unit without a parsable restore error says to run the restore by hand', async () => {
    const { run } = await runCheckOn(
      ID,
      host({
        unit: 'netfilter-persistent.service',
        files: { [RULES_V4]: LEGACY_RULES },
        journal: [
          'Nov 23 10:57:55.926930 h systemd[1]: netfilter-persistent.service: Main process exited, code=exited, status=1/FAILURE',
        ],
      }),
    );
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => f.messageId)).toEqual(['unitFailedUnexplained']);
    expect(run.findings[0]!.fix?.actions[0]).toMatchObject({
      kind: 'manual',
      command: expect.stringMatching(/^sudo iptables-restore --test < \/etc\/iptables\/rules\.v4;/) as string,
    });
  });

  it('a missing set on the real restore (test load off) links to set:<name>', async () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set blocklist src -j DROP\nCOMMIT\n';
    const { run } = await runCheckOn(
      ID,
      host({
        unit: 'netfilter-persistent.service',
        files: { [RULES_V4]: rules },
        journal: [
          "Nov 23 11:00:33.949152 h netfilter-persistent[210]: iptables-restore v1.8.9 (nf_tables): Set blocklist doesn't exist.",
          'Nov 23 11:00:33.966963 h netfilter-persistent[210]: Error occurred at line: 3',
          'Nov 23 11:00:34.000000 h systemd[1]: netfilter-persistent.service: Main process exited, code=exited, status=1/FAILURE',
        ],
      }),
    );
    const set = run.findings.find((f) => f.messageId === 'setMissing')!;
    expect(set.data).toMatchObject({ set: 'blocklist', line: 3 });
    expect(set.evidence).toContainEqual(expect.objectContaining({ source: RULES_V4, line: 3 }));
  });

  it('is unknown on a mounted root (no systemctl, no journal) and not-applicable without saved rules', async () => {
    const root = memoryReader({ files: { [RULES_V4]: LEGACY_RULES }, kind: 'root' });
    const r = await runCheckOn(ID, root);
    expect(r.run.status).toBe('unknown');
    expect(r.run.reason).toMatch(/netfilter-persistent.service: neither systemctl show nor the journal/);
    expect((await runCheckOn(ID, memoryReader({ files: {} }))).run.status).toBe('not-applicable');
  });

  it('passes when a later restart superseded the failure and the unit is active', async () => {
    const { run } = await runCheckOn(
      ID,
      host({
        unit: 'netfilter-persistent.service',
        files: { [RULES_V4]: LEGACY_RULES },
        show: 'Id=netfilter-persistent.service\nActiveState=active\nSubState=exited\nResult=success\n',
        journal: [
          'Nov 23 10:57:55.926930 h systemd[1]: netfilter-persistent.service: Main process exited, code=exited, status=1/FAILURE',
          'Nov 23 11:20:00.000000 h systemd[1]: Finished netfilter-persistent.service - netfilter persistent configuration.',
        ],
      }),
    );
    expect(run.status).toBe('pass');
  });
});

const HEALTHY_SNAPSHOT = join(import.meta.dirname, '../../../../fixtures/hosts/healthy.tar.gz');

describe.skipIf(!existsSync(HEALTHY_SNAPSHOT))(
  'restore-failed on the real healthy snapshot (journalctl -b -o json)',
  () => {
    it('passes: the benign IPv6 test-load line is not a failure, saved and live rules are equivalent', async () => {
      const { run } = await runCheckOn(ID, await openSnapshot(HEALTHY_SNAPSHOT));
      expect(run.status).toBe('pass');
    });
  },
);
