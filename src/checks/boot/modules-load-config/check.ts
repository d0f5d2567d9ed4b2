// modules-load.d / /etc/modules entries that systemd-modules-load cannot load, or silently skips, and the
// units a failing systemd-modules-load.service drags down through a hard dependency (Requires=).
//
// What systemd-modules-load does with each line (src/shared/module-util.c module_load_and_warn(), read in
// systemd main; lab captures on systemd 252):
//  - "Failed to look up module alias 'X': %m" (err): lookup error, the unit fails on every version;
//  - "Failed to find module 'X'" (err, -ENOENT): fails the unit only before v244; since systemd#13856
//    (v244) apply_file() skips -ENOENT, so the unit succeeds and only the log line remains (lab
//    linode-modules-load: Result=success on 252);
//  - "Module 'X' is deny-listed (by kmod|kernel)" (info): skipped, the unit succeeds, the module is not loaded;
//  - "Failed to insert module 'X': %m" (err): the unit fails (lab modules-load-fails: EINVAL from a bad
//    "options" line); recent releases log ENODEV/ENOENT at notice/warning and do not fail.
// A whole line is one lookup name, so "xt_recent ip_list_tot=0" is never found (see parsers/modules-load-d.ts).
import { defineCheck, unknown, type Fix, type FindingInput } from '../../types.ts';
import type { HostModel } from '../../../model/host-model.ts';
import type { ModulesLoadEntry } from '../../../parsers/modules-load-d.ts';
import type { JournalEntry } from '../../../parsers/journal.ts';
import { hardDependencyOn, type HardDependency } from '../../../model/units.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { escapeRe, systemdVersion } from '../../host-commands.ts';
import {
  alternative,
  daemonReload,
  disableLine,
  manual,
  rawLine,
  replaceLine,
  systemctl,
  writeFile,
} from '../../fix-actions.ts';
import { isValidModuleName, type Action } from '../../../fixes/actions.ts';
import { normalizeModuleName } from '../../../parsers/module-name.ts';

const ID = 'boot/modules-load-config';
const UNIT = 'systemd-modules-load.service';
/** systemd#13856: first release in which a module that cannot be found no longer fails the unit. */
const ENOENT_TOLERANT_SINCE = 244;

type LogKind = 'notFound' | 'lookupFailed' | 'insertFailed' | 'denyListed';

interface ModulesLoadLog {
  readonly kind: LogKind;
  readonly name: string;
  readonly detail?: string;
  readonly entry: JournalEntry;
}

const LOG_PATTERNS: readonly { kind: LogKind; re: RegExp }[] = [
  { kind: 'notFound', re: /^Failed to find module '(.+)'$/ },
  { kind: 'lookupFailed', re: /^Failed to look ?up (?:module )?alias '(.+?)': (.+)$/ },
  { kind: 'insertFailed', re: /^Failed to insert (?:module )?'(.+?)': (.+)$/ },
  { kind: 'denyListed', re: /^Module '(.+?)' is (?:deny-listed|blacklisted)(?: \(by (\w+)\))?$/ },
];

function fromModulesLoad(e: JournalEntry): boolean {
  return e.syslogIdentifier === 'systemd-modules-load' || e.sourceUnit === UNIT;
}

function modulesLoadLogs(model: HostModel): ModulesLoadLog[] {
  const out: ModulesLoadLog[] = [];
  for (const entry of model.journal.entries) {
    if (!fromModulesLoad(entry)) {
      continue;
    }
    for (const p of LOG_PATTERNS) {
      const m = p.re.exec(entry.message.trim());
      if (m?.[1] !== undefined) {
        out.push({ kind: p.kind, name: m[1], ...(m[2] === undefined ? {} : { detail: m[2] }), entry });
        break;
      }
    }
  }
  return out;
}

function journalLine(model: HostModel, e: JournalEntry): Evidence {
  const who = `${e.syslogIdentifier ?? e.unit ?? ''}${e.pid === undefined ? '' : `[${e.pid}]`}`;
  return evidenceAt(model.journal.source, e.line, `${who}: ${e.message}`);
}

/** PID 1's own lines about a unit, whether or not they carry UNIT= (early boot: kmsg, no UNIT=). */
function pid1Lines(model: HostModel, re: RegExp): JournalEntry[] {
  return model.journal.entries.filter(
    (e) => (e.syslogIdentifier === 'systemd' || e.pid === 1) && re.test(e.message),
  );
}

