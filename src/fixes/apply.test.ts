// The applier and rollback on real file trees: the files of real lab VMs copied into a temporary root.
import { afterEach, describe, expect, it } from 'vitest';
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  renameSync,
} from 'node:fs';
import { join } from 'node:path';
import { applyPlan, type ApplyOptions } from './apply.ts';
import { rollbackRun } from './rollback.ts';
import { planFix, type PlanFinding } from './plan.ts';
import { COMMENT_PREFIX, WRITTEN_BY_MARKER, type Action } from './actions.ts';
import { labTree, notRunDir, recordingRunner, treeState } from './testing.ts';
import { listRuns, readManifest } from './manifest.ts';
import { sha256 } from './files.ts';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) {
    rmSync(r, { recursive: true, force: true });
  }
});

function tree(scenario: string): string {
  const r = labTree(scenario);
  roots.push(r);
  return r;
}

function stepsOf(actions: readonly Action[]): ReturnType<typeof planFix>['steps'] {
  const finding: PlanFinding = {
    id: 'test/x#1',
    checkId: 'test/x',
    severity: 'error',
    message: 'm',
    fix: { actions },
  };
  return planFix([finding]).steps;
}

function opts(root: string, over: Partial<ApplyOptions> = {}): ApplyOptions {
  return { root, live: false, runner: recordingRunner().run, version: '0.0.0-test', ...over };
}

const BLOCK = '/etc/modprobe.d/nflab-no-xt-recent.conf';
const commentBlock: Action = {
  kind: 'comment-line',
  file: BLOCK,
  line: 1,
  expect: 'install xt_recent /bin/false',
  risk: 'safe',
  why: 'the install line blocks xt_recent',
};
const DROPIN = '/etc/systemd/system/netfilter-persistent.service.d/nflab-old-debian-requires.conf';
const wantsInstead: Action = {
  kind: 'replace-line',
  file: DROPIN,
  line: 2,
  expect: 'Requires=systemd-modules-load.service',
  text: 'Wants=systemd-modules-load.service',
  risk: 'safe',
  why: 'Wants= still orders, but no longer fails with it',
};
const LOAD_ENTRY = '/etc/modules-load.d/nfdoctor-xt_recent.conf';
const loadEntry: Action = {
  kind: 'write-file',
  path: LOAD_ENTRY,
  content: `${WRITTEN_BY_MARKER}\nxt_recent\n`,
  mode: 0o644,
  risk: 'safe',
  why: 'loads xt_recent at boot',
};

