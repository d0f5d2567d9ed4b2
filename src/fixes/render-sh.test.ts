// The generated script runs for real under dash and busybox sh against a --root-style tree copied from a real
// lab capture, with the actions the checks propose for that host plus the kinds the capture does not need.
import { describe, it, expect, beforeEach } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { labHost, LAB_CAPTURES } from '../testing/lab-host.ts';
import { buildHostModel } from '../model/host-model.ts';
import { runChecks } from '../checks/engine.ts';
import { CHECKS } from '../checks/index.ts';
import { COMMENT_PREFIX, WRITTEN_BY_MARKER, type Action } from './actions.ts';
import { actionKey, renderShellScript, uniqueActions } from './render-sh.ts';

const SCENARIO = 'modules-load-fails-requires';
const SHELLS = [
  ['dash', ['dash']],
  ['busybox sh', ['busybox', 'sh']],
] as const;
const available = (argv: readonly string[]): boolean =>
  spawnSync(argv[0] ?? '', [...argv.slice(1), '-c', 'true']).status === 0;

const MODPROBE = '/etc/modprobe.d/nflab-xt-recent-bad-option.conf';
const DROPIN = '/etc/systemd/system/netfilter-persistent.service.d/nflab-old-debian-requires.conf';
const OWNED = '/etc/modules-load.d/nfdoctor-old.conf';

async function scenarioActions(): Promise<Action[]> {
  const model = await buildHostModel(labHost(SCENARIO));
  return runChecks(CHECKS, model).findings.flatMap((f) => f.fix?.actions ?? []);
}

/** The capture's files as a mounted root, with Debian's modules.conf -> ../modules link. */
function makeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'nfdoctor-sh-'));
  cpSync(join(LAB_CAPTURES, SCENARIO, 'files'), root, { recursive: true });
  mkdirSync(join(root, 'etc/modules-load.d'), { recursive: true });
  symlinkSync('../modules', join(root, 'etc/modules-load.d/modules.conf'));
  writeFileSync(join(root, OWNED), `${WRITTEN_BY_MARKER}\nold\n`);
  return root;
}

/** Every file and link under root (backups excluded) with its content/target and mode. */
function snapshot(root: string, dir = root): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    const rel = relative(root, p);
    if (rel === 'var/lib/nfdoctor') {
      continue;
    }
    const st = lstatSync(p);
    if (st.isSymbolicLink()) {
      out[rel] = `-> ${readlinkSync(p)}`;
    } else if (st.isDirectory()) {
      Object.assign(out, snapshot(root, p));
    } else {
      out[rel] = `${(st.mode & 0o777).toString(8)} ${readFileSync(p, 'utf8')}`;
    }
  }
  return out;
}

function run(
  argv: readonly string[],
  script: string,
  root: string,
  path = '/usr/bin:/bin',
): { status: number; out: string } {
  const r = spawnSync(argv[0] ?? '', [...argv.slice(1), '-s'], {
    input: script,
    env: { PATH: path, LC_ALL: 'C', NFDOCTOR_ROOT: root, NFDOCTOR_RUN_ID: 'test' },
    encoding: 'utf8',
  });
  return { status: r.status ?? -1, out: r.stdout + r.stderr };
}

let actions: Action[];
let script: string;

beforeEach(async () => {
  const found = await scenarioActions();
  actions = [
    ...found,
    {
      kind: 'write-file',
      path: '/etc/modules-load.d/nfdoctor-xt_recent.conf',
      content: `${WRITTEN_BY_MARKER}\nxt_recent\n`,
      mode: 0o644,
      risk: 'safe',
      why: 'loads it at boot',
    },
    { kind: 'remove-file', path: OWNED, risk: 'safe', why: 'an old entry nfdoctor wrote' },
    { kind: 'modprobe', module: 'xt_recent', risk: 'safe', why: 'loads it now' },
    {
      kind: 'manual',
      instruction: 'Reboot.',
      why: 'proves it',
      command: 'touch "$NFDOCTOR_ROOT/manual-ran"; reboot',
    },
  ];
  script = renderShellScript(actions, { comments: [`nfdoctor diagnose of ${SCENARIO}`] });
});