/** Can the running kernel's indexes resolve this name, as kmod_module_new_from_lookup() would? */
function lookupVerdict(model: HostModel, name: string): 'found' | 'not-found' | 'unknown' {
  const view = model.kernel;
  if (view === undefined) {
    return 'unknown';
  }
  const norm = name.replace(/-/g, '_');
  if (view.deps === undefined) {
    const dep = view.missing.find((m) => m.path === `${view.modulesDir}/modules.dep`);
    // Without modules.dep kmod resolves nothing (the lab's provider-kernel host): certain only when absent.
    return dep?.status === 'absent' ? 'not-found' : 'unknown';
  }
  if (
    view.deps.has(norm) ||
    view.builtin?.has(norm) === true ||
    (view.aliases?.lookup(name).length ?? 0) > 0 ||
    (view.builtinAliases?.lookup(name).length ?? 0) > 0
  ) {
    return 'found';
  }
  return 'not-found';
}

function restart(model: HostModel): Action {
  return systemctl(
    model,
    'restart',
    UNIT,
    'safe',
    'Runs module loading again with the corrected configuration (it runs again at every boot).',
  );
}
const VERIFY = `systemctl is-failed ${UNIT}; journalctl -b -u ${UNIT} --no-pager`;

interface Versions {
  /** true: this systemd fails the unit for a module it cannot find; undefined: unknown. */
  readonly enoentFails?: boolean;
  readonly text: string;
  readonly source?: string;
}

function versions(model: HostModel): Versions {
  const v = systemdVersion(model);
  if (v === undefined) {
    return {
      text: `systemd version unknown: before v${ENOENT_TOLERANT_SINCE} this fails ${UNIT}, since v${ENOENT_TOLERANT_SINCE} it is only logged`,
    };
  }
  const fails = v.major < ENOENT_TOLERANT_SINCE;
  return {
    enoentFails: fails,
    source: v.source,
    text: fails
      ? `systemd ${v.major} (< ${ENOENT_TOLERANT_SINCE}) fails ${UNIT} for it`
      : `systemd ${v.major} (>= ${ENOENT_TOLERANT_SINCE}) only logs it; the unit succeeds`,
  };
}

interface Dependent {
  readonly unit: string;
  readonly dep: HardDependency;
  readonly enabled: boolean;
  readonly description?: string;
}

function hardDependents(model: HostModel): Dependent[] {
  const out: Dependent[] = [];
  for (const [name, info] of model.units) {
    if (name === UNIT || info.effective === undefined || info.effective.masked) {
      continue;
    }
    const dep = hardDependencyOn(info.effective, UNIT);
    if (dep === undefined) {
      continue;
    }
    const description = info.effective.last('Unit', 'Description')?.value ?? info.show?.get('Description');
    const state = info.enabled?.state ?? info.show?.get('UnitFileState');
    out.push({
      unit: name,
      dep,
      enabled: state === 'enabled' || state === 'enabled-runtime' || state === 'static',
      ...(description === undefined ? {} : { description }),
    });
  }
  return out;
}

function dependentsNote(deps: readonly Dependent[]): string {
  return deps.length === 0
    ? ''
    : ` ${deps.map((d) => `${d.unit} has ${d.dep.kind}=${UNIT} (${d.dep.at.file}:${d.dep.at.line ?? '?'})`).join('; ')}: if ${UNIT} fails, ${deps.length === 1 ? 'it does' : 'they do'} not start.`;
}

