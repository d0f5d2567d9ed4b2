// Building typed fix actions (src/fixes/actions.ts) from the host model. Every constructor validates what goes
// into the action; when an action cannot be made safely (a line nfdoctor did not read exactly, a name that is
// not a valid unit or module) it returns a manual step instead, so a check never emits an unusable action.
import {
  COMMENT_PREFIX,
  WRITTEN_BY_MARKER,
  invalidReason,
  isValidModuleName,
  shQuote,
  type Action,
  type ManualAction,
  type Risk,
  type SystemctlVerb,
} from '../fixes/actions.ts';
import type { HostModel } from '../model/host-model.ts';
import { renderCommand } from '../fixes/render-command.ts';
import { iptablesInitFlavour, loaderUnit, primaryLoader } from './host-commands.ts';
import { effectiveShellVar } from '../parsers/shell-vars.ts';

export function manual(instruction: string, why: string, command?: string): ManualAction {
  return { kind: 'manual', instruction, why, ...(command === undefined ? {} : { command }) };
}

/** The exact physical line `line` (1-based) of `file` as read, or undefined when it was not read. */
export function rawLine(model: HostModel, file: string, line: number): string | undefined {
  const text = model.fileText.get(file);
  if (text === undefined || line < 1) {
    return undefined;
  }
  const lines = text.split('\n');
  // A final newline ends the last line; it does not start another.
  const count = text.endsWith('\n') ? lines.length - 1 : lines.length;
  return line <= count ? lines[line - 1] : undefined;
}

/**
 * A line that a line edit may touch: read exactly, no carriage return (the edit would compare against the
 * wrong text), and no backslash continuation (modprobe.d(5), systemd.syntax(7): the next physical line belongs
 * to it, so commenting out only this one would turn the next into a line of its own).
 */
function editableLine(model: HostModel, file: string, line: number): string | undefined {
  const raw = rawLine(model, file, line);
  return raw === undefined || raw.includes('\r') || raw.endsWith('\\') ? undefined : raw;
}

function orManual(a: Action, fallback: () => ManualAction): Action {
  return invalidReason(a) === undefined ? a : fallback();
}

/** Comment out line `line` of `file`; a manual step when the line's exact text is not known. */
export function commentLine(
  model: HostModel,
  file: string,
  line: number | undefined,
  risk: Risk,
  why: string,
): Action {
  const expect = line === undefined ? undefined : editableLine(model, file, line);
  const fallback = (): ManualAction =>
    manual(
      `In ${file}, comment out line ${line ?? '?'} (put "#" in front of it).`,
      why,
      `sudoedit ${shQuote(file)}`,
    );
  if (line === undefined || expect === undefined) {
    return fallback();
  }
  if (expect.startsWith(COMMENT_PREFIX)) {
    return fallback();
  }
  return orManual({ kind: 'comment-line', file, line, expect, risk, why }, fallback);
}

/** Replace line `line` of `file` with `text`; a manual step when the line's exact text is not known. */
export function replaceLine(
  model: HostModel,
  file: string,
  line: number | undefined,
  text: string,
  risk: Risk,
  why: string,
): Action {
  const expect = line === undefined ? undefined : editableLine(model, file, line);
  const fallback = (): ManualAction =>
    manual(`In ${file}, replace line ${line ?? '?'} with: ${text}`, why, `sudoedit ${shQuote(file)}`);
  if (line === undefined || expect === undefined) {
    return fallback();
  }
  return orManual({ kind: 'replace-line', file, line, expect, text, risk, why }, fallback);
}

/** A file nfdoctor owns: WRITTEN_BY_MARKER first, then `lines`, mode 0644. */
export function writeFile(path: string, lines: readonly string[], risk: Risk, why: string): Action {
  const content = [WRITTEN_BY_MARKER, ...lines].join('\n') + '\n';
  return orManual({ kind: 'write-file', path, content, mode: 0o644, risk, why }, () =>
    manual(`Create ${path} with: ${lines.join(' / ')}`, why),
  );
}

/** modules-load.d(5): one module name per line, read by systemd-modules-load at every boot. */
export function modulesLoadEntry(module: string, risk: Risk, why: string): Action {
  if (!isValidModuleName(module)) {
    return manual(`Add a line "${module}" to a file in /etc/modules-load.d.`, why);
  }
  return writeFile(`/etc/modules-load.d/nfdoctor-${module}.conf`, [module], risk, why);
}

