// RHEL-family iptables-services, from the package's real files (src/parsers/__samples__/iptables-services,
// SOURCES.md there): what iptables.init does, in which order, with which wording, in RHEL 7 and RHEL 8, and that
// nfdoctor reads that wording in the journal.
import { describe, it, expect } from 'vitest';
import { RHEL_FILES, iptablesInitEcho, specSed } from '../../testing/distro-hosts.ts';
import { parseJournalShort } from '../../parsers/journal.ts';
import { scanLoaderJournal } from './journal-errors.ts';
import { rhelFailedStartJournal } from '../distro-scenarios.ts';

/** The body of shell function `name` in `script` (from "name() {" to the closing "}" at column 0). */
function fn(script: string, name: string): string {
  const start = script.indexOf(`\n${name}() {\n`);
  const end = script.indexOf('\n}\n', start);
  if (start < 0 || end < 0) {
    throw new Error(`no ${name}() in iptables.init`);
  }
  return script.slice(start, end);
}

describe.each([
  ['RHEL 7', RHEL_FILES.init7],
  ['RHEL 8', RHEL_FILES.init8],
])('iptables.init of %s as shipped', (_, script) => {
  it('restores /etc/sysconfig/iptables first and modprobes IPTABLES_MODULES only after it succeeded', () => {
    const start = fn(script, 'start');
    const restore = start.search(/\$IPTABLES(_RESTORE_CMD|-restore) \$OPT \$IPTABLES_DATA/);
    const failReturn = start.indexOf('return 1', restore);
    const modules = start.indexOf('for mod in $IPTABLES_MODULES');
    expect(restore).toBeGreaterThan(0);
    expect(failReturn).toBeGreaterThan(restore);
    expect(modules).toBeGreaterThan(failReturn);
    expect(script).toMatch(/^IPTABLES_DATA=\/etc\/sysconfig\/\$IPTABLES$/m);
    expect(script).toMatch(/^IPTABLES_MODULES=""$/m);
    expect(script.indexOf('. "$IPTABLES_CONFIG"')).toBeGreaterThan(script.indexOf('IPTABLES_MODULES=""'));
  });

  it('saves the live rules over the file before stop / restart when IPTABLES_SAVE_ON_STOP / _RESTART say yes', () => {
    expect(script).toMatch(/^IPTABLES_SAVE_ON_STOP="no"$/m);
    expect(script).toMatch(/^IPTABLES_SAVE_ON_RESTART="no"$/m);
    expect(script).toMatch(/ {4}stop\)\n\t\[ "x\$IPTABLES_SAVE_ON_STOP" = "xyes" \] && save\n\tstop\n/);
    expect(fn(script, 'restart')).toMatch(
      /\[ "x\$IPTABLES_SAVE_ON_RESTART" = "xyes" \] && save\n {4}stop\n {4}start/,
    );
    // save() keeps the file it replaces as $IPTABLES_DATA.save.
    expect(fn(script, 'save')).toContain('cp -f $IPTABLES_DATA $IPTABLES_DATA.save');
  });

  it('prints the wording nfdoctor recognises', () => {
    expect(iptablesInitEcho(script, 'Applying firewall rules')).toBe('iptables: Applying firewall rules: ');
    expect(iptablesInitEcho(script, 'No config file')).toBe('iptables: No config file.');
    expect(iptablesInitEcho(script, 'fallback')).toBe('iptables: Applying firewall fallback rules: ');
    expect(iptablesInitEcho(script, 'Loading additional modules')).toBe(
      'iptables: Loading additional modules: ',
    );
  });
});

describe('RHEL 7 and RHEL 8 differ in stop()', () => {
  it('only RHEL 7 unloads netfilter modules (IPTABLES_MODULES_UNLOAD, default yes)', () => {
    expect(RHEL_FILES.init7).toMatch(/^IPTABLES_MODULES_UNLOAD="yes"$/m);
    expect(fn(RHEL_FILES.init7, 'stop')).toContain('if [ "x$IPTABLES_MODULES_UNLOAD" = "xyes" ]; then');
    expect(RHEL_FILES.init7).toContain('NF_MODULES_COMMON=(x_tables nf_nat nf_conntrack)');
    expect(RHEL_FILES.init8).not.toContain('IPTABLES_MODULES_UNLOAD');
  });
});

describe('the IPv6 files are the spec sed of the IPv4 ones', () => {
  it('ip6tables.init restores /etc/sysconfig/ip6tables and says "ip6tables:"', () => {
    const init6 = specSed('ip6tables.init', RHEL_FILES.init8);
    expect(init6).toMatch(/^IP6TABLES=ip6tables$/m);
    expect(init6).toMatch(/^IP6TABLES_DATA=\/etc\/sysconfig\/\$IP6TABLES$/m);
    expect(
      iptablesInitEcho(init6.replaceAll('${IP6TABLES}', '${IPTABLES}'), 'No config file', 'ip6tables'),
    ).toBe('ip6tables: No config file.');
  });
});

describe('the journal of a failed iptables.service', () => {
  const entries = parseJournalShort(rhelFailedStartJournal(), 'journalctl -b').value;

  it("reads the restore's errors behind the init's prefix, and PID 1's verdict", () => {
    const kinds = scanLoaderJournal(entries, 'iptables.service').map((m) => m.kind);
    expect(kinds).toEqual([
      'extension-warning',
      'extension-warning',
      'restore-header',
      'rule-failed',
      'rule-failed',
      'unit-exit',
      'unit-result',
    ]);
    expect(entries[1]?.message).toMatch(/^iptables: Applying firewall rules: Warning: Extension recent/);
  });

  it('recognises "No config file.", the fallback and a failed IPTABLES_MODULES load', () => {
    const script = RHEL_FILES.init8;
    const text = [
      `Nov 23 11:03:50.000001 r8 iptables.init[700]: ${iptablesInitEcho(script, 'No config file')}[WARNING]`,
      `Nov 23 11:03:50.000002 r8 iptables.init[701]: ${iptablesInitEcho(script, 'fallback')}[  OK  ]`,
      `Nov 23 11:03:50.000003 r8 iptables.init[702]: ${iptablesInitEcho(script, 'Loading additional modules')}xt_recent [FAILED]`,
    ].join('\n');
    const msgs = scanLoaderJournal(parseJournalShort(text, 'j').value, 'iptables.service');
    expect(msgs.map((m) => [m.kind, m.name, m.family])).toEqual([
      ['no-rules-file', '/etc/sysconfig/iptables', 'ipv4'],
      ['fallback-applied', '/etc/sysconfig/iptables.fallback', 'ipv4'],
      ['modules-failed', 'xt_recent', 'ipv4'],
    ]);
  });
});