function notFoundFinding(
  model: HostModel,
  e: ModulesLoadEntry,
  logs: readonly ModulesLoadLog[],
  v: Versions,
  deps: readonly Dependent[],
  rootCauses: readonly string[],
): FindingInput {
  const lookupFailed = logs.find((l) => l.kind === 'lookupFailed');
  const failsUnit = lookupFailed !== undefined || v.enoentFails === true;
  const release = model.kernel?.release ?? model.release?.value ?? '$(uname -r)';
  const evidence: Evidence[] = [
    evidenceAt(e.at.file, e.at.line, e.lookupName),
    ...logs.map((l) => journalLine(model, l.entry)),
  ];
  const view = model.kernel;
  if (view !== undefined) {
    evidence.push(
      view.deps === undefined
        ? evidenceAt(
            `${view.modulesDir}/modules.dep`,
            undefined,
            undefined,
            'absent: kmod can resolve no module name',
          )
        : evidenceAt(
            `${view.modulesDir}/modules.dep`,
            undefined,
            undefined,
            `no module, alias or built-in named ${e.module}`,
          ),
    );
  }
  if (v.source !== undefined) {
    evidence.push(evidenceAt(v.source, undefined, undefined, v.text));
  }
  const fix: Fix = {
    actions: [
      ...(rootCauses.length > 0
        ? [
            manual(
              `Boot a kernel that has /lib/modules/${release} (see kmod/no-modules-dir).`,
              `${e.module} is missing because the running kernel has no module tree at all.`,
            ),
          ]
        : []),
      // safe: the running kernel cannot load the module, so the line only fails or warns; removing it changes
      // nothing that is loaded.
      disableLine(
        model,
        e.at.file,
        e.at.line,
        'safe',
        rootCauses.length > 0
          ? `Or, if you keep this kernel, stop asking for ${e.module}: nothing can load it.`
          : `${release} has no module ${e.module}: the line can only produce an error.`,
      ),
      restart(model),
    ],
    persistence: `${UNIT} reads ${e.at.file} at every boot; without the line there is nothing to fail on.`,
    verify: VERIFY,
  };
  return {
    messageId: lookupFailed !== undefined ? 'lookupFailed' : 'notFound',
    key: `${e.at.file}:${e.at.line ?? 0}:not-found`,
    data: {
      module: e.module,
      file: e.at.file,
      line: e.at.line ?? 0,
      release,
      versions: v.text,
      error: lookupFailed?.detail ?? '',
    },
    evidence,
    subjects: [
      `module:${e.module}`,
      `modules-load:${e.at.file}:${e.at.line ?? 0}`,
      ...(failsUnit ? [`unit:${UNIT}`] : []),
    ],
    causedBy: rootCauses,
    severity: failsUnit ? 'error' : 'warning',
    fix,
    next:
      (failsUnit
        ? `Every unit that Requires= ${UNIT} does not start this boot.`
        : `The module is not loaded; if something needs it, it fails later with its own error.`) +
      dependentsNote(deps),
  };
}

function parametersFinding(
  model: HostModel,
  e: ModulesLoadEntry,
  logs: readonly ModulesLoadLog[],
  v: Versions,
  deps: readonly Dependent[],
): FindingInput {
  const failsUnit = v.enoentFails === true;
  const options = `options ${e.module} ${e.rest ?? ''}`;
  const line = e.at.line ?? 1;
  return {
    messageId: 'parametersIgnored',
    key: `${e.at.file}:${line}:parameters`,
    data: {
      module: e.module,
      rest: e.rest ?? '',
      file: e.at.file,
      line,
      lookupName: e.lookupName,
      versions: v.text,
    },
    evidence: [
      evidenceAt(e.at.file, line, e.lookupName, 'systemd looks up the whole line as one module name'),
      ...logs.map((l) => journalLine(model, l.entry)),
      ...(v.source === undefined ? [] : [evidenceAt(v.source, undefined, undefined, v.text)]),
    ],
    subjects: [
      `module:${e.module}`,
      `modules-load:${e.at.file}:${line}`,
      ...(failsUnit ? [`unit:${UNIT}`] : []),
    ],
    severity: failsUnit ? 'error' : 'warning',
    fix: {
      actions: [
        // safe: loads the module the line asks for, with the options it names: what the line intended.
        replaceLine(
          model,
          e.at.file,
          line,
          e.module,
          'safe',
          'Leaves only the module name on the line, which is all systemd-modules-load understands.',
        ),
        isValidModuleName(e.module)
          ? writeFile(
              optionsFile(e.module),
              [options],
              'safe',
              'modprobe.d options are applied by kmod on every load of the module, including at boot.',
            )
          : manual(
              `Put "${options}" into a file in /etc/modprobe.d.`,
              'modprobe.d options are applied by kmod on every load of the module, including at boot.',
            ),
        restart(model),
      ],
      persistence: `Both files are read at every boot: ${e.at.file} says what to load, ${optionsFile(e.module)} how.`,
      verify: `lsmod | grep -w ${e.module}; cat /sys/module/${e.module}/parameters/* 2>/dev/null`,
    },
    next:
      `Once the options reach the module, it may reject them ("Failed to insert module '${e.module}': Invalid argument", which fails ${UNIT}): check the names with modinfo -p ${e.module}.` +
      dependentsNote(deps),
  };
}

