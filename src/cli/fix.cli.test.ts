// `nfdoctor fix` and `nfdoctor rollback` as a user runs them: the real CLI as a child process on roots rebuilt from
// snapshots of real broken hosts (fixtures/hosts). Exit codes, the refusal without a terminal, JSON against the
// published schema, and crash safety with a real SIGKILL at every checkpoint of a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { notRunDir, snapshotRoot, treeState, type FileSnapshot } from '../fixes/testing.ts';

const ROOT = join(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'nfdoctor-fix-cli-'));
const made: string[] = [scratch];
// The bundle of this source tree, built once: the same program the lab runs, and each run starts in a fraction
// of the time tsx needs (the crash test starts it about twenty times).
const BUNDLE = join(scratch, 'nfdoctor.cjs');
const CLI = [process.execPath, BUNDLE] as const;
beforeAll(() => {
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), BUNDLE], { encoding: 'utf8' });
  expect(b.status, b.stderr).toBe(0);
}, 120_000);
afterAll(() => {
  for (const d of made) {
    rmSync(d, { recursive: true, force: true });
  }
}, 300_000);

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function nfdoctor(args: readonly string[], env: Readonly<Record<string, string>> = {}): Run {
  const [node, ...rest] = CLI;
  // stdin is a pipe, never a terminal: what a script or the lab's agent sees.
  const r = spawnSync(node, [...rest, ...args], {
    encoding: 'utf8',
    input: '',
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const pristine = new Map<string, string>();
/** A fresh copy of the root rebuilt from snapshot `name` (rebuilt once, copied per test). */
function rootOf(name: string): string {
  let base = pristine.get(name);
  if (base === undefined) {
    base = snapshotRoot(name);
    made.push(base);
    pristine.set(name, base);
  }
  const copy = mkdtempSync(join(scratch, `${name}-`));
  cpSync(base, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addSchema(JSON.parse(readFileSync(join(ROOT, 'schema/diagnose.schema.json'), 'utf8')) as object);
const validateFix = ajv.compile(
  JSON.parse(readFileSync(join(ROOT, 'schema/fix.schema.json'), 'utf8')) as object,
);

describe('nfdoctor fix', () => {
  it('plans without changing anything: missing-xt-recent comments out the install line, restart last', () => {
    const root = rootOf('missing-xt-recent');
    const before = treeState(root);
    const r = nfdoctor(['fix', '--root', root, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const json = JSON.parse(r.stdout) as {
      plan: { steps: { action: { kind: string; file?: string }; class: string }[] };
    };
    expect(validateFix(json), JSON.stringify(validateFix.errors)).toBe(true);
    expect(json.plan.steps.map((s) => [s.action.kind, s.class])).toEqual([
      ['comment-line', 'safe'],
      ['systemctl', 'safe'],
    ]);
    expect(json.plan.steps[0]?.action.file).toBe('/etc/modprobe.d/nflab-no-xt-recent.conf');
    expect(treeState(root)).toEqual(before);
  });

  it('--apply without a terminal and without --yes refuses with exit 2 and changes nothing', () => {
    const root = rootOf('missing-xt-recent');
    const before = treeState(root);
    const r = nfdoctor(['fix', '--apply', '--root', root]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^nfdoctor: fix --apply: no terminal to ask for confirmation; pass --yes/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(treeState(root)).toEqual(before);
  });

  it.skipIf(spawnSync('script', ['--version']).status !== 0)(
    'on a terminal it shows the plan and asks; anything but yes changes nothing (exit 2)',
    () => {
      const root = rootOf('missing-xt-recent');
      const before = treeState(root);
      const cmd = [...CLI, 'fix', '--apply', '--root', root].map((w) => `'${w}'`).join(' ');
      // script(1) gives the child a real pseudo-terminal; "n" is typed at the prompt.
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', input: 'n\n' });
      expect(r.stdout).toMatch(/Apply 2 step\(s\) to .*\? \[y\/N\]/);
      expect(r.stdout).toMatch(/not confirmed; nothing changed/);
      expect(r.status).toBe(2);
      expect(treeState(root)).toEqual(before);
    },
  );

  it('refuses bad usage with exit 2: --apply on a snapshot, an unknown check, --yes without --apply', () => {
    const snap = join(ROOT, 'fixtures/hosts/missing-xt-recent.tar.gz');
    expect(nfdoctor(['fix', '--apply', '--yes', '--snapshot', snap]).stderr).toMatch(
      /--apply cannot change a snapshot/,
    );
    expect(nfdoctor(['fix', '--only', 'no/such-check', '--snapshot', snap]).status).toBe(2);
    expect(nfdoctor(['fix', '--yes', '--snapshot', snap]).status).toBe(2);
  });

  it('--apply --yes --root repairs missing-xt-recent: exit 0, only the install line changed, rollback restores it', () => {
    const root = rootOf('missing-xt-recent');
    const before = treeState(root, notRunDir);
    const r = nfdoctor(['fix', '--apply', '--yes', '--root', root, '--format', 'json']);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout) as {
      exitCode: number;
      apply: { outcome: string; runId: string; steps: { result: string }[] };
      after: { findings: unknown[] };
    };
    expect(validateFix(json), JSON.stringify(validateFix.errors)).toBe(true);
    expect(r.status).toBe(0);
    expect(json.apply.outcome).toBe('applied');
    expect(json.apply.steps.map((s) => s.result)).toEqual(['applied', 'deferred']);
    expect(json.after.findings).toEqual([]);
    const after = treeState(root, notRunDir);
    const changed = [...after.keys()].filter(
      (k) => JSON.stringify(after.get(k)) !== JSON.stringify(before.get(k)),
    );
    expect(changed).toEqual(['/etc/modprobe.d/nflab-no-xt-recent.conf']);
    // A second run finds nothing to do.
    const again = nfdoctor(['fix', '--apply', '--yes', '--root', root]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/nothing to apply/);
    const rb = nfdoctor(['rollback', '--root', root]);
    expect(rb.status).toBe(0);
    expect(rb.stdout).toMatch(/restored {2}\/etc\/modprobe.d\/nflab-no-xt-recent.conf/);
    expect(treeState(root, notRunDir)).toEqual(before);
    expect(nfdoctor(['rollback', '--list', '--root', root]).stdout).toMatch(/rolled-back/);
  }, 180_000);

  it('--format sh prints the same plan as a POSIX sh script (plan only, also for a snapshot)', () => {
    const snap = join(ROOT, 'fixtures/hosts/missing-xt-recent.tar.gz');
    const r = nfdoctor(['fix', '--snapshot', snap, '--format', 'sh']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^#!\/bin\/sh\n/);
    expect(r.stdout).toContain('/etc/modprobe.d/nflab-no-xt-recent.conf');
    expect(spawnSync('sh', ['-n'], { input: r.stdout }).status).toBe(0);
    expect(nfdoctor(['fix', '--apply', '--yes', '--format', 'sh', '--snapshot', snap]).status).toBe(2);
  });

  it('--format ansible prints the same plan as a playbook of builtin modules (plan only)', () => {
    const snap = join(ROOT, 'fixtures/hosts/missing-xt-recent.tar.gz');
    const r = nfdoctor(['fix', '--snapshot', snap, '--format', 'ansible']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('ansible.builtin.replace:');
    expect(r.stdout).toContain('!unsafe "install xt_recent /bin/false"');
    expect(r.stdout).toContain('ansible.builtin.systemd_service:');
    if (spawnSync('ansible-playbook', ['--version']).status === 0) {
      const file = join(scratch, 'fix.yml');
      writeFileSync(file, r.stdout);
      const check = spawnSync('ansible-playbook', ['--syntax-check', '-i', 'localhost,', file], {
        encoding: 'utf8',
      });
      expect(check.status, check.stderr).toBe(0);
    }
    expect(nfdoctor(['fix', '--apply', '--yes', '--format', 'ansible', '--snapshot', snap]).status).toBe(2);
  }, 60_000);

  it('healthy: nothing to fix, exit 0, nothing changed', () => {
    const root = rootOf('healthy');
    const before = treeState(root);
    const r = nfdoctor(['fix', '--apply', '--yes', '--root', root]);
    expect(r.status).toBe(0);
    expect(treeState(root)).toEqual(before);
  });

  it('ipset-missing-set: the set contents nobody saved are a manual step: exit 1, nothing made worse', () => {
    const root = rootOf('ipset-missing-set');
    const before = treeState(root, notRunDir);
    const r = nfdoctor(['fix', '--apply', '--yes', '--root', root]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/Left for a person:\n {2}- \[(manual|review)\]/);
    expect(readFileSync(join(root, 'etc/iptables/rules.v4'))).toEqual(
      Buffer.from(before.get('/etc/iptables/rules.v4')?.content ?? '', 'base64'),
    );
  });

  it('rollback refuses a file changed after the run (names it, exit 2) unless --force', () => {
    const root = rootOf('missing-xt-recent');
    expect(nfdoctor(['fix', '--apply', '--yes', '--root', root]).status).toBe(0);
    const file = join(root, 'etc/modprobe.d/nflab-no-xt-recent.conf');
    spawnSync('sh', ['-c', 'echo "# my own edit" >> "$1"', 'sh', file]);
    const r = nfdoctor(['rollback', '--root', root]);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/\/etc\/modprobe.d\/nflab-no-xt-recent.conf: changed after run/);
    expect(nfdoctor(['rollback', '--root', root, '--force']).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('install xt_recent /bin/false\n');
  }, 120_000);
});

/** Runs the CLI until it pauses at checkpoint `n` (then SIGKILLs it) or ends; true when it was killed there. */
async function killAtCheckpoint(args: readonly string[], n: number, marker: string): Promise<boolean> {
  const [node, ...rest] = CLI;
  const child = spawn(node, [...rest, ...args], {
    stdio: 'ignore',
    env: { ...process.env, NFDOCTOR_TEST_PAUSE_AFTER: String(n), NFDOCTOR_TEST_PAUSE_MARKER: marker },
  });
  const state = { exited: false };
  const ended = new Promise<void>((resolve) => {
    child.on('exit', () => {
      state.exited = true;
      resolve();
    });
  });
  const isDone = (): boolean => state.exited;
  while (!isDone() && !existsSync(marker)) {
    await new Promise((r) => setTimeout(r, 25));
  }
  if (isDone()) {
    return false;
  }
  child.kill('SIGKILL');
  await ended;
  return true;
}

function sameSnapshot(a: FileSnapshot | undefined, b: FileSnapshot | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

describe('crash safety: kill -9 at every checkpoint of a real run', () => {
  // missing-xt-recent as captured, plus a module parameter on an /etc/modules line (reached through Debian's
  // /etc/modules-load.d/modules.conf -> ../modules link): three files change (a line comment, a line rewrite
  // through a symlink, a new modprobe.d file) and two restarts are left to the next boot.
  it('every file is old or planned, never partial, and rollback restores the old tree', async () => {
    const setup = (root: string): void => {
      spawnSync('sh', ['-c', 'echo "xt_recent ip_pkt_list_tot=30" >> "$1"', 'sh', join(root, 'etc/modules')]);
    };
    const full = rootOf('missing-xt-recent');
    setup(full);
    const old = treeState(full, notRunDir);
    const done = nfdoctor(['fix', '--apply', '--yes', '--root', full]);
    expect(done.stderr).toBe('');
    expect(done.status).toBe(0);
    const planned = treeState(full, notRunDir);
    const paths = new Set([...old.keys(), ...planned.keys()]);
    const changed = [...paths].filter((p) => !sameSnapshot(old.get(p), planned.get(p)));
    expect(changed.sort()).toEqual([
      '/etc/modprobe.d/nfdoctor-xt_recent.conf',
      '/etc/modprobe.d/nflab-no-xt-recent.conf',
      '/etc/modules',
    ]);
    let kills = 0;
    for (let n = 1; n < 50; n++) {
      const root = rootOf('missing-xt-recent');
      setup(root);
      const marker = join(scratch, `crash-${n}.paused`);
      if (!(await killAtCheckpoint(['fix', '--apply', '--yes', '--root', root], n, marker))) {
        break;
      }
      kills += 1;
      const at = readFileSync(marker, 'utf8').trim();
      const now = treeState(root, notRunDir);
      for (const p of paths) {
        const ok = sameSnapshot(now.get(p), old.get(p)) || sameSnapshot(now.get(p), planned.get(p));
        expect(ok, `after a kill at checkpoint ${n} (${at}): ${p}`).toBe(true);
      }
      // Nothing but a temporary file of the run may appear, and never under a name modprobe.d would read.
      for (const p of now.keys()) {
        if (!paths.has(p)) {
          expect(p, `checkpoint ${n} (${at})`).toMatch(/\/\.[^/]+\.nfdoctor-[^/]+\.tmp$/);
        }
      }
      const rb = nfdoctor(['rollback', '--root', root]);
      if (rb.status === 2) {
        // Killed before the manifest existed: nothing had changed yet.
        expect(rb.stderr).toMatch(/no run to roll back/);
      } else {
        expect(rb.status, rb.stdout + rb.stderr).toBe(0);
      }
      expect(treeState(root, notRunDir), `rollback after a kill at checkpoint ${n} (${at})`).toEqual(old);
      rmSync(root, { recursive: true, force: true });
    }
    // 2 backups, the manifest, and for each of 3 files its temporary file and its step: 9 places to die.
    expect(kills).toBe(9);
  }, 900_000);
});