export function modprobe(module: string, risk: Risk, why: string): Action {
  return orManual({ kind: 'modprobe', module, risk, why }, () =>
    manual(`Load the kernel module ${module}.`, why),
  );
}

/**
 * OpenRC's own commands for a service named by its init script (loaderUnit of 'openrc-iptables'). Never
 * `restart`: its stop() saves the live rules over the saved file when SAVE_ON_STOP="yes" (the packaged
 * default), so restarting a host whose live rules are empty or wrong would overwrite the file it should
 * load. `reload` (a started service) flushes and restores the file without saving; a stopped one starts.
 */
function openRcCommand(verb: SystemctlVerb, script: string): string | undefined {
  const name = shQuote(script.slice('/etc/init.d/'.length));
  switch (verb) {
    case 'restart':
      return `sudo rc-service ${name} reload || sudo rc-service ${name} start`;
    case 'start':
    case 'stop':
      return `sudo rc-service ${name} ${verb}`;
    case 'enable':
      return `sudo rc-update add ${name} default`;
    case 'disable':
      return `sudo rc-update del ${name} default`;
    case 'unmask':
    case 'daemon-reload':
      return undefined;
  }
}

/** `service NAME ACTION`: the SysV/OpenRC equivalent where systemd is not PID 1. */
function serviceCommand(verb: SystemctlVerb, unit: string): string | undefined {
  if (unit.startsWith('/etc/init.d/')) {
    return openRcCommand(verb, unit);
  }
  const name = shQuote(unit.replace(/\.service$/, ''));
  switch (verb) {
    case 'start':
    case 'restart':
      return `sudo service ${name} ${verb}`;
    case 'stop':
      return `sudo service ${name} stop`;
    case 'enable':
      return `sudo update-rc.d ${name} enable 2>/dev/null || sudo chkconfig ${name} on 2>/dev/null || sudo rc-update add ${name}`;
    case 'disable':
      return `sudo update-rc.d ${name} disable 2>/dev/null || sudo chkconfig ${name} off 2>/dev/null || sudo rc-update del ${name}`;
    case 'unmask':
    case 'daemon-reload':
      return undefined;
  }
}

/** systemctl VERB UNIT for a validated unit; without systemd as PID 1, or with a bad name, a manual step. */
export function systemctl(
  model: HostModel,
  verb: Exclude<SystemctlVerb, 'daemon-reload'>,
  unit: string,
  risk: Risk,
  why: string,
): Action {
  if (!model.systemd) {
    return manual(`${verb} ${unit} (this host does not run systemd).`, why, serviceCommand(verb, unit));
  }
  return orManual({ kind: 'systemctl', verb, unit, risk, why }, () => manual(`${verb} ${unit}.`, why));
}

export function daemonReload(why: string): Action {
  return { kind: 'systemctl', verb: 'daemon-reload', risk: 'safe', why };
}

/**
 * Restart the loader of the saved rules so they load now: it puts back exactly what the saved configuration
 * intends, so it is `safe` (it replaces the tables the file names; see loader/silent-failure).
 */
export function restartLoader(model: HostModel, why: string, unit?: string): Action {
  if (modulesWaitForReboot(model)) {
    return rebootWhileModulesDisabled();
  }
  const u = unit ?? loaderUnit(primaryLoader(model));
  const saving = saveOnStop(model, u);
  if (saving !== undefined) {
    return manual(reloadInstead(u, saving), why, `sudo systemctl reload-or-restart ${shQuote(u)}`);
  }
  return systemctl(model, 'restart', u, 'safe', why);
}

/**
 * iptables.init (iptables-services) runs save() before stop() when IPTABLES_SAVE_ON_STOP="yes"
 * (IP6TABLES_SAVE_ON_STOP for ip6tables): a `systemctl restart` of the active unit (ExecStop= then
 * ExecStart=) first writes the live rules, whatever they are, over the saved file. `reload` (ExecReload=,
 * iptables.init reload) restores the file without saving; reload-or-restart starts a unit that is not active.
 */
function saveOnStop(
  model: HostModel,
  unit: string,
): { setting: string; file: string; line: number } | undefined {
  const f = iptablesInitFlavour(model, unit);
  const name = `${f?.prefix ?? ''}_SAVE_ON_STOP`;
  const a = f?.vars === undefined ? undefined : effectiveShellVar(f.vars.vars, name);
  return f === undefined || a?.value !== 'yes'
    ? undefined
    : { setting: `${name}="yes"`, file: f.config, line: a.line };
}