/**
 * The journal keeps the whole boot: after a repair (`fix --apply` restarts systemd-modules-load), the
 * "Failed to insert" line of the boot's start is still there. It is history when the unit is active again
 * (a restart that failed to insert would leave it failed, modules-load.c returns the error) and the module is
 * in /proc/modules now.
 */
function insertFailureIsPast(model: HostModel, name: string): boolean {
  const active = model.units.get(UNIT)?.show?.get('ActiveState') === 'active';
  const loaded = model.kernel?.loaded?.modules.has(normalizeModuleName(name)) === true;
  return active && loaded;
}

function insertFinding(
  model: HostModel,
  name: string,
  e: ModulesLoadEntry | undefined,
  log: ModulesLoadLog | undefined,
  deps: readonly Dependent[],
): FindingInput | undefined {
  const policy = model.kernel?.policy;
  const options = policy?.optionsOf(name) ?? [];
  const install = policy?.installOf(name);
  const blockingInstall =
    install !== undefined && policy?.installEffect(install.command) === 'blocks-with-error'
      ? install
      : undefined;
  if (log === undefined && blockingInstall === undefined) {
    return undefined;
  }
  if (blockingInstall === undefined && insertFailureIsPast(model, name)) {
    return undefined;
  }
  const error = log?.detail ?? `install command "${blockingInstall?.command ?? ''}" fails`;
  // ENODEV/ENOENT from the insert are logged below err and do not fail the unit (module-util.c).
  const failsUnit = !/^(No such device|No such file or directory)$/.test(log?.detail ?? '');
  const evidence: Evidence[] = [
    ...(log === undefined ? [] : [journalLine(model, log.entry)]),
    ...(e === undefined
      ? []
      : [evidenceAt(e.at.file, e.at.line, e.lookupName, 'asks systemd-modules-load to load it')]),
    ...options.map((o) =>
      evidenceAt(o.at.file, o.at.line, `options ${name} ${o.options}`, 'passed to the module on every load'),
    ),
    ...(blockingInstall === undefined
      ? []
      : [
          evidenceAt(
            blockingInstall.at.file,
            blockingInstall.at.line,
            `install ${name} ${blockingInstall.command}`,
            'kmod runs this instead of loading the module',
          ),
        ]),
  ];
  const actions: Action[] = [];
  if (blockingInstall !== undefined) {
    actions.push(
      e === undefined
        ? // review: the install line may be a hardening rule someone wants; removing it allows the module.
          disableLine(
            model,
            blockingInstall.at.file,
            blockingInstall.at.line,
            'review',
            `The install line forbids ${name}; remove it if the module is wanted.`,
          )
        : // safe: the module cannot load while the install line forbids it; the entry only fails the unit.
          disableLine(
            model,
            e.at.file,
            e.at.line,
            'safe',
            `${blockingInstall.at.file} forbids ${name} on purpose (a hardening rule); stop asking modules-load for it. Delete the install line instead if you do want the module.`,
          ),
    );
  } else if (options.length > 0 && /Invalid argument/.test(error)) {
    for (const o of options) {
      // safe: with these parameters the module does not load at all (EINVAL); without them it loads with
      // its defaults, which is what the modules-load entry and any rule using it need.
      actions.push(
        disableLine(
          model,
          o.at.file,
          o.at.line,
          'safe',
          `The module rejects its parameters (EINVAL): "${o.options}". Check the valid ones with modinfo -p ${name} and write them back corrected.`,
        ),
      );
    }
  } else {
    actions.push(
      manual(
        `Find out why the kernel refuses ${name}.`,
        'Shows why the kernel refuses the module (signature, lockdown, wrong parameters, missing hardware).',
        `sudo modprobe -v ${name}; sudo dmesg | tail -n 20`,
      ),
    );
    if (e !== undefined) {
      // review: the cause is unknown; whether to stop loading the module or repair it is a judgement.
      actions.push(
        disableLine(
          model,
          e.at.file,
          e.at.line,
          'review',
          `Until it can load, asking for ${name} at boot only fails ${UNIT}.`,
        ),
      );
    }
  }
  actions.push(restart(model));
  return {
    messageId: 'insertFailed',
    key: `${name}:insert`,
    data: { module: name, error, file: e?.at.file ?? 'the journal', line: e?.at.line ?? 0 },
    evidence,
    subjects: [
      `module:${name}`,
      ...(e === undefined ? [] : [`modules-load:${e.at.file}:${e.at.line ?? 0}`]),
      ...(failsUnit ? [`unit:${UNIT}`] : []),
    ],
    severity: failsUnit ? 'error' : 'warning',
    fix: {
      actions,
      persistence: `modprobe.d and modules-load.d are read at every boot; with the bad line gone ${UNIT} succeeds.`,
      verify: VERIFY,
    },
    next:
      `While ${UNIT} is failed the system is "degraded"; units with Requires=${UNIT} do not start (they are not listed by systemctl --failed).` +
      dependentsNote(deps),
  };
}

