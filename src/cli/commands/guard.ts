// nfdoctor guard install|status|release|uninstall (and "boot", what the unit runs at every boot).
import { parseArgs } from 'node:util';
import { readFile, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LiveReader } from '../../sources/fs-readers.ts';
import { buildHostModel, type HostModel } from '../../model/host-model.ts';
import { runChecks } from '../../checks/engine.ts';
import { CHECKS } from '../../checks/index.ts';
import { execArgv } from '../../sources/exec.ts';
import type { Backend, Family } from '../../knowledge/extensions.ts';
import { emergencyModules, emergencyProblems, runBoot, type GuardConfig } from '../../guard/boot.ts';
import { FAST_SCRIPT, type PreloadModules } from '../../guard/fast.ts';
import { emergencyRuleset, parseAllow, withoutGuard, type Allow } from '../../guard/emergency.ts';
import { BOOT_JSON, MESSAGE_IDS, MOTD_FILE, PRIORITY, motdText } from '../../guard/messages.ts';
import { InstallError, exists, install, readConfig, readManifest, uninstall } from '../../guard/install.ts';
import { LOADER_UNITS, REPORT_UNIT_NAME, UNIT_NAME } from '../../guard/unit.ts';
import {
  atomicWriteFile,
  emergencyLive,
  readBootId,
  readFastState,
  releaseEmergency,
  sendJournal,
  systemEffects,
} from '../../guard/system.ts';
import { EXIT, UsageError } from '../errors.ts';
import { requireSystemRoot } from '../read-input.ts';
import type { CommandOutput } from './check.ts';

export const GUARD_HELP = `Usage: nfdoctor guard install|status|release|uninstall [options]

A boot guard in two systemd units. ${UNIT_NAME} runs a POSIX sh check (${FAST_SCRIPT}, no
Node) after the firewall loaders (netfilter-persistent, iptables/ip6tables, nftables, firewalld, ufw)
and before network-pre.target: per family, when the saved rules filter and nothing is live, it logs it
(priority err), fails the unit and, with --fail-closed, loads the emergency ruleset. ${REPORT_UNIT_NAME}
then runs the full diagnosis after multi-user.target without delaying boot: one journal entry per
family that did not load (priority err, MESSAGE_ID=${MESSAGE_IDS.notLoaded}, root cause), the
diagnosis in ${BOOT_JSON}, a warning in the login banner (${MOTD_FILE}) until the next good
boot. The report needs Node.js >= 18.18 on the host.

Commands:
  install      install the bundle (under --prefix, unless the .deb is installed) and enable the unit
  status       what the last boot found, and whether an emergency ruleset is live
  release      remove the emergency ruleset (the firewall stays down until the rules are fixed)
  uninstall    remove everything install wrote, putting back what was there before

Options (install):
  --fail-closed          when a family's rules did not load and nothing else filters, load an
                         emergency ruleset: loopback, established/related replies and the --allow
                         sources are accepted, all other input and forwarding is dropped
  --allow CIDR[:PORT]    a source (and TCP port) the emergency ruleset accepts; repeatable
                         (10.0.2.0/24:22, 2001:db8::/32:22, [2001:db8::1]:22)
  --textfile DIR         also write DIR/nfdoctor.prom for node_exporter's textfile collector
  --prefix DIR           where the bundle and launcher go (default /usr/local)
  --root DIR             install into / uninstall from a filesystem mounted at DIR

Exit status: 0 done / all good, 1 (status) the last boot's firewall did not load or an emergency
ruleset is live, 2 usage or refused.
`;

const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      'fail-closed': { type: 'boolean' },
      allow: { type: 'string', multiple: true },
      textfile: { type: 'string' },
      prefix: { type: 'string', default: '/usr/local' },
      root: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function versionOk(v: string): boolean {
  const m = /^v(\d+)\.(\d+)\./.exec(v.trim());
  if (m == null) {
    return false;
  }
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 18 || (major === 18 && minor >= 18);
}

/**
 * systemd runs this host (sd_booted(3): /run/systemd/system exists), or is installed on the mounted root
 * (its unit directory exists).
 */
async function runsSystemd(root: string, live: boolean): Promise<boolean> {
  const dirs = live ? ['/run/systemd/system'] : ['usr/lib/systemd/system', 'lib/systemd/system'];
  for (const d of dirs) {
    if (await exists(join(root, d))) {
      return true;
    }
  }
  return false;
}

