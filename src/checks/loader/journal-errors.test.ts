import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJournalShort } from '../../parsers/journal.ts';
import { parseIptablesSaveFamily } from '../../parsers/iptables-save.ts';
import type { SavedRules } from '../../model/host-model.ts';
import { LAB_CAPTURES } from '../../testing/lab-host.ts';
import {
  locateIssue,
  restoreIssues,
  scanLoaderJournal,
  testLoadRejections,
  unitOutcome,
} from './journal-errors.ts';

const NFP = 'netfilter-persistent.service';

function labJournal(scenario: string) {
  const text = readFileSync(join(LAB_CAPTURES, scenario, 'journal.relevant.txt'), 'utf8');
  return parseJournalShort(text, 'journalctl -b').value;
}

function labSaved(scenario: string): SavedRules {
  const path = '/etc/iptables/rules.v4';
  const text = readFileSync(join(LAB_CAPTURES, scenario, 'files', path), 'utf8');
  const parsed = parseIptablesSaveFamily(text, path, 'ipv4');
  return {
    path,
    family: 'ipv4',
    loader: 'netfilter-persistent',
    text,
    ruleset: parsed.value,
    diagnostics: parsed.diagnostics,
  };
}

function journal(lines: string[]) {
  return parseJournalShort(lines.join('\n'), 'journalctl -b').value;
}

const lab = existsSync(LAB_CAPTURES);

describe.skipIf(!lab)('journal-errors on the real lab journals', () => {
  it('missing-xt-recent: two RULE_APPEND failures on lines 7 and 8, from the real pass only', () => {
    const msgs = scanLoaderJournal(labJournal('missing-xt-recent'), NFP);
    const issues = restoreIssues(msgs, 'ipv4');
    expect(issues.map((i) => [i.kind, i.fileLine, i.backend, i.testLoad])).toEqual([
      ['missing-extension', 7, 'nft', false],
      ['missing-extension', 8, 'nft', false],
    ]);
    const first = issues[0]!;
    expect(first.extensions).toEqual([{ name: 'recent' }]);
    // The warnings of the --test pass (pid 221) and of the real restore (pid 291) are both quoted.
    expect(first.pids).toEqual([221, 291]);
    expect(first.messages.map((m) => m.text)).toContain(
      'line 7: RULE_APPEND failed (No such file or directory): rule in chain INPUT',
    );
    const loc = locateIssue(first, labSaved('missing-xt-recent'), undefined);
    expect(loc.rules.map((r) => r.line)).toEqual([7]);
    const outcome = unitOutcome(msgs);
    expect(outcome.failed.map((m) => m.kind)).toEqual(['unit-exit', 'unit-result', 'unit-failed-start']);
    expect(outcome.pluginExits.map((m) => [m.plugin, m.code, m.family])).toEqual([
      ['/usr/share/netfilter-persistent/plugins.d/15-ip4tables', '4', 'ipv4'],
    ]);
    expect(outcome.recovered).toBeUndefined();
    expect(testLoadRejections(msgs, 'ipv6')).toMatchObject([{ benign: true }]);
  });

  it('ipset-missing-set: the test load names the set and line 7; nothing failed for systemd', () => {
    const msgs = scanLoaderJournal(labJournal('ipset-missing-set'), NFP);
    const issues = restoreIssues(msgs, 'ipv4');
    expect(issues.map((i) => [i.kind, i.fileLine, i.set, i.testLoad, i.backend])).toEqual([
      ['set-missing', 7, 'blocklist', true, 'nft'],
    ]);
    expect(testLoadRejections(msgs, 'ipv4')).toMatchObject([{ benign: false }]);
    expect(testLoadRejections(msgs, 'ipv6')).toMatchObject([{ benign: true }]);
    expect(unitOutcome(msgs).failed).toEqual([]);
    const loc = locateIssue(issues[0]!, labSaved('ipset-missing-set'), undefined);
    expect(loc).toMatchObject({ sets: ['blocklist'], rules: [{ line: 7 }] });
  });

  it('healthy: nothing but the benign IPv6 test-load line', () => {
    const msgs = scanLoaderJournal(labJournal('healthy'), NFP);
    expect(restoreIssues(msgs, 'ipv4')).toEqual([]);
    expect(restoreIssues(msgs, 'ipv6')).toEqual([]);
    expect(testLoadRejections(msgs, 'ipv6')).toMatchObject([{ benign: true }]);
    expect(unitOutcome(msgs).failed).toEqual([]);
  });

  it('modules-load-fails-requires: the dependency failure is the unit outcome', () => {
    const msgs = scanLoaderJournal(labJournal('modules-load-fails-requires'), NFP);
    expect(unitOutcome(msgs).dependency.map((m) => m.text)).toEqual([
      'Dependency failed for netfilter-persistent.service - netfilter persistent configuration.',
      "netfilter-persistent.service: Job netfilter-persistent.service/start failed with result 'dependency'.",
    ]);
  });
});