function denyListedFinding(
  model: HostModel,
  e: ModulesLoadEntry,
  log: ModulesLoadLog | undefined,
): FindingInput | undefined {
  const bl = model.kernel?.policy.blacklistOf(e.module) ?? [];
  if (log === undefined && bl.length === 0) {
    return undefined;
  }
  const first = bl[0];
  return {
    messageId: 'denyListed',
    key: `${e.at.file}:${e.at.line ?? 0}:deny-listed`,
    data: {
      module: e.module,
      file: e.at.file,
      line: e.at.line ?? 0,
      by: first === undefined ? (log?.detail ?? 'kmod') : `${first.file}:${first.line ?? '?'}`,
    },
    evidence: [
      evidenceAt(e.at.file, e.at.line, e.lookupName),
      ...(log === undefined ? [] : [journalLine(model, log.entry)]),
      ...bl.map((o) => evidenceAt(o.file, o.line, `blacklist ${e.module}`)),
    ],
    subjects: [`module:${e.module}`, `modules-load:${e.at.file}:${e.at.line ?? 0}`],
    severity: 'warning',
    fix: {
      actions: [
        ...(first !== undefined
          ? [
              // review: a blacklist is often a deliberate policy; only a person knows which line is wanted.
              disableLine(
                model,
                first.file,
                first.line,
                'review',
                `systemd-modules-load honours the blacklist even for a module listed by name (KMOD_PROBE_APPLY_BLACKLIST); comment it out if ${e.module} is wanted.`,
              ),
            ]
          : []),
        alternative(
          first === undefined
            ? `Either remove the blacklist line for ${e.module} (grep -rn 'blacklist ${e.module}' /etc/modprobe.d /usr/lib/modprobe.d /lib/modprobe.d) or, if the blacklist is wanted, disable ${e.at.file} line ${e.at.line ?? '?'}.`
            : `Or, if the blacklist is wanted, disable ${e.at.file} line ${e.at.line ?? '?'} instead.`,
          disableLine(
            model,
            e.at.file,
            e.at.line,
            'review',
            'The two lines contradict each other; keep one.',
          ),
        ),
      ],
      persistence: 'Both files are read at every boot.',
      verify: `lsmod | grep -w ${e.module}`,
    },
    next: 'Nothing fails, so nothing reports it: whatever needed the module misbehaves later without naming it.',
  };
}

function optionsFile(module: string): string {
  return `/etc/modprobe.d/nfdoctor-${module}.conf`;
}

/**
 * Requires= (or Requisite=, BindsTo=) on systemd-modules-load.service -> Wants=: stock netfilter-persistent (since
 * 1.0.4, Debian #780407) only has Wants= + After=, so it waits for module loading but still starts when that
 * fails. safe: the unit still starts after module loading; it only no longer gives up when that fails.
 */
function wantsInstead(model: HostModel, d: Dependent): Action[] {
  const line = d.dep.at.line;
  const raw = line === undefined ? undefined : rawLine(model, d.dep.at.file, line);
  const m = raw === undefined ? null : /^(\s*)(\w+)=\s*(\S+)\s*$/.exec(raw);
  const why = `The ${d.dep.kind}= comes from a local file; with Wants= the unit waits for ${UNIT} but still starts when it fails.`;
  if (m == null || m[2] !== d.dep.kind || m[3] !== UNIT) {
    return [
      manual(
        `In ${d.dep.at.file} line ${line ?? '?'}, move ${UNIT} from ${d.dep.kind}= to Wants=, then run systemctl daemon-reload.`,
        why,
        `sudoedit ${d.dep.at.file} && sudo systemctl daemon-reload`,
      ),
    ];
  }
  return [
    replaceLine(model, d.dep.at.file, line, `${m[1] ?? ''}Wants=${UNIT}`, 'safe', why),
    daemonReload('Makes systemd read the changed unit file.'),
  ];
}