/** The node the boot unit's launcher will find (PATH of a systemd service, then the usual places). */
async function systemNode(): Promise<{ ok: boolean; found: string }> {
  const found: string[] = [];
  for (const node of ['/usr/local/bin/node', '/usr/bin/node', '/usr/bin/nodejs']) {
    const r = await execArgv([node, '--version']);
    if (r.status === 'ok') {
      if (versionOk(r.stdout)) {
        return { ok: true, found: `${node} ${r.stdout.trim()}` };
      }
      found.push(`${node} ${r.stdout.trim()}`);
    }
  }
  return { ok: false, found: found.length === 0 ? 'none' : found.join(', ') };
}

async function loadersPresent(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const u of LOADER_UNITS) {
    for (const d of ['/etc/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system']) {
      if (await exists(join(root, d, u))) {
        out.push(u);
        break;
      }
    }
  }
  return out;
}

async function daemonReload(): Promise<string> {
  const r = await execArgv(['systemctl', 'daemon-reload'], { timeoutMs: 60_000 });
  return r.status === 'ok' ? '' : `systemctl daemon-reload: ${r.reason ?? r.status}\n`;
}

function wrap(err: unknown): never {
  if (err instanceof InstallError) {
    throw new UsageError(err.message);
  }
  throw err;
}

/**
 * The backend the loaders use now (the pre-network script re-checks it at every boot), and on a live host
 * whether the running kernel can provide the stateful emergency ruleset (a note when the script will
 * have to fall back to the stateless one).
 */
async function installBackend(
  root: string,
  config: GuardConfig,
  notes: string[],
): Promise<{ backend: Backend; preload?: PreloadModules }> {
  if (root !== '/') {
    const link = await readlink(join(root, '/etc/alternatives/iptables')).catch(() => '');
    return { backend: link.includes('legacy') ? 'legacy' : 'nft' };
  }
  const model = await buildHostModel(new LiveReader());
  const backend = model.backend?.value === 'legacy' ? 'legacy' : 'nft';
  notes.push(
    `iptables backend: ${backend}${model.backend === undefined ? ' (not detected; re-checked at boot)' : ` (${model.backend.why})`}`,
  );
  if (config.failClosed) {
    for (const fam of FAMILIES) {
      const problems = await emergencyProblems(model, fam, emergencyRuleset(fam, config.allow, 'stateful'));
      if (problems.length > 0) {
        notes.push(
          `${fam}: the running kernel cannot provide the stateful emergency ruleset (${problems.join(', ')}); at boot the stateless one is tried next`,
        );
      }
    }
    const preload = await emergencyPreload(model, config);
    notes.push(
      `modules loaded in one modprobe before an emergency restore (${backend}): ${FAMILIES.map((f) => `${f} ${preload[backend]?.[f]?.join(' ') || '-'}`).join('; ')}`,
    );
    return { backend, preload };
  }
  return { backend };
}

/** Both backends (the script re-checks the backend at boot), both variants (stateless is the fallback). */
async function emergencyPreload(model: HostModel, config: GuardConfig): Promise<PreloadModules> {
  const out: Partial<Record<Backend, Partial<Record<Family, readonly string[]>>>> = {};
  for (const backend of ['nft', 'legacy'] as const) {
    const per: Partial<Record<Family, readonly string[]>> = {};
    for (const fam of FAMILIES) {
      const texts = (['stateful', 'stateless'] as const).map((v) => emergencyRuleset(fam, config.allow, v));
      per[fam] = await emergencyModules(model, fam, backend, texts);
    }
    out[backend] = per;
  }
  return out;
}