function reloadInstead(unit: string, saving: { setting: string; file: string; line: number }): string {
  return `Load the saved rules into ${unit} with reload, not restart: with ${saving.setting} (${saving.file} line ${String(saving.line)}) a restart first saves the live rules over the saved file.`;
}

/** The restart of the loader as a manual step: for fixes whose earlier steps a person has to do first. */
export function restartLoaderLater(model: HostModel, why: string, unit?: string): ManualAction {
  if (modulesWaitForReboot(model)) {
    return rebootWhileModulesDisabled();
  }
  const u = unit ?? loaderUnit(primaryLoader(model));
  const saving = model.systemd ? saveOnStop(model, u) : undefined;
  if (saving !== undefined) {
    return manual(
      `After the steps above: ${reloadInstead(u, saving)}`,
      why,
      `sudo systemctl reload-or-restart ${shQuote(u)}`,
    );
  }
  return manual(
    `After the steps above, restart ${u} so the saved rules load.`,
    why,
    model.systemd ? `sudo systemctl restart ${shQuote(u)}` : serviceCommand('restart', u),
  );
}

// kmod and systemd read a file of the same name in /etc instead of the packaged one (modprobe.d(5),
// modules-load.d(5)), and a package upgrade overwrites an edit made under /usr/lib or /lib.
const PACKAGED = /^\/(?:usr\/(?:local\/)?)?lib\/(modprobe\.d|modules-load\.d)\/([^/]+)$/;

/**
 * Stop one configuration line from taking effect: comment it out in place, or, for a packaged file, write the
 * same file with that line commented out under /etc, which shadows it.
 */
export function disableLine(
  model: HostModel,
  file: string,
  line: number | undefined,
  risk: Risk,
  why: string,
): Action {
  const packaged = PACKAGED.exec(file);
  const text = model.fileText.get(file);
  if (packaged == null || line === undefined || text === undefined) {
    return commentLine(model, file, line, risk, why);
  }
  const expect = editableLine(model, file, line);
  if (expect === undefined) {
    return commentLine(model, file, line, risk, why);
  }
  const lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  lines[line - 1] = `${COMMENT_PREFIX}${expect}`;
  return writeFile(
    `/etc/${packaged[1] ?? ''}/${packaged[2] ?? ''}`,
    lines,
    risk,
    `${why} (${file} belongs to a package; the file of the same name in /etc overrides it)`,
  );
}

/** One of two alternatives, as a manual step carrying the other action's paste-ready command. */
export function alternative(instruction: string, other: Action): ManualAction {
  return manual(instruction, other.why, renderCommand(other));
}

/**
 * Restart the loader after `before`: an action when nothing before it waits for a person, else a manual step
 * (restarting before a person acted would only fail again).
 */
export function thenRestart(model: HostModel, before: readonly Action[], why: string, unit?: string): Action {
  return before.some((a) => a.kind === 'manual')
    ? restartLoaderLater(model, why, unit)
    : restartLoader(model, why, unit);
}

/** A module the saved rules need is held out by kernel.modules_disabled=1: only a reboot can load it. */
function modulesWaitForReboot(model: HostModel): boolean {
  return model.needs?.results.some((r) => r.modules.some((m) => m.state === 'loading-disabled')) === true;
}

/**
 * Under kernel.modules_disabled=1 a restart of the loader loads nothing the kernel lacks: no module can be
 * loaded until the next boot (kernel/module/main.c may_init_module(); the sysctl is one-way, kernel/sysctl.c).
 * At boot systemd-modules-load loads what modules-load.d lists before systemd-sysctl sets it again, and the
 * loader runs after both. One step, the same for every finding that needs it, so a plan shows it once.
 */
export function rebootWhileModulesDisabled(): ManualAction {
  return manual(
    'Reboot after the steps above: with kernel.modules_disabled=1 no module loads until the next boot, so restarting the loader now would fail again.',
    'At boot the modules listed in modules-load.d load before systemd-sysctl disables loading, and the loader restores the saved rules after them.',
    'sudo reboot',
  );
}

/**
 * Lines of a manual step's command: a package-manager helper answers with prose where it knows no command
 * ("install the package that provides ..."); that becomes a comment line, never a line the shell would run.
 */
export function shLines(...parts: readonly string[]): string {
  return parts.map((p) => (/^(sudo|ls|findmnt|modprobe|grep|zgrep|test) /.test(p) ? p : `# ${p}`)).join('\n');
}