describe('renderShellScript', () => {
  it('dedupes the actions a symptom repeats from its root cause', () => {
    const keys = uniqueActions(actions).map(actionKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(actions.length).toBeGreaterThan(keys.length);
  });

  for (const [name, argv] of SHELLS) {
    describe.skipIf(!available(argv))(`under ${name}`, () => {
      it('applies the plan to a --root tree, backs up, and a second run changes nothing', () => {
        const root = makeRoot();
        const before = snapshot(root);
        const first = run(argv, script, root);
        expect(first.status, first.out).toBe(0);
        const after = snapshot(root);
        const expected = Object.fromEntries(
          Object.entries({
            ...before,
            [MODPROBE.slice(1)]: `644 ${COMMENT_PREFIX}options xt_recent ip_list_tot=0\n`,
            [DROPIN.slice(1)]: before[DROPIN.slice(1)]?.replace(
              'Requires=systemd-modules-load.service',
              'Wants=systemd-modules-load.service',
            ),
            'etc/modules-load.d/nfdoctor-xt_recent.conf': `644 ${WRITTEN_BY_MARKER}\nxt_recent\n`,
          }).filter(([k]) => k !== OWNED.slice(1)),
        );
        expect(after).toEqual(expected);
        // Backups keep the original path layout and bytes.
        const backup = join(root, 'var/lib/nfdoctor/runs/test');
        expect(readFileSync(join(backup, MODPROBE), 'utf8')).toBe('options xt_recent ip_list_tot=0\n');
        expect(readFileSync(join(backup, OWNED), 'utf8')).toBe(`${WRITTEN_BY_MARKER}\nold\n`);
        expect(readFileSync(join(backup, 'manifest'), 'utf8')).toContain(
          `create /etc/modules-load.d/nfdoctor-xt_recent.conf`,
        );
        // With a root, systemctl and modprobe are said, not run; the manual step is printed, never run.
        expect(first.out).toContain('xt_recent is loaded at the next boot');
        expect(first.out).toContain('netfilter-persistent.service starts at the next boot');
        expect(first.out).toContain('$ touch "$NFDOCTOR_ROOT/manual-ran"; reboot');
        expect(existsSync(join(root, 'manual-ran'))).toBe(false);

        const second = run(argv, script, root);
        expect(second.status, second.out).toBe(0);
        expect(second.out).toContain('nothing changed');
        expect(snapshot(root)).toEqual(after);
      });

      it('stops before changing anything when a file changed since the diagnosis', () => {
        const root = makeRoot();
        writeFileSync(join(root, DROPIN), '[Unit]\nRequires=other.service\n');
        const before = snapshot(root);
        const r = run(argv, script, root);
        expect(r.status).not.toBe(0);
        expect(r.out).toContain(`${DROPIN} line 2 changed since the diagnosis`);
        expect(snapshot(root)).toEqual(before);
        expect(existsSync(join(root, 'var/lib/nfdoctor'))).toBe(false);
      });

      it('refuses to overwrite a file it would create, and to remove a file it did not write', () => {
        const root = makeRoot();
        writeFileSync(join(root, 'etc/modules-load.d/nfdoctor-xt_recent.conf'), 'someone else\n');
        const before = snapshot(root);
        const r = run(argv, script, root);
        expect(r.status).not.toBe(0);
        expect(r.out).toContain('exists with other content: nothing was changed');
        expect(snapshot(root)).toEqual(before);

        const root2 = makeRoot();
        writeFileSync(join(root2, OWNED), 'old\n');
        const r2 = run(argv, script, root2);
        expect(r2.status).not.toBe(0);
        expect(r2.out).toContain(`${OWNED} was not written by nfdoctor`);
      });

      it('without a root runs systemctl and modprobe, skipping what is already so (fakes on PATH, no files)', () => {
        const dir = mkdtempSync(join(tmpdir(), 'nfdoctor-sh-live-'));
        const log = join(dir, 'log');
        // is-enabled: a.service enabled, b.service masked; is-active: a.service active, b.service inactive.
        writeFileSync(
          join(dir, 'systemctl'),
          `#!/bin/sh\necho "$*" >> ${log}\ncase "$*" in\n  "is-enabled --quiet a.service"|"is-active --quiet a.service") exit 0 ;;\n  "is-enabled b.service") echo masked; exit 1 ;;\n  is-*) exit 1 ;;\nesac\n`,
          { mode: 0o755 },
        );
        writeFileSync(join(dir, 'modprobe'), `#!/bin/sh\necho "modprobe $*" >> ${log}\n`, { mode: 0o755 });
        const s = renderShellScript([
          { kind: 'systemctl', verb: 'unmask', unit: 'b.service', risk: 'safe', why: 'w' },
          { kind: 'systemctl', verb: 'enable', unit: 'a.service', risk: 'safe', why: 'w' },
          { kind: 'systemctl', verb: 'enable', unit: 'b.service', risk: 'safe', why: 'w' },
          { kind: 'systemctl', verb: 'daemon-reload', risk: 'safe', why: 'w' },
          { kind: 'systemctl', verb: 'start', unit: 'a.service', risk: 'safe', why: 'w' },
          { kind: 'systemctl', verb: 'restart', unit: 'b.service', risk: 'safe', why: 'w' },
          { kind: 'modprobe', module: 'nfdoctor_no_such_module', risk: 'safe', why: 'w' },
        ]);
        // An empty NFDOCTOR_ROOT is the live host: only the fakes can be reached, the plan has no file action.
        const r = run(argv, s, '', `${dir}:/usr/bin:/bin`);
        expect(r.status, r.out).toBe(0);
        const ran = readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => !l.startsWith('is-'));
        expect(ran).toEqual([
          'unmask b.service',
          'enable b.service',
          'daemon-reload',
          'restart b.service',
          'modprobe nfdoctor_no_such_module',
          '',
        ]);
      });

      it('edits the target of an absolute symlink inside the root, not on this host', () => {
        const root = makeRoot();
        const link = join(root, 'etc/modprobe.d/abs.conf');
        writeFileSync(join(root, 'etc/real.conf'), 'blacklist xt_recent\n');
        symlinkSync('/etc/real.conf', link);
        const s = renderShellScript([
          {
            kind: 'comment-line',
            file: '/etc/modprobe.d/abs.conf',
            line: 1,
            expect: 'blacklist xt_recent',
            risk: 'safe',
            why: 'w',
          },
        ]);
        const r = run(argv, s, root);
        expect(r.status, r.out).toBe(0);
        expect(readFileSync(join(root, 'etc/real.conf'), 'utf8')).toBe(
          `${COMMENT_PREFIX}blacklist xt_recent\n`,
        );
        expect(lstatSync(link).isSymbolicLink()).toBe(true);
        expect(statSync(join(root, 'etc/real.conf')).mode & 0o777).toBe(0o644);
      });
    });
  }

  it('uses no bashisms: dash -n and checkbashisms-style constructs are absent', () => {
    expect(spawnSync('dash', ['-n'], { input: script }).status).toBe(0);
    const code = script
      .split('\n')
      .filter((l) => !/^\s*#/.test(l))
      .join('\n');
    expect(code).not.toMatch(/\[\[|\bfunction\b|\$\{[A-Za-z_]+\/\/|<<<|\bsource\b|\blocal\b|\$'/);
  });
});