describe('journal-errors on generated journals', () => {
  const LEGACY_RULES = [
    '*filter',
    ':INPUT DROP [0:0]',
    '-A INPUT -i lo -j ACCEPT',
    '-A INPUT -m recent --name x --rcheck -j DROP',
    '-A INPUT -p tcp --dport 22 -j ACCEPT',
    'COMMIT',
  ].join('\n');
  const saved: SavedRules = {
    path: '/etc/iptables/rules.v4',
    family: 'ipv4',
    loader: 'netfilter-persistent',
    text: LEGACY_RULES,
    ruleset: parseIptablesSaveFamily(LEGACY_RULES, '/etc/iptables/rules.v4', 'ipv4').value,
    diagnostics: [],
  };

  it('legacy: "line 6 failed" names the table whose COMMIT is line 6 and the rule using the warned extension', () => {
    const msgs = scanLoaderJournal(
      journal([
        'Nov 23 10:57:49.80 host netfilter-persistent[217]: run-parts: executing /usr/share/netfilter-persistent/plugins.d/15-ip4tables start',
        'Nov 23 10:57:53.94 host netfilter-persistent[291]: Warning: Extension recent revision 0 not supported, missing kernel module?',
        'Nov 23 10:57:55.58 host netfilter-persistent[291]: iptables-restore: line 6 failed',
        'Nov 23 10:57:55.59 host netfilter-persistent[217]: run-parts: /usr/share/netfilter-persistent/plugins.d/15-ip4tables exited with return code 1',
      ]),
      NFP,
    );
    const issues = restoreIssues(msgs, 'ipv4');
    expect(issues.map((i) => [i.kind, i.fileLine, i.backend])).toEqual([['table-rejected', 6, 'legacy']]);
    const loc = locateIssue(issues[0]!, saved, undefined);
    expect(loc.table?.name).toBe('filter');
    // Without requirement verdicts the located rules come from the extension the warning names.
    expect(issues[0]!.extensions).toEqual([{ name: 'recent' }]);
  });

  it('RHEL iptables.init: the error shares the "Applying firewall rules:" line', () => {
    const msgs = scanLoaderJournal(
      journal([
        'Aug 24 09:29:59 c8 systemd[1]: Starting IPv4 firewall with iptables...',
        'Aug 24 09:29:59 c8 iptables.init[8259]: iptables: Applying firewall rules: iptables-restore: line 9 failed',
        'Aug 24 09:29:59 c8 iptables.init[8259]: [FAILED]',
        'Aug 24 09:29:59 c8 systemd[1]: iptables.service: Main process exited, code=exited, status=1/FAILURE',
        "Aug 24 09:29:59 c8 systemd[1]: iptables.service: Failed with result 'exit-code'.",
      ]),
      'iptables.service',
    );
    expect(restoreIssues(msgs, 'ipv4').map((i) => [i.kind, i.fileLine, i.backend])).toEqual([
      ['table-rejected', 9, 'legacy'],
    ]);
    expect(restoreIssues(msgs, 'ipv6')).toEqual([]);
    expect(unitOutcome(msgs).failed.map((m) => m.kind)).toEqual(['unit-exit', 'unit-result']);
  });

  it('parse errors, unknown extensions, missing chains, tables, COMMIT and nf_tables', () => {
    const msgs = scanLoaderJournal(
      journal(
        [
          "h iptables-restore[10]: iptables-restore v1.8.9 (legacy): Couldn't load match `geoip':No such file or directory",
          'h iptables-restore[10]: Error occurred at line: 4',
          "h iptables-restore[11]: iptables-restore v1.8.9 (nf_tables): Chain 'NOSUCH' does not exist",
          'h iptables-restore[11]: Error occurred at line: 4',
          "h iptables-restore[12]: Bad argument `this'",
          'h iptables-restore[12]: Error occurred at line: 2',
          'h iptables-restore[13]: iptables-restore: COMMIT expected at line 4',
          'h iptables-restore[14]: Failed to initialize nft: Protocol not supported',
          "h iptables-restore[15]: iptables-restore v1.8.9 (legacy): iptables-restore: unable to initialize table 'nat'",
          'h iptables-restore[15]: Error occurred at line: 1',
        ].map((l) => `Nov 23 10:00:00.00 ${l}`),
      ),
      'iptables.service',
    );
    const issues = restoreIssues(msgs, 'ipv4');
    expect(issues.map((i) => [i.kind, i.fileLine ?? null])).toEqual([
      ['unknown-extension', 4],
      ['chain-missing', 4],
      ['parse-error', 2],
      ['commit-missing', 4],
      ['nft-unavailable', null],
      ['table-unavailable', 1],
    ]);
    expect(issues[0]!.extensions).toEqual([{ name: 'geoip', kind: 'match' }]);
    expect(issues[1]!.chain).toBe('NOSUCH');
    expect(issues[5]!.table).toBe('nat');
  });

  it('a geoip database libxt_geoip could not open: no line number, the rules that name the country', () => {
    // journalctl -b of lab scenario geoip-no-database (Debian 12, nf_tables), word for word.
    const msgs = scanLoaderJournal(
      journal([
        'Dec 03 16:22:42.500000 nflab netfilter-persistent[218]: run-parts: executing /usr/share/netfilter-persistent/plugins.d/15-ip4tables start',
        'Dec 03 16:22:45.101293 nflab netfilter-persistent[223]: Could not open /usr/share/xt_geoip/CN.iv4: No such file or directory',
        'Dec 03 16:22:45.117813 nflab netfilter-persistent[223]: iptables-restore v1.8.9 (nf_tables): Could not read geoip database',
        'Dec 03 16:22:45.119306 nflab netfilter-persistent[222]: Error: IPv4 rules failed test load. New rules NOT loaded',
      ]),
      NFP,
    );
    const issues = restoreIssues(msgs, 'ipv4');
    expect(issues.map((i) => [i.kind, i.database, i.fileLine, i.testLoad, i.messages.length])).toEqual([
      ['geoip-database', '/usr/share/xt_geoip/CN.iv4', undefined, true, 2],
    ]);
    const text =
      '*filter\n:INPUT DROP [0:0]\n-A INPUT -m geoip --src-cc DE -j ACCEPT\n-A INPUT -m geoip --src-cc RU,cn -j DROP\nCOMMIT\n';
    const saved = {
      path: '/etc/iptables/rules.v4',
      family: 'ipv4',
      text,
      ruleset: parseIptablesSaveFamily(text, '/etc/iptables/rules.v4', 'ipv4').value,
    } as SavedRules;
    expect(locateIssue(issues[0]!, saved, undefined).rules.map((r) => r.line)).toEqual([4]);
  });

  it('a geoip database file that is not whole records (lab scenario geoip-corrupt, word for word)', () => {
    const msgs = scanLoaderJournal(
      journal([
        'Dec 03 17:57:52.000000 nflab netfilter-persistent[207]: run-parts: executing /usr/share/netfilter-persistent/plugins.d/15-ip4tables start',
        'Dec 03 17:57:54.419548 nflab netfilter-persistent[211]: iptables-restore v1.8.9 (nf_tables): Database file /usr/share/xt_geoip/CN.iv4 seems to be corrupted',
        'Dec 03 17:57:54.435035 nflab netfilter-persistent[210]: Error: IPv4 rules failed test load. New rules NOT loaded',
      ]),
      NFP,
    );
    expect(restoreIssues(msgs, 'ipv4').map((i) => [i.kind, i.database, i.testLoad])).toEqual([
      ['geoip-database', '/usr/share/xt_geoip/CN.iv4', true],
    ]);
  });

  it('a restart after the failure supersedes it', () => {
    const msgs = scanLoaderJournal(
      journal([
        'Nov 23 10:57:55.92 host systemd[1]: netfilter-persistent.service: Main process exited, code=exited, status=1/FAILURE',
        'Nov 23 11:20:00.00 host systemd[1]: Finished netfilter-persistent.service - netfilter persistent configuration.',
      ]),
      NFP,
    );
    expect(unitOutcome(msgs).recovered?.text).toMatch(/^Finished/);
  });
});