describe('fix --apply on real file trees', () => {
  it('comment-line: comments out the blocking install line, keeps mode, backs up, and a second run changes nothing', async () => {
    const root = tree('missing-xt-recent');
    const real = join(root, BLOCK);
    const before = readFileSync(real);
    const out = await applyPlan(stepsOf([commentBlock]), opts(root));
    expect(out.kind).toBe('applied');
    expect(readFileSync(real, 'utf8')).toBe(`${COMMENT_PREFIX}install xt_recent /bin/false\n`);
    expect(lstatSync(real).mode & 0o777).toBe(0o644);
    if (out.kind !== 'applied') {
      return;
    }
    const m = await readManifest(out.runDir);
    expect(m?.state).toBe('finished');
    const f = m?.files[0];
    expect(f).toMatchObject({
      path: BLOCK,
      existed: true,
      sha256Before: sha256(before),
      sha256Planned: sha256(readFileSync(real)),
      changed: true,
    });
    expect(readFileSync(join(out.runDir, f?.backup ?? 'none'))).toEqual(before);
    expect(m?.steps.map((s) => s.result)).toEqual(['applied']);

    const after = treeState(root);
    const again = await applyPlan(stepsOf([commentBlock]), opts(root));
    expect(again.kind).toBe('nothing');
    expect(again.kind === 'nothing' && again.steps[0]?.result).toBe('satisfied');
    expect(treeState(root)).toEqual(after);
  });

  it('replace-line: Requires= -> Wants= in the real drop-in; daemon-reload only on the live host', async () => {
    const root = tree('modules-load-fails-requires');
    const reload: Action = {
      kind: 'systemctl',
      verb: 'daemon-reload',
      risk: 'safe',
      why: 'reads the drop-in',
    };
    const rec = recordingRunner();
    const out = await applyPlan(stepsOf([reload, wantsInstead]), opts(root, { live: true, runner: rec.run }));
    expect(out.kind).toBe('applied');
    expect(readFileSync(join(root, DROPIN), 'utf8')).toBe('[Unit]\nWants=systemd-modules-load.service\n');
    // Files first, then daemon-reload, whatever order the check gave.
    expect(rec.calls).toEqual([['systemctl', 'daemon-reload']]);

    const root2 = tree('modules-load-fails-requires');
    const rec2 = recordingRunner();
    const out2 = await applyPlan(stepsOf([wantsInstead, reload]), opts(root2, { runner: rec2.run }));
    expect(rec2.calls).toEqual([]);
    expect(out2.kind === 'applied' && out2.steps.map((s) => s.result)).toEqual(['applied', 'deferred']);
  });

  it('write-file: creates the entry and its directory; rollback removes both', async () => {
    const root = tree('healthy');
    const pristine = treeState(root, notRunDir);
    const out = await applyPlan(stepsOf([loadEntry]), opts(root));
    expect(out.kind).toBe('applied');
    const real = join(root, LOAD_ENTRY);
    expect(readFileSync(real, 'utf8')).toBe(`${WRITTEN_BY_MARKER}\nxt_recent\n`);
    expect(lstatSync(real).mode & 0o777).toBe(0o644);
    const rb = await rollbackRun(undefined, {
      root,
      live: false,
      runner: recordingRunner().run,
      force: false,
    });
    expect(rb).toMatchObject({
      kind: 'rolled-back',
      removed: ['/etc/modules-load.d/nfdoctor-xt_recent.conf'],
    });
    expect(existsSync(join(root, 'etc/modules-load.d'))).toBe(false);
    expect(treeState(root, notRunDir)).toEqual(pristine);
    expect((await listRuns(root))[0]?.manifest?.state).toBe('rolled-back');
  });

  it('write-file refuses to overwrite a file with other content', async () => {
    const root = tree('healthy');
    mkdirSync(join(root, 'etc/modules-load.d'));
    writeFileSync(join(root, 'etc/modules-load.d/nfdoctor-xt_recent.conf'), 'mine\n');
    const out = await applyPlan(stepsOf([loadEntry]), opts(root));
    expect(out.kind).toBe('refused');
    expect(readFileSync(join(root, 'etc/modules-load.d/nfdoctor-xt_recent.conf'), 'utf8')).toBe('mine\n');
  });

  it('remove-file: removes only files nfdoctor wrote', async () => {
    const root = tree('healthy');
    const mine: Action = {
      kind: 'remove-file',
      path: '/etc/modules-load.d/nfdoctor-old.conf',
      risk: 'safe',
      why: 'w',
    };
    mkdirSync(join(root, 'etc/modules-load.d'));
    writeFileSync(join(root, 'etc/modules-load.d/nfdoctor-old.conf'), 'xt_recent\n');
    expect((await applyPlan(stepsOf([mine]), opts(root))).kind).toBe('refused');
    writeFileSync(join(root, 'etc/modules-load.d/nfdoctor-old.conf'), `${WRITTEN_BY_MARKER}\nxt_recent\n`);
    expect((await applyPlan(stepsOf([mine]), opts(root))).kind).toBe('applied');
    expect(existsSync(join(root, 'etc/modules-load.d/nfdoctor-old.conf'))).toBe(false);
    expect((await applyPlan(stepsOf([mine]), opts(root))).kind).toBe('nothing');
    await rollbackRun(undefined, { root, live: false, runner: recordingRunner().run, force: false });
    expect(readFileSync(join(root, 'etc/modules-load.d/nfdoctor-old.conf'), 'utf8')).toBe(
      `${WRITTEN_BY_MARKER}\nxt_recent\n`,
    );
  });

  it('a file changed since the diagnosis stops the whole run before anything changes', async () => {
    const root = tree('modules-load-fails-requires');
    writeFileSync(
      join(root, BLOCK.replace('nflab-no-xt-recent', 'nflab-x')),
      'install xt_recent /bin/true\n',
    );
    const moved: Action = { ...commentBlock, file: BLOCK.replace('nflab-no-xt-recent', 'nflab-x') };
    const pristine = treeState(root);
    const out = await applyPlan(stepsOf([wantsInstead, moved]), opts(root));
    expect(out.kind).toBe('refused');
    expect(out.kind === 'refused' && out.mismatches[0]?.message).toMatch(
      /line 1 of \/etc\/modprobe.d\/nflab-x.conf changed since the diagnosis: expected "install xt_recent \/bin\/false", found "install xt_recent \/bin\/true"/,
    );
    expect(treeState(root)).toEqual(pristine);
  });

  it('edits the target of a symlink (absolute target inside the root), never the link', async () => {
    const root = tree('missing-xt-recent');
    mkdirSync(join(root, 'etc/hardening'));
    renameSync(join(root, BLOCK), join(root, 'etc/hardening/no-recent.conf'));
    symlinkSync('/etc/hardening/no-recent.conf', join(root, BLOCK));
    const out = await applyPlan(stepsOf([commentBlock]), opts(root));
    expect(out.kind).toBe('applied');
    expect(readlinkSync(join(root, BLOCK))).toBe('/etc/hardening/no-recent.conf');
    expect(readFileSync(join(root, 'etc/hardening/no-recent.conf'), 'utf8')).toBe(
      `${COMMENT_PREFIX}install xt_recent /bin/false\n`,
    );
    await rollbackRun(undefined, { root, live: false, runner: recordingRunner().run, force: false });
    expect(readFileSync(join(root, 'etc/hardening/no-recent.conf'), 'utf8')).toBe(
      'install xt_recent /bin/false\n',
    );
    expect(readlinkSync(join(root, BLOCK))).toBe('/etc/hardening/no-recent.conf');
  });

  it('rollback restores byte-identical content, mode and owner, and refuses a file changed after the run', async () => {
    const root = tree('modules-load-fails-requires');
    const real = join(root, DROPIN);
    chownSync(real, 1234, 5678);
    const pristine = treeState(root, notRunDir);
    const out = await applyPlan(stepsOf([wantsInstead]), opts(root));
    expect(out.kind).toBe('applied');
    expect(lstatSync(real).uid).toBe(1234);
    expect(lstatSync(real).gid).toBe(5678);
    writeFileSync(real, '[Unit]\nWants=something-else.service\n');
    const rec = recordingRunner();
    const refused = await rollbackRun(undefined, { root, live: false, runner: rec.run, force: false });
    expect(refused.kind).toBe('refused');
    expect(refused.kind === 'refused' && refused.changed[0]?.path).toBe(DROPIN);
    expect(readFileSync(real, 'utf8')).toBe('[Unit]\nWants=something-else.service\n');
    const forced = await rollbackRun(undefined, { root, live: false, runner: rec.run, force: true });
    expect(forced.kind).toBe('rolled-back');
    expect(treeState(root, notRunDir)).toEqual(pristine);
    expect(rec.calls).toEqual([]);
    const again = await rollbackRun(out.kind === 'applied' ? out.runId : undefined, {
      root,
      live: false,
      runner: rec.run,
      force: false,
    });
    expect(again.kind).toBe('already');
  });

  it('--root enable creates the [Install] WantedBy= symlink of the real netfilter-persistent.service; rollback removes it', async () => {
    const root = tree('healthy');
    const pristine = treeState(root, notRunDir);
    const enable: Action = {
      kind: 'systemctl',
      verb: 'enable',
      unit: 'netfilter-persistent.service',
      risk: 'safe',
      why: 'w',
    };
    const out = await applyPlan(stepsOf([enable]), opts(root));
    expect(out.kind).toBe('applied');
    const link = join(root, 'etc/systemd/system/multi-user.target.wants/netfilter-persistent.service');
    expect(readlinkSync(link)).toBe('/lib/systemd/system/netfilter-persistent.service');
    expect(out.kind === 'applied' && out.steps[0]?.detail).toMatch(/next boot/);
    expect((await applyPlan(stepsOf([enable]), opts(root))).kind).toBe('nothing');
    await rollbackRun(undefined, { root, live: false, runner: recordingRunner().run, force: false });
    expect(treeState(root, notRunDir)).toEqual(pristine);
  });

  it('--root unmask removes the /dev/null link; rollback puts it back', async () => {
    const root = tree('healthy');
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    symlinkSync('/dev/null', join(root, 'etc/systemd/system/netfilter-persistent.service'));
    const pristine = treeState(root, notRunDir);
    const unmask: Action = {
      kind: 'systemctl',
      verb: 'unmask',
      unit: 'netfilter-persistent.service',
      risk: 'safe',
      why: 'w',
    };
    const enable: Action = {
      kind: 'systemctl',
      verb: 'enable',
      unit: 'netfilter-persistent.service',
      risk: 'safe',
      why: 'w',
    };
    // enable refuses a masked unit; unmask first.
    expect((await applyPlan(stepsOf([enable]), opts(root))).kind).toBe('refused');
    expect((await applyPlan(stepsOf([unmask]), opts(root))).kind).toBe('applied');
    expect(existsSync(join(root, 'etc/systemd/system/netfilter-persistent.service'))).toBe(false);
    await rollbackRun(undefined, { root, live: false, runner: recordingRunner().run, force: false });
    expect(treeState(root, notRunDir)).toEqual(pristine);
  });

  it('live host: systemctl and modprobe run with argv, only when needed; rollback undoes enable', async () => {
    const root = tree('healthy');
    mkdirSync(join(root, 'sys/module/nf_tables'), { recursive: true });
    const rec = recordingRunner({
      'systemctl is-enabled netfilter-persistent.service': { stdout: 'disabled\n', exitCode: 1 },
      'systemctl is-active netfilter-persistent.service': { stdout: 'inactive\n', exitCode: 3 },
    });
    const actions: Action[] = [
      { kind: 'systemctl', verb: 'start', unit: 'netfilter-persistent.service', risk: 'safe', why: 'w' },
      { kind: 'systemctl', verb: 'enable', unit: 'netfilter-persistent.service', risk: 'safe', why: 'w' },
      { kind: 'modprobe', module: 'xt_recent', risk: 'safe', why: 'w' },
      { kind: 'modprobe', module: 'nf_tables', risk: 'safe', why: 'w' },
      { kind: 'systemctl', verb: 'daemon-reload', risk: 'safe', why: 'w' },
    ];
    const out = await applyPlan(stepsOf(actions), opts(root, { live: true, runner: rec.run }));
    expect(out.kind).toBe('applied');
    expect(rec.calls.filter((c) => !['is-enabled', 'is-active'].includes(c[1] ?? ''))).toEqual([
      ['modprobe', 'xt_recent'],
      ['systemctl', 'enable', 'netfilter-persistent.service'],
      ['systemctl', 'start', 'netfilter-persistent.service'],
    ]);
    expect(out.kind === 'applied' && out.steps.map((s) => [s.action.kind, s.result])).toEqual([
      ['systemctl', 'satisfied'],
      ['modprobe', 'applied'],
      ['modprobe', 'satisfied'],
      ['systemctl', 'applied'],
      ['systemctl', 'applied'],
    ]);
    const rb = recordingRunner();
    await rollbackRun(undefined, { root, live: true, runner: rb.run, force: false });
    expect(rb.calls).toEqual([
      ['systemctl', 'disable', 'netfilter-persistent.service'],
      ['systemctl', 'daemon-reload'],
    ]);
  });

  it('--root defers what needs a running system and says so', async () => {
    const root = tree('healthy');
    const rec = recordingRunner();
    const out = await applyPlan(
      stepsOf([
        { kind: 'modprobe', module: 'xt_recent', risk: 'safe', why: 'w' },
        { kind: 'systemctl', verb: 'restart', unit: 'netfilter-persistent.service', risk: 'safe', why: 'w' },
      ]),
      opts(root, { runner: rec.run }),
    );
    expect(out.kind).toBe('nothing');
    expect(out.kind === 'nothing' && out.steps.map((s) => s.result)).toEqual(['deferred', 'deferred']);
    expect(out.kind === 'nothing' && out.steps[1]?.detail).toMatch(/next boot/);
    expect(rec.calls).toEqual([]);
  });

  it('several edits of one file are one atomic write', async () => {
    const root = tree('modules-load-fails-requires');
    const file = '/etc/modules';
    writeFileSync(join(root, file), 'xt_recent\nloop\nbogus x=1\n');
    const out = await applyPlan(
      stepsOf([
        { kind: 'comment-line', file, line: 2, expect: 'loop', risk: 'safe', why: 'w' },
        { kind: 'replace-line', file, line: 3, expect: 'bogus x=1', text: 'bogus', risk: 'safe', why: 'w' },
      ]),
      opts(root),
    );
    expect(out.kind).toBe('applied');
    expect(readFileSync(join(root, file), 'utf8')).toBe(`xt_recent\n${COMMENT_PREFIX}loop\nbogus\n`);
    if (out.kind === 'applied') {
      const m = await readManifest(out.runDir);
      expect(m?.files.map((f) => f.steps)).toEqual([[1, 2]]);
    }
  });
});