function dependentFinding(
  model: HostModel,
  d: Dependent,
  lines: readonly JournalEntry[],
  roots: readonly string[],
  observed: boolean,
): FindingInput {
  const info = model.units.get(d.unit);
  const show = info?.show;
  const local = d.dep.at.file.startsWith('/etc/');
  const evidence: Evidence[] = [
    ...lines.map((l) => journalLine(model, l)),
    evidenceAt(
      d.dep.at.file,
      d.dep.at.line,
      `${d.dep.kind}=${UNIT}`,
      d.dep.ordered ? `with After=${UNIT}: its failure fails this start job` : 'no After=: a race',
    ),
  ];
  if (show !== undefined) {
    const state = ['ActiveState', 'SubState', 'Result'].map((k) => `${k}=${show.get(k) ?? '?'}`).join(' ');
    evidence.push(
      evidenceAt(
        `systemctl show ${d.unit}`,
        undefined,
        state,
        'a dependency-failed unit is inactive, not failed: systemctl --failed does not list it',
      ),
    );
  }
  return {
    messageId: observed ? 'dependencyFailed' : 'dependencyWillFail',
    key: `${d.unit}:dependency`,
    data: { unit: d.unit, kind: d.dep.kind, file: d.dep.at.file, line: d.dep.at.line ?? 0 },
    evidence,
    subjects: [`unit:${d.unit}`],
    causedBy: roots,
    severity: 'error',
    fix: {
      actions: [
        ...(local ? wantsInstead(model, d) : []),
        // safe: starts the firewall loader, which loads the saved rules.
        systemctl(model, 'start', d.unit, 'safe', 'Starts it now; at the next boot it starts on its own.'),
      ],
      persistence: local
        ? `With Wants= instead of ${d.dep.kind}=, a future modules-load failure no longer stops ${d.unit}.`
        : `${d.unit} starts at every boot once ${UNIT} succeeds.`,
      verify: `systemctl is-active ${d.unit}`,
    },
    next: observed
      ? `The firewall was not loaded this boot: check the live rules (iptables-save) after starting ${d.unit}.`
      : `At the next boot ${d.unit} will not start, and the firewall will not be loaded.`,
  };
}

