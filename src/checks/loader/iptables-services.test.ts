// RHEL-family iptables-services, from the real iptables.init of the package (src/parsers/__samples__/
// iptables-services, see SOURCES.md there): the order start() runs things in, and its own wording in the
// journal, diagnosed end to end on a RHEL-shaped tree built from the missing-xt-recent lab capture.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHostModel } from '../../model/host-model.ts';
import { runChecks } from '../engine.ts';
import { CHECKS } from '../index.ts';
import { labHost, labAvailable, LAB_CAPTURES } from '../../testing/lab-host.ts';

const SAMPLES = join(import.meta.dirname, '../../parsers/__samples__/iptables-services');
const START = readFileSync(join(SAMPLES, 'iptables.init.start'), 'utf8');
const HEAD = readFileSync(join(SAMPLES, 'iptables.init.head'), 'utf8');
const CONFIG = readFileSync(join(SAMPLES, 'iptables-config'), 'utf8');

/** The message an `echo -n $"${IPTABLES}: ..."` line of iptables.init prints for iptables.service. */
function echoed(text: string, what: RegExp): string {
  const line = text.split('\n').find((l) => /echo -n \$"/.test(l) && what.test(l));
  const m = /echo -n \$"(.*)"/.exec(line ?? '');
  if (m?.[1] === undefined) {
    throw new Error(`no echo matching ${String(what)} in iptables.init`);
  }
  return m[1].replaceAll('${IPTABLES}', 'iptables');
}

describe('iptables.init (iptables-services) as shipped', () => {
  it('restores the rules before it loads IPTABLES_MODULES, and only when the restore succeeded', () => {
    const restore = START.indexOf('$IPTABLES_RESTORE_CMD $OPT $IPTABLES_DATA');
    const failReturn = START.indexOf('return 1', restore);
    const modules = START.indexOf('for mod in $IPTABLES_MODULES');
    expect(restore).toBeGreaterThan(0);
    expect(failReturn).toBeGreaterThan(restore);
    expect(modules).toBeGreaterThan(failReturn);
    // Defaults before the config is sourced: no extra modules unless iptables-config names them.
    expect(HEAD).toMatch(/^IPTABLES_MODULES=""$/m);
    expect(HEAD.indexOf('. "$IPTABLES_CONFIG"')).toBeGreaterThan(HEAD.indexOf('IPTABLES_MODULES=""'));
  });
});

describe.skipIf(!labAvailable)('a RHEL host whose iptables.service fails on a blocked module', () => {
  const applying = echoed(START, /Applying firewall rules/);
  const rules = readFileSync(join(LAB_CAPTURES, 'missing-xt-recent/files/etc/iptables/rules.v4'), 'utf8');
  const reader = labHost('missing-xt-recent', {
    drop: ['/etc/iptables/rules.v4', '/etc/iptables/ipsets', '/etc/default/netfilter-persistent'],
    files: {
      '/etc/sysconfig/iptables': rules,
      // The package's own file, with the module the rules need listed where an admin would list it.
      '/etc/sysconfig/iptables-config': CONFIG.replace(
        /^IPTABLES_MODULES=".*"$/m,
        'IPTABLES_MODULES="xt_recent"',
      ),
      '/etc/os-release': 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n',
    },
    commands: {
      'journal.boot': {
        id: 'journal.boot',
        status: 'ok',
        stderr: '',
        exitCode: 0,
        stdout: [
          'Nov 23 11:03:50.000000 r9 systemd[1]: Starting IPv4 firewall with iptables...',
          `Nov 23 11:03:50.100000 r9 iptables.init[612]: ${applying}iptables-restore v1.8.10 (nf_tables): Couldn't load match \`recent':No such file or directory`,
          'Nov 23 11:03:50.100001 r9 iptables.init[612]: Error occurred at line: 7',
          "Nov 23 11:03:50.100002 r9 iptables.init[612]: Try `iptables-restore -h' or 'iptables-restore --help' for more information.",
          'Nov 23 11:03:50.100003 r9 iptables.init[612]: [FAILED]',
          'Nov 23 11:03:50.200000 r9 systemd[1]: iptables.service: Main process exited, code=exited, status=1/FAILURE',
          "Nov 23 11:03:50.300000 r9 systemd[1]: iptables.service: Failed with result 'exit-code'.",
        ].join('\n'),
      },
    },
  });

  it('uses the real wording of iptables.init', () => {
    expect(applying).toBe('iptables: Applying firewall rules: ');
  });

  it('hangs the failed restore under the blocked module and says IPTABLES_MODULES cannot help', async () => {
    const result = runChecks(CHECKS, await buildHostModel(reader));
    const root = result.findings.find((f) => f.id === 'kmod/module-unavailable#xt_recent:blocked');
    expect(root?.causedBy).toEqual([]);
    expect(root?.evidence).toContainEqual(
      expect.objectContaining({ source: '/etc/sysconfig/iptables-config', line: 6 }),
    );
    const failed = result.findings.filter((f) => f.checkId === 'loader/restore-failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(
      failed.some((f) => f.causedBy.includes('kmod/module-unavailable#xt_recent:blocked')),
      failed.map((f) => `${f.id} <- ${f.causedBy.join(',')}`).join('; '),
    ).toBe(true);
  });
});