async function runInstall(
  values: ReturnType<typeof parse>['values'],
  version: string,
): Promise<CommandOutput> {
  const allow: Allow[] = [];
  for (const spec of values.allow ?? []) {
    const a = parseAllow(spec);
    if (typeof a === 'string') {
      throw new UsageError(a);
    }
    allow.push(a);
  }
  if (allow.length > 0 && values['fail-closed'] !== true) {
    throw new UsageError('--allow only means something with --fail-closed');
  }
  const root = resolve(values.root ?? '/');
  const live = root === '/';
  const notes: string[] = [];
  if (!(await runsSystemd(root, live))) {
    // The guard is a pair of systemd units: written onto an OpenRC or SysV system they would never run,
    // and "installed" would promise a boot check that never happens.
    throw new UsageError(
      `guard install: ${live ? 'this host does' : `${root} does`} not run systemd (no ${live ? '/run/systemd/system' : '/usr/lib/systemd/system or /lib/systemd/system'}); the boot guard is a systemd unit and would never run there`,
    );
  }
  if (live) {
    const node = await systemNode();
    if (!node.ok) {
      throw new UsageError(
        `Node.js >= 18.18 is missing on this host (found: ${node.found}); the boot unit needs it in /usr/bin or /usr/local/bin: install it first (Debian 12: apt install nodejs)`,
      );
    }
    notes.push(`node for the boot unit: ${node.found}`);
  }
  const config: GuardConfig = {
    failClosed: values['fail-closed'] === true,
    allow,
    ...(values.textfile === undefined ? {} : { textfileDir: resolve(values.textfile) }),
  };
  const { backend, preload } = await installBackend(root, config, notes);
  const bundle = process.argv[1]?.endsWith('.cjs') === true ? process.argv[1] : undefined;
  const result = await install({
    root,
    prefix: values.prefix,
    config,
    version,
    backend,
    ...(preload === undefined ? {} : { preload }),
    ...(bundle === undefined ? {} : { bundle }),
  }).catch(wrap);
  const loaders = await loadersPresent(root);
  const lines = [
    `nfdoctor guard installed${live ? '' : ` into ${root}`} (${result.manifest.packaged ? 'using the packaged files' : `bundle under ${values.prefix}`}):`,
    ...result.written.map((p) => `  wrote ${p}`),
    `  runs after: ${loaders.length === 0 ? 'no firewall loader found (it still checks for saved rules)' : loaders.join(', ')}; before network-pre.target`,
    `  fail-closed: ${config.failClosed ? `on, allowing ${allow.map((a) => a.spec).join(', ') || 'only loopback and replies'}` : 'off (alert only)'}`,
    ...(config.textfileDir === undefined ? [] : [`  textfile: ${config.textfileDir}/nfdoctor.prom`]),
    ...notes.map((n) => `  ${n}`),
    '  undo: nfdoctor guard uninstall',
  ];
  const reload = live ? await daemonReload() : '';
  return { text: `${lines.join('\n')}\n${reload}`, exitCode: EXIT.ok };
}

interface BootRecordFamily {
  readonly family: string;
  readonly verdict: string;
  readonly files?: readonly string[];
  readonly rootCauses?: readonly { id: string; message: string }[];
  readonly failClosed?: { status: string; variant?: string; reason?: string };
}

async function readBootRecord(
  root: string,
): Promise<{ time?: string; bootId?: string; families: BootRecordFamily[] } | undefined> {
  try {
    return JSON.parse(await readFile(join(root, BOOT_JSON), 'utf8')) as {
      time?: string;
      bootId?: string;
      families: BootRecordFamily[];
    };
  } catch {
    return undefined;
  }
}

async function runStatus(root: string): Promise<CommandOutput> {
  const live = root === '/';
  const manifest = await readManifest(root).catch(wrap);
  const config = await readConfig(root).catch(wrap);
  const record = await readBootRecord(root);
  const bootId = live ? await readBootId() : undefined;
  const lines: string[] = [];
  lines.push(
    manifest === undefined
      ? 'guard: not installed by nfdoctor guard install'
      : `guard: installed (version ${manifest.version}${manifest.packaged ? ', packaged files' : ''}); fail-closed ${config.failClosed ? `on (allow ${config.allow.map((a) => a.spec).join(', ') || 'nothing else'})` : 'off'}`,
  );
  if (live) {
    for (const unit of [UNIT_NAME, REPORT_UNIT_NAME]) {
      const en = await execArgv(['systemctl', 'is-enabled', unit]);
      const act = await execArgv(['systemctl', 'is-active', unit]);
      lines.push(
        `unit: ${unit} ${en.stdout.trim() || en.reason || en.status}, ${act.stdout.trim() || act.status}`,
      );
    }
  }
  let bad = false;
  if (record === undefined) {
    lines.push(`last boot check: none (${BOOT_JSON} absent)`);
  } else {
    const thisBoot = bootId !== undefined && record.bootId === bootId;
    lines.push(
      `last boot check: ${record.time ?? '?'}${live ? (thisBoot ? ' (this boot)' : ' (an earlier boot)') : ''}`,
    );
    for (const f of record.families) {
      if (f.verdict === 'not-loaded' && (thisBoot || !live)) {
        bad = true;
      }
      const cause = f.rootCauses?.[0];
      const fc = f.failClosed;
      lines.push(
        `  ${f.family}: ${f.verdict}${f.files === undefined || f.files.length === 0 ? '' : ` (${f.files.join(', ')})`}${cause === undefined ? '' : `; root cause: ${cause.message}`}${fc === undefined || fc.status === 'off' || fc.status === 'not-needed' ? '' : `; fail-closed: ${fc.status}${fc.variant === undefined ? '' : ` (${fc.variant})`}${fc.reason === undefined ? '' : `: ${fc.reason}`}`}`,
      );
    }
  }
  if (live) {
    for (const fam of FAMILIES) {
      const on = await emergencyLive(fam, {});
      if (on === true) {
        bad = true;
        lines.push(`emergency ruleset live for ${fam}: undo with "nfdoctor guard release"`);
      }
    }
  }
  return { text: `${lines.join('\n')}\n`, exitCode: bad ? EXIT.findings : EXIT.ok };
}