export default defineCheck({
  meta: {
    id: ID,
    title: 'systemd-modules-load can load every module listed in /etc/modules and modules-load.d',
    severity: 'error',
    messages: {
      notFound:
        '{{file}} line {{line}} asks for {{module}}, which {{release}} does not have ("Failed to find module"); {{versions}}',
      lookupFailed:
        '{{file}} line {{line}} asks for {{module}} and kmod cannot look it up ({{error}}): this fails systemd-modules-load.service on every systemd version',
      parametersIgnored:
        '{{file}} line {{line}} "{{lookupName}}": systemd looks up the whole line as a module name, so {{module}} is never loaded and "{{rest}}" never applied; {{versions}}',
      insertFailed:
        '{{module}} ({{file}} line {{line}}) cannot be inserted: {{error}}; systemd-modules-load.service fails',
      denyListed:
        '{{file}} line {{line}} asks for {{module}}, but it is deny-listed ({{by}}): systemd-modules-load skips it without failing',
      unitFailed: 'systemd-modules-load.service failed this boot ({{result}})',
      dependencyFailed:
        '{{unit}} was not started: its {{kind}}=systemd-modules-load.service ({{file}}:{{line}}) failed ("Dependency failed")',
      dependencyWillFail:
        '{{unit}} will not start at boot: it has {{kind}}=systemd-modules-load.service ({{file}}:{{line}}), which fails',
    },
  },
  run(ctx) {
    const { model } = ctx;
    const entries = model.modulesLoad.entries;
    const logs = model.journal.available ? modulesLoadLogs(model) : [];
    const v = versions(model);
    const deps = hardDependents(model);
    const kernelRoots = ctx.findingsAbout('kernel:modules-dir').map((f) => f.id);
    const unitFailing: string[] = [];
    const report = (f: FindingInput | undefined): void => {
      if (f === undefined) {
        return;
      }
      ctx.report(f);
      if (f.subjects?.includes(`unit:${UNIT}`) === true) {
        unitFailing.push(`${ID}#${f.key}`);
      }
    };
    let undecided = 0;
    const handled = new Set<string>();
    for (const e of entries) {
      const own = logs.filter((l) => l.name === e.lookupName || l.name === e.module);
      if (e.rest !== undefined) {
        report(parametersFinding(model, e, own, v, deps));
        handled.add(e.lookupName);
        continue;
      }
      handled.add(e.module);
      const insert = insertFinding(
        model,
        e.module,
        e,
        own.find((l) => l.kind === 'insertFailed'),
        deps,
      );
      if (insert !== undefined) {
        report(insert);
        continue;
      }
      const denied = denyListedFinding(
        model,
        e,
        own.find((l) => l.kind === 'denyListed'),
      );
      if (denied !== undefined) {
        report(denied);
        continue;
      }
      const verdict = lookupVerdict(model, e.lookupName);
      const missLogs = own.filter((l) => l.kind === 'notFound' || l.kind === 'lookupFailed');
      if (verdict === 'not-found' || missLogs.length > 0) {
        const roots = model.kernel?.deps === undefined ? kernelRoots : [];
        report(notFoundFinding(model, e, missLogs, v, deps, roots));
      } else if (verdict === 'unknown') {
        undecided++;
      }
    }
    // Failures the journal shows for lines nfdoctor did not read (a file it could not collect).
    for (const l of logs.filter((x) => x.kind === 'insertFailed' && !handled.has(x.name))) {
      handled.add(l.name);
      report(insertFinding(model, l.name, undefined, l, deps));
    }

    const show = model.units.get(UNIT)?.show;
    const failLines = pid1Lines(
      model,
      new RegExp(
        `^(${escapeRe(UNIT)}: Failed with result|Failed to start (${escapeRe(UNIT)}|Load Kernel Modules))`,
      ),
    );
    // A failure logged earlier this boot is over once the unit is active again (restarted after a repair).
    const activeNow = show?.get('ActiveState') === 'active';
    const failed = show?.get('ActiveState') === 'failed' || (!activeNow && failLines.length > 0);
    if (failed && unitFailing.length === 0) {
      const result = show?.get('Result') ?? 'see journal';
      ctx.report({
        messageId: 'unitFailed',
        key: `${UNIT}:failed`,
        data: { result },
        evidence: [
          ...failLines.slice(0, 3).map((l) => journalLine(model, l)),
          ...(show === undefined
            ? []
            : [
                evidenceAt(
                  `systemctl show ${UNIT}`,
                  undefined,
                  `ActiveState=${show.get('ActiveState') ?? '?'} Result=${result}`,
                ),
              ]),
        ],
        subjects: [`unit:${UNIT}`],
        fix: {
          actions: [restart(model)],
          persistence: `${UNIT} runs at every boot; it succeeds once the bad entry or option is gone.`,
          // The journal names the module that failed (early lines may only be in the kernel log).
          verify: `journalctl -b -k --no-pager | tail -n 50; ${VERIFY}`,
        },
      });
      unitFailing.push(`${ID}#${UNIT}:failed`);
    }
    // Predict only when this boot says nothing about the unit (no journal, no systemctl show).
    const predicted = !failed && unitFailing.length > 0 && show === undefined && !model.journal.available;
    for (const d of deps) {
      const names = [d.unit, ...(d.description === undefined ? [] : [d.description])].map(escapeRe).join('|');
      const lines = pid1Lines(
        model,
        new RegExp(
          `^(Dependency failed for (${names})\\b|${escapeRe(d.unit)}: Job ${escapeRe(d.unit)}/start failed with result 'dependency')`,
        ),
      );
      const dshow = model.units.get(d.unit)?.show;
      const deadAfterFailure =
        failed && d.enabled && dshow?.get('ActiveState') === 'inactive' && dshow.get('Result') === 'success';
      if (lines.length > 0 || deadAfterFailure) {
        ctx.report(dependentFinding(model, d, lines, unitFailing, true));
      } else if (predicted && d.enabled) {
        ctx.report(dependentFinding(model, d, [], unitFailing, false));
      }
    }
    if (undecided > 0 && unitFailing.length === 0) {
      const why =
        model.kernel === undefined
          ? 'the running kernel release is unknown, so its modules.dep cannot be read'
          : `${model.kernel.modulesDir}/modules.dep could not be read`;
      return unknown(
        `${undecided} modules-load entr${undecided === 1 ? 'y' : 'ies'} could not be checked: ${why}, and the journal has no systemd-modules-load lines for ${undecided === 1 ? 'it' : 'them'}`,
      );
    }
    return undefined;
  },
});
