// Every fix every check proposes on every real fixture host is typed data that an applier can use: valid
// names, line edits that name the exact current line of that host's file, files nfdoctor owns, and free text
// only in `manual` steps.
import { describe, it, expect } from 'vitest';
import {
  distroHost,
  MODPROBE_BLOCK_RECENT,
  okFact,
  rhelConfig,
  rhelTree,
  showUnit,
} from '../testing/distro-hosts.ts';
import { rhelFailedStartJournal } from './distro-scenarios.ts';
import { buildHostModel } from '../model/host-model.ts';
import { runChecks } from './engine.ts';
import { CHECKS } from './index.ts';
import { planFix, selectSteps } from '../fixes/plan.ts';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labHost, LAB_CAPTURES } from '../testing/lab-host.ts';
import { memoryReader } from '../testing/memory-reader.ts';
import { openSnapshot } from '../sources/snapshot-reader.ts';
import { WRITTEN_BY_MARKER, invalidReason, type Action } from '../fixes/actions.ts';
import { commentLine, disableLine, rawLine, replaceLine } from './fix-actions.ts';
import type { HostReader } from '../sources/host-reader.ts';
import { conflictingTargets, renderShellScript } from '../fixes/render-sh.ts';
import { spawnSync } from 'node:child_process';

const HOSTS = join(import.meta.dirname, '../../fixtures/hosts');

/** The fields each kind may carry: anything else would be free text outside `manual`. */
const FIELDS: Readonly<Record<Action['kind'], readonly string[]>> = {
  'comment-line': ['kind', 'why', 'risk', 'file', 'line', 'expect'],
  'replace-line': ['kind', 'why', 'risk', 'file', 'line', 'expect', 'text'],
  'write-file': ['kind', 'why', 'risk', 'path', 'content', 'mode'],
  'remove-file': ['kind', 'why', 'risk', 'path'],
  systemctl: ['kind', 'why', 'risk', 'verb', 'unit'],
  modprobe: ['kind', 'why', 'risk', 'module'],
  manual: ['kind', 'why', 'instruction', 'command'],
};

function hosts(): { name: string; open: () => Promise<HostReader> }[] {
  const snapshots = readdirSync(HOSTS)
    .filter((f) => f.endsWith('.tar.gz'))
    .map((f) => ({ name: `hosts/${f}`, open: () => openSnapshot(join(HOSTS, f)) }));
  const captures = readdirSync(LAB_CAPTURES)
    .filter((d) => statSync(join(LAB_CAPTURES, d)).isDirectory())
    .map((d) => ({ name: `lab-captures/${d}`, open: () => Promise.resolve(labHost(d)) }));
  return [...snapshots, ...captures];
}

async function lineOf(reader: HostReader, file: string, line: number): Promise<string | undefined> {
  const f = await reader.readFile(file);
  return f.status === 'ok' ? f.content.toString('utf8').split('\n')[line - 1] : undefined;
}

describe('every check emits typed actions on every fixture host', () => {
  const kinds = new Set<string>();
  for (const host of hosts()) {
    it(host.name, async () => {
      const reader = await host.open();
      const model = await buildHostModel(reader);
      const result = runChecks(CHECKS, model);
      // The whole host's plan can be scripted: no two findings change one target in two ways.
      const all = result.findings.flatMap((f) => f.fix?.actions ?? []);
      expect(conflictingTargets(all)).toEqual([]);
      expect(spawnSync('dash', ['-n'], { input: renderShellScript(all) }).status).toBe(0);
      for (const f of result.findings) {
        for (const a of f.fix?.actions ?? []) {
          kinds.add(a.kind);
          const at = `${f.id}: ${JSON.stringify(a)}`;
          expect(invalidReason(a), at).toBeUndefined();
          expect(
            Object.keys(a).filter((k) => !FIELDS[a.kind].includes(k)),
            at,
          ).toEqual([]);
          expect(a.why.trim(), at).not.toBe('');
          if (a.kind === 'comment-line' || a.kind === 'replace-line') {
            expect(await lineOf(reader, a.file, a.line), at).toBe(a.expect);
          }
          if (a.kind === 'write-file') {
            expect(a.content.startsWith(`${WRITTEN_BY_MARKER}\n`), at).toBe(true);
            expect(a.mode, at).toBe(0o644);
          }
          if (a.kind === 'manual') {
            expect(a.instruction.trim(), at).not.toBe('');
          }
        }
      }
    });
  }
  it('the fixtures exercise line edits, systemctl and manual steps', () => {
    for (const k of ['comment-line', 'replace-line', 'systemctl', 'manual']) {
      expect(kinds.has(k), k).toBe(true);
    }
  });
});