async function runRelease(): Promise<CommandOutput> {
  const lines: string[] = [];
  const released: Family[] = [];
  for (const fam of FAMILIES) {
    const r = await releaseEmergency(fam, {});
    if (r === undefined) {
      continue;
    }
    if (!r.ok) {
      throw new UsageError(`${r.command}: could not remove the ${fam} emergency ruleset: ${r.detail}`);
    }
    released.push(fam);
    lines.push(`released the ${fam} emergency ruleset (${r.command})`);
    await sendJournal(
      {
        MESSAGE_ID: MESSAGE_IDS.released,
        PRIORITY: String(PRIORITY.notice),
        SYSLOG_IDENTIFIER: 'nfdoctor-guard',
        NFDOCTOR_FAMILY: fam,
        MESSAGE: `nfdoctor guard: emergency ${fam} ruleset released by "nfdoctor guard release"; the saved rules are still not loaded`,
      },
      {},
    );
  }
  if (released.length === 0) {
    return { text: 'no emergency ruleset is live; nothing to release\n', exitCode: EXIT.ok };
  }
  const record = await readBootRecord('/');
  const motd = record === undefined ? undefined : motdText(record.families, new Set());
  if (motd !== undefined) {
    await atomicWriteFile(MOTD_FILE, motd);
  }
  lines.push('the firewall is still not the saved one: nfdoctor diagnose says why');
  return { text: `${lines.join('\n')}\n`, exitCode: EXIT.ok };
}

async function runUninstall(root: string): Promise<CommandOutput> {
  const live = root === '/';
  const lines: string[] = [];
  if (live) {
    for (const fam of FAMILIES) {
      const r = await releaseEmergency(fam, {});
      if (r !== undefined) {
        lines.push(`${r.ok ? 'released' : 'could NOT release'} the ${fam} emergency ruleset`);
      }
    }
  }
  const { restored, removed } = await uninstall(root).catch(wrap);
  lines.push(...removed.map((p) => `removed ${p}`), ...restored.map((p) => `restored ${p}`));
  const reload = live ? await daemonReload() : '';
  return { text: `${lines.join('\n')}\nnfdoctor guard uninstalled\n${reload}`, exitCode: EXIT.ok };
}

async function runGuardBoot(version: string): Promise<CommandOutput> {
  const config = await readConfig('/').catch(wrap);
  const bootId = await readBootId();
  const fast = await readFastState(bootId);
  const live = await buildHostModel(new LiveReader());
  // Diagnose what the loaders left: the emergency ruleset the pre-network check may have added is not theirs.
  const model = {
    ...live,
    liveRules: live.liveRules.map((l) =>
      l.ruleset === undefined ? l : { ...l, ruleset: withoutGuard(l.ruleset) },
    ),
  };
  const result = runChecks(CHECKS, model);
  const outcome = await runBoot(
    model,
    result,
    CHECKS,
    config,
    systemEffects({ fallback: (line) => process.stderr.write(`${line}\n`) }),
    { version, time: new Date(), ...(bootId === undefined ? {} : { bootId }) },
    fast,
  );
  const summary = outcome.reports
    .map(
      (r) =>
        `${r.state.family} ${r.state.verdict}${r.failClosed.status === 'applied' ? ` (emergency ${r.failClosed.variant} ruleset loaded)` : r.failClosed.status === 'refused' ? ' (fail-closed refused)' : ''}`,
    )
    .join(', ');
  return { text: `nfdoctor guard: ${summary}\n`, exitCode: outcome.good ? EXIT.ok : EXIT.findings };
}

export async function runGuard(argv: readonly string[], version: string): Promise<CommandOutput> {
  const { values, positionals } = parse(argv);
  const [verb, ...extra] = positionals;
  if (values.help === true || verb === undefined) {
    return { text: GUARD_HELP, exitCode: verb === undefined && values.help !== true ? EXIT.usage : EXIT.ok };
  }
  if (extra.length > 0) {
    throw new UsageError(`guard ${verb}: unexpected argument "${extra[0] ?? ''}"`);
  }
  const root = resolve(values.root ?? '/');
  if (values.root !== undefined) {
    requireSystemRoot(root);
  }
  switch (verb) {
    case 'install':
      return runInstall(values, version);
    case 'status':
      return runStatus(root);
    case 'release':
      return runRelease();
    case 'uninstall':
      return runUninstall(root);
    case 'boot':
      return runGuardBoot(version);
    default:
      throw new UsageError(`unknown guard command "${verb}" (install, status, release, uninstall)`);
  }
}
