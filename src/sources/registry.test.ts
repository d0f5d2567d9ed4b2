import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLLECTOR_SCRIPT } from './collector-script.generated.ts';
import {
  COLLECTOR_TABLE_BEGIN,
  COLLECTOR_TABLE_END,
  FACTS,
  commandSpecs,
  expandFacts,
  matchPattern,
  registryNamesFile,
  renderCollectorTable,
  type Precondition,
} from './registry.ts';

const scriptPath = new URL('../../collector/nfdoctor-collect.sh', import.meta.url);
const script = readFileSync(scriptPath, 'utf8');

function scriptTable(text: string): string {
  const begin = text.indexOf(COLLECTOR_TABLE_BEGIN);
  const end = text.indexOf(COLLECTOR_TABLE_END);
  expect(begin).toBeGreaterThan(-1);
  expect(end).toBeGreaterThan(begin);
  return text.slice(begin + COLLECTOR_TABLE_BEGIN.length + 1, end).replace(/\n$/, '');
}

describe('registry and shell collector agree', () => {
  it('the collector declares exactly the registry facts (run node scripts/gen-collector-module.mjs)', () => {
    expect(scriptTable(script)).toBe(renderCollectorTable());
  });

  it('the embedded collector module is the script (run node scripts/gen-collector-module.mjs)', () => {
    expect(COLLECTOR_SCRIPT).toBe(script);
  });

  it('parses back from the table: every row names a registry fact with the same paths and argv', () => {
    const rows = scriptTable(script)
      .split('\n')
      .map((l) => l.split('\t'));
    for (const row of rows) {
      const [kind, id] = row;
      const fact = FACTS.find((f) => f.id === id);
      expect(fact, `row ${row.join(' ')}`).toBeDefined();
      if (fact?.kind === 'command') {
        expect(kind).toBe('cmd');
        expect(row[2]).toBe(fact.precondition ?? '-');
        expect(row[4]?.split(' ')).toEqual(fact.argv);
      } else if (fact?.kind === 'glob') {
        expect(fact.dirs).toContain(row[2]);
        expect(row[3]).toBe(fact.pattern);
      } else if (fact !== undefined) {
        expect(fact.paths).toContain(row[2]);
      }
    }
  });

  it('every precondition the registry uses is implemented by the shell collector', () => {
    const used = new Set(commandSpecs().flatMap((c) => (c.precondition ? [c.precondition] : [])));
    const all: Precondition[] = [
      'systemd',
      'nf_tables',
      'ip_set',
      'ip_tables',
      'ip6_tables',
      'iptables-variant',
      'iptables-backend',
      'ip6tables-backend',
    ];
    const body = script.slice(script.indexOf('precondition() {'));
    for (const p of all) {
      expect(body, p).toMatch(new RegExp(`(^|[ |])${p.replace(/[-]/g, '\\-')}( |\\))`, 'm'));
    }
    expect([...used].every((p) => all.includes(p))).toBe(true);
  });
});