describe('line edits name the exact line or become manual steps', () => {
  const files = {
    '/etc/modprobe.d/crlf.conf': 'blacklist a\r\nblacklist b\r\n',
    '/etc/modprobe.d/cont.conf': 'install x \\\n  /bin/false\n',
    '/etc/modprobe.d/plain.conf': '  blacklist xt_recent  \n',
    '/lib/modprobe.d/pkg.conf': '# packaged\nblacklist xt_recent\n',
  };
  const model = (): ReturnType<typeof buildHostModel> => buildHostModel(memoryReader({ files }));
  async function withFiles(): Promise<Awaited<ReturnType<typeof buildHostModel>>> {
    const m = await model();
    // The model keeps only files it reads; these are read through modprobe.d only with a kernel release.
    return { ...m, fileText: new Map(Object.entries(files)) };
  }

  it('keeps the raw line, spaces included', async () => {
    const m = await withFiles();
    expect(rawLine(m, '/etc/modprobe.d/plain.conf', 1)).toBe('  blacklist xt_recent  ');
    expect(rawLine(m, '/etc/modprobe.d/plain.conf', 2)).toBeUndefined();
    expect(commentLine(m, '/etc/modprobe.d/plain.conf', 1, 'safe', 'w')).toEqual({
      kind: 'comment-line',
      file: '/etc/modprobe.d/plain.conf',
      line: 1,
      expect: '  blacklist xt_recent  ',
      risk: 'safe',
      why: 'w',
    });
  });

  it('a CRLF line, a continued line or an unread file gives a manual step', async () => {
    const m = await withFiles();
    expect(commentLine(m, '/etc/modprobe.d/crlf.conf', 1, 'safe', 'w').kind).toBe('manual');
    expect(commentLine(m, '/etc/modprobe.d/cont.conf', 1, 'safe', 'w').kind).toBe('manual');
    expect(replaceLine(m, '/etc/nope.conf', 1, 'x', 'safe', 'w').kind).toBe('manual');
    expect(commentLine(m, 'relative.conf', 1, 'safe', 'w').kind).toBe('manual');
  });

  it('a packaged modprobe.d file is overridden by a file of the same name in /etc', async () => {
    const m = await withFiles();
    const a = disableLine(m, '/lib/modprobe.d/pkg.conf', 2, 'safe', 'w');
    expect(a).toMatchObject({
      kind: 'write-file',
      path: '/etc/modprobe.d/pkg.conf',
      content: `${WRITTEN_BY_MARKER}\n# packaged\n# disabled by nfdoctor: blacklist xt_recent\n`,
      mode: 0o644,
    });
  });
});

describe('restarting the loader of iptables-services with IPTABLES_SAVE_ON_STOP="yes"', () => {
  // The RHEL 8 host of distro-scenarios' rhel8-fallback-loaded: the unit is active with the fallback rules
  // live; a `systemctl restart` would run iptables.init stop, whose save() writes them over the saved file.
  async function planOn(config: string) {
    const host = distroHost(
      rhelTree({
        enabled: ['iptables.service'],
        files: {
          '/etc/modprobe.d/no-xt-recent.conf': MODPROBE_BLOCK_RECENT,
          '/etc/sysconfig/iptables-config': config,
        },
      }),
      {
        lsmodFrom: 'missing-xt-recent',
        commands: {
          'journal.boot': okFact(rhelFailedStartJournal()),
          'systemctl.show.iptables': showUnit('iptables.service', 'failed', 'exit-code'),
          'systemctl.is-enabled.iptables': okFact('enabled\n'),
          'iptables-save.default': okFact(''),
          'iptables-save.nft': okFact(''),
        },
      },
    );
    const result = runChecks(CHECKS, await buildHostModel(host));
    return selectSteps(planFix(result.findings), { includeReview: false, noRestart: false });
  }

  it('applies a restart with the package default, and only offers reload-or-restart with the setting', async () => {
    const restart = (s: Awaited<ReturnType<typeof planOn>>) =>
      s.apply.some((st) => st.action.kind === 'systemctl' && st.action.verb === 'restart');
    expect(restart(await planOn(rhelConfig()))).toBe(true);
    const saving = await planOn(rhelConfig({ IPTABLES_SAVE_ON_STOP: 'yes' }));
    expect(restart(saving)).toBe(false);
    const manualSteps = saving.skipped.map((x) => x.step.action).filter((a) => a.kind === 'manual');
    expect(manualSteps).toContainEqual(
      expect.objectContaining({
        command: 'sudo systemctl reload-or-restart iptables.service',
        instruction: expect.stringMatching(
          /with reload, not restart: with IPTABLES_SAVE_ON_STOP="yes" \(\/etc\/sysconfig\/iptables-config line \d+\) a restart first saves the live rules over the saved file/,
        ),
      }),
    );
  });
});