describe('registry data', () => {
  it('has unique ids and well-formed entries', () => {
    const ids = FACTS.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const f of FACTS) {
      expect(f.id).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(f.why.length).toBeGreaterThan(10);
      const paths = f.kind === 'command' ? [] : f.kind === 'glob' ? f.dirs : f.paths;
      for (const p of paths) {
        expect(p).toMatch(/^\/[^\t\n'\\]*$/);
        expect(p).not.toMatch(/\.ko(\.|$)/);
      }
      if (f.kind === 'glob') {
        expect(f.pattern).toMatch(/^[A-Za-z0-9._*?-]+$/);
      }
      if (f.kind === 'command') {
        // argv words travel through the shell table as space-separated words
        for (const w of f.argv) {
          expect(w).toMatch(/^[^\s'"]+$/);
        }
        expect(f.timeoutMs).toBeGreaterThan(0);
      }
    }
  });

  it('names the facts the issue asks for', () => {
    const { files, globs, dirs } = expandFacts(['6.1.0-test']);
    const filePaths = files.map((f) => f.path);
    for (const p of [
      '/etc/iptables/rules.v4',
      '/etc/iptables/rules.v6',
      '/etc/iptables/ipsets',
      '/etc/sysconfig/iptables',
      '/etc/sysconfig/ip6tables',
      '/etc/sysconfig/iptables-config',
      '/etc/iptables/iptables.rules',
      '/etc/modules',
      '/etc/default/netfilter-persistent',
      '/etc/os-release',
      '/proc/modules',
      '/proc/cmdline',
      '/proc/sys/kernel/modules_disabled',
      '/proc/sys/kernel/modprobe',
      '/proc/net/ip_tables_names',
      '/lib/modules/6.1.0-test/modules.dep',
      '/lib/modules/6.1.0-test/modules.alias',
      '/lib/modules/6.1.0-test/modules.builtin',
      '/etc/systemd/system/netfilter-persistent.service',
      '/lib/systemd/system/netfilter-persistent.service',
      '/usr/lib/systemd/system/netfilter-persistent.service',
      '/run/systemd/system/netfilter-persistent.service',
      '/etc/init.d/netfilter-persistent',
    ]) {
      expect(filePaths, p).toContain(p);
    }
    const globDirs = globs.map((g) => g.dir);
    for (const d of [
      '/etc/modules-load.d',
      '/run/modules-load.d',
      '/usr/lib/modules-load.d',
      '/etc/modprobe.d',
      '/lib/modprobe.d',
      '/etc/sysctl.d',
      '/boot',
      '/usr/share/netfilter-persistent/plugins.d',
      '/etc/systemd/system/netfilter-persistent.service.d',
    ]) {
      expect(globDirs, d).toContain(d);
    }
    expect(dirs.map((d) => d.path)).toContain('/etc/systemd/system');
    const cmds = commandSpecs().map((c) => c.id);
    for (const id of [
      'uname-r',
      'iptables-version',
      'iptables-save.nft',
      'iptables-save.legacy',
      'ip6tables-save.nft',
      'ip6tables-save.legacy',
      'ipset-save',
      'systemctl.show.netfilter-persistent',
      'systemctl.status.netfilter-persistent',
      'systemctl.is-enabled.netfilter-persistent',
      'systemctl.failed',
      'journal.boot',
      'journal.prev-boot',
      'systemd-detect-virt',
      'dpkg-query',
      'rpm-q',
      'update-alternatives.iptables',
    ]) {
      expect(cmds, id).toContain(id);
    }
  });

  it('never runs a tool that can autoload a module without a precondition', () => {
    const risky =
      /^(iptables|ip6tables|iptables-nft-save|ip6tables-nft-save|iptables-legacy-save|ip6tables-legacy-save|iptables-save|ip6tables-save|ipset|nft)$/;
    for (const c of commandSpecs()) {
      if (risky.test(c.argv[0] ?? '')) {
        expect(c.precondition, c.id).toBeDefined();
      }
      // nothing that lists rules with iptables -L (autoloads on legacy) or loads modules
      expect(c.argv).not.toContain('-L');
      expect(c.argv[0]).not.toMatch(/^(modprobe|insmod|rmmod|sysctl)$/);
    }
  });

  it('matches glob patterns like sh case patterns', () => {
    expect(matchPattern('*.conf', 'a.conf')).toBe(true);
    expect(matchPattern('*.conf', '.hidden.conf')).toBe(true);
    expect(matchPattern('*.conf', 'a.conf.bak')).toBe(false);
    expect(matchPattern('config-*', 'config-6.1.0')).toBe(true);
    expect(matchPattern('a?c', 'abc')).toBe(true);
    expect(matchPattern('a.c', 'abc')).toBe(false);
  });

  it('knows which canonical paths it names', () => {
    expect(registryNamesFile('/usr/lib/os-release', [])).toBe(true);
    expect(registryNamesFile('/etc/modprobe.d/x.conf', [])).toBe(true);
    expect(registryNamesFile('/etc/modprobe.d/README', [])).toBe(false);
    expect(registryNamesFile('/etc/shadow', [])).toBe(false);
    expect(registryNamesFile('/usr/lib/modules/6.1/modules.dep', ['6.1'])).toBe(true);
  });
});
