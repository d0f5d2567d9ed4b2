// What the loader unit actually runs, and what iptables-services' own settings do to the saved rules: read from
// the unit file (ExecStart=, Before=, AssertPathExists=) and /etc/sysconfig/iptables-config, not assumed from the
// distribution. Real files behind every rule here: src/parsers/__samples__/iptables-services and arch-iptables
// (SOURCES.md there; line numbers below are of those files).
//
//  - An enabled loader whose file is gone fails at every boot: RHEL's unit asserts the file
//    (`AssertPathExists=/etc/sysconfig/iptables`, so systemd does not even run the script), Arch's runs
//    `iptables-restore FILE`, which prints "Can't open FILE: No such file or directory" and exits 1.
//  - A unit whose ExecStart= restores another file than the saved one leaves the saved file unused.
//  - systemd.special(7): network-pre.target is what services that must run "before any network interface is
//    configured" (firewalls) order themselves before. RHEL's iptables.service has Before= and Wants= on it;
//    Arch's iptables.service has neither, so interfaces can come up before the rules are loaded.
//  - iptables.init (RHEL 7 lines 451/438, RHEL 8 lines 339/326): `stop)` runs save() first when
//    IPTABLES_SAVE_ON_STOP="yes", restart() when IPTABLES_SAVE_ON_RESTART="yes" (under systemd only when the script
//    is run by hand: `systemctl restart` runs the unit's ExecStop= and ExecStart=): the live ruleset, whatever it is
//    at that moment (flushed by hand, rewritten by another tool), replaces /etc/sysconfig/iptables; save() keeps
//    the previous file as /etc/sysconfig/iptables.save.
//  - RHEL 7's iptables.init only (IPTABLES_MODULES_UNLOAD, default "yes"; RHEL 8's script has no such option):
//    stop() unloads iptable_*, ip_tables and every module using them, then x_tables, nf_nat, nf_conntrack and
//    their users (rmmod_r), and start() loads again only what the rules autoload plus IPTABLES_MODULES. A module
//    that modules-load.d loaded at boot (a conntrack helper, say) is gone after `systemctl restart iptables`.
import { defineCheck, notApplicable, type FindingInput, type Severity } from '../../types.ts';
import type { HostModel } from '../../../model/host-model.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { effectiveShellVar } from '../../../parsers/shell-vars.ts';
import { countRules } from '../../../model/ruleset-compare.ts';
import { parseIptablesSaveFamily } from '../../../parsers/iptables-save.ts';
import {
  distroFamily,
  iptablesInitFlavour,
  loaderUnitFor,
  osMajorVersion,
  rpmInstalled,
  type InitFlavour,
} from '../../host-commands.ts';
import { daemonReload, manual, replaceLine, systemctl, writeFile } from '../../fix-actions.ts';
import { shQuote } from '../../../fixes/actions.ts';
import { loaderRun, type LoaderRun } from '../loader-unit.ts';
import { scanLoaderJournal } from '../journal-errors.ts';
import { journalLine } from '../evidence.ts';
import { aliasTarget } from '../not-enabled/check.ts';

const ID = 'loader/unit-config';
const LOADER_UNITS = ['iptables.service', 'ip6tables.service', 'netfilter-persistent.service'] as const;
const CONFIG = '/etc/sysconfig/iptables-config';

interface Loader {
  readonly unit: string;
  readonly run: LoaderRun;
  readonly enabled: boolean;
  readonly state: Evidence[];
}

function loaders(model: HostModel): Loader[] {
  const out: Loader[] = [];
  for (const unit of LOADER_UNITS) {
    const info = model.units.get(unit);
    const effective = info?.effective;
    if (effective === undefined || effective.masked || aliasTarget(model, unit) !== undefined) {
      continue;
    }
    const st = info?.enabled;
    const active = info?.show?.get('ActiveState');
    const enabled = st?.state === 'enabled' || st?.state === 'enabled-runtime' || active === 'active';
    const state = [
      ...(st === undefined ? [] : [evidenceAt(st.source, undefined, st.state)]),
      ...(active === undefined
        ? []
        : [evidenceAt(`systemctl show ${unit}`, undefined, `ActiveState=${active}`)]),
    ];
    out.push({ unit, run: loaderRun(effective), enabled, state });
  }
  return out;
}

function execEvidence(l: Loader): Evidence[] {
  const e = l.run.execStart;
  return e === undefined ? [] : [evidenceAt(e.at.file, e.at.line, `ExecStart=${e.value}`)];
}

/** How to write the live rules of `family` to `path`, the way this host's loader does it. */
function saveCommand(model: HostModel, l: Loader, path: string, family: 'ipv4' | 'ipv6'): string {
  const tool = family === 'ipv6' ? 'ip6tables' : 'iptables';
  if (l.run.kind === 'iptables-init') {
    // The package's legacy action: `service iptables save` runs `iptables.init save` (the spec's %install).
    return `sudo service ${tool} save`;
  }
  return `sudo sh -c ${shQuote(`${tool}-save > ${path}`)}`;
}

function missingFile(model: HostModel, l: Loader): FindingInput[] {
  const out: FindingInput[] = [];
  // netfilter-persistent's plugins skip a missing rules file ("Warning: skipping IPv6 (no rules to load)").
  if (!l.enabled || l.run.kind === 'netfilter-persistent') {
    return out;
  }
  const journal = model.journal.available ? scanLoaderJournal(model.journal.entries, l.unit) : [];
  for (const r of l.run.restores) {
    if (model.savedFileStatus.get(r.path)?.status !== 'absent') {
      continue;
    }
    const assert = l.run.pathChecks.find((p) => p.path === r.path);
    const said = journal.filter(
      (m) => m.kind === 'no-rules-file' && (m.name === undefined || m.name === r.path),
    );
    const how =
      assert?.kind === 'assert'
        ? `its AssertPathExists=${r.path} fails, so systemd marks it failed without running it`
        : assert?.kind === 'condition'
          ? `its ConditionPathExists=${r.path} is false, so systemd skips it`
          : `it runs ${l.run.execStart?.value ?? 'the restore'}, which cannot open the file and exits non-zero`;
    out.push({
      messageId: 'restoresMissing',
      key: `${l.unit}:missing:${r.path}`,
      severity: assert?.kind === 'condition' ? 'warning' : 'error',
      data: { unit: l.unit, file: r.path, how },
      evidence: [
        ...l.state,
        ...execEvidence(l),
        ...(assert === undefined
          ? []
          : [
              evidenceAt(
                assert.at.file,
                assert.at.line,
                `${assert.kind === 'assert' ? 'Assert' : 'Condition'}PathExists=${assert.path}`,
              ),
            ]),
        evidenceAt(r.path, undefined, 'absent'),
        ...said.map((m) => journalLine(model, m)),
      ],
      subjects: [`unit:${l.unit}`, `rules:${r.path}`],
      fix: {
        actions: [
          manual(
            `Save the ${r.family === 'ipv6' ? 'IPv6' : 'IPv4'} rules that should load at boot to ${r.path} (check them first: this saves what is loaded now).`,
            `${l.unit} restores ${r.path} at every boot; with the file in place it loads it.`,
            saveCommand(model, l, r.path, r.family),
          ),
          manual(
            `Or, if this host has no ${r.family === 'ipv6' ? 'IPv6' : 'IPv4'} rules to load, disable ${l.unit}.`,
            'A loader with nothing to load only fails at every boot.',
            `sudo systemctl disable ${shQuote(l.unit)}`,
          ),
        ],
        persistence: `${l.unit} reads ${r.path} on every boot.`,
        verify: `systemctl is-failed ${l.unit}; ls -l ${r.path}`,
      },
      next: `Until then every boot logs ${l.unit} as failed, and nothing filters ${r.family === 'ipv6' ? 'IPv6' : 'IPv4'} traffic.`,
    });
  }
  return out;
}

function restoresOther(model: HostModel, l: Loader): FindingInput[] {
  if (l.run.kind === 'other' || l.run.kind === 'netfilter-persistent' || l.run.execStart === undefined) {
    return [];
  }
  const owned = model.savedRules.filter((s) => loaderUnitFor(s) === l.unit);
  return owned
    .filter((s) => !l.run.restores.some((r) => r.path === s.path))
    .map((s) => ({
      messageId: 'restoresOther',
      key: `${l.unit}:other:${s.path}`,
      data: {
        unit: l.unit,
        file: s.path,
        exec: l.run.execStart?.value ?? '',
        restores: l.run.restores.map((r) => r.path).join(', ') || 'no file nfdoctor can name',
      },
      evidence: [
        ...execEvidence(l),
        evidenceAt(s.path, undefined, undefined, `${countRules(s.ruleset)} rules nobody restores`),
      ],
      subjects: [`unit:${l.unit}`, `rules:${s.path}`],
      fix: {
        actions: [
          manual(
            `Make ${l.unit} restore ${s.path} (remove the drop-in or edit that overrides ExecStart=), or move the rules to the file it restores.`,
            'The unit loads only the file its ExecStart= names.',
            `systemctl cat ${shQuote(l.unit)}`,
          ),
        ],
        persistence: 'The unit file is read at every boot.',
        verify: `systemctl cat ${l.unit} | grep ExecStart`,
      },
      next: 'After the change, run `systemctl daemon-reload` and restart the unit.',
    }));
}

function notBeforeNetwork(model: HostModel, l: Loader): FindingInput[] {
  const owned = model.savedRules.filter((s) => loaderUnitFor(s) === l.unit);
  if (!l.enabled || l.run.kind === 'other' || l.run.beforeNetworkPre !== undefined || owned.length === 0) {
    return [];
  }
  const dropIn = `/etc/systemd/system/${l.unit}.d/nfdoctor-before-network.conf`;
  return [
    {
      messageId: 'notBeforeNetwork',
      key: `${l.unit}:after-network`,
      severity: 'warning',
      data: { unit: l.unit, files: owned.map((s) => s.path).join(', ') },
      evidence: [
        ...execEvidence(l),
        evidenceAt(l.run.execStart?.at.file ?? l.unit, undefined, 'no Before=network-pre.target'),
      ],
      subjects: [`unit:${l.unit}`],
      fix: {
        actions: [
          // safe: the same rules load, only earlier; RHEL's own iptables.service carries these two lines.
          writeFile(
            dropIn,
            ['[Unit]', 'Wants=network-pre.target', 'Before=network-pre.target'],
            'safe',
            'systemd.special(7): network-pre.target is reached before any interface is configured; a firewall ordered before it is loaded before the network is up.',
          ),
          daemonReload('Makes systemd read the drop-in.'),
        ],
        persistence: `The drop-in in /etc/systemd/system/${l.unit}.d/ survives package upgrades and applies at every boot.`,
        verify: `systemctl show -p Before ${l.unit} | grep -c network-pre.target`,
      },
      next: 'With the ordering in place, systemd-analyze critical-chain network-pre.target shows the loader before it.',
    },
  ];
}

function configVar(model: HostModel, name: string): { value: string; line?: number } | undefined {
  const cfg = model.sysconfigIptables;
  const a = cfg === undefined ? undefined : effectiveShellVar(cfg.vars, name);
  return a === undefined ? undefined : { value: a.value, line: a.line };
}

/** RHEL 7's iptables.init (iptables-services 1.4.x): the one with IPTABLES_MODULES_UNLOAD. */
function rhel7Script(model: HostModel): { evidence: Evidence } | undefined {
  const pkg = rpmInstalled(model, 'iptables-services');
  if (pkg !== undefined) {
    return pkg.startsWith('1.4.')
      ? { evidence: evidenceAt('command: rpm -q iptables-services', undefined, `iptables-services-${pkg}`) }
      : undefined;
  }
  if (distroFamily(model) === 'rhel' && model.os?.id !== 'fedora' && osMajorVersion(model) === 7) {
    return {
      evidence: evidenceAt(
        model.os?.source ?? '/etc/os-release',
        undefined,
        `VERSION_ID=${model.os?.versionId ?? ''}`,
      ),
    };
  }
  return undefined;
}

/** Rules in the copy iptables.init's save() kept of the file it overwrote ($IPTABLES_DATA.save), if any. */
function previousSave(model: HostModel, f: InitFlavour): number | undefined {
  const copy = `${f.data}.save`;
  const text = model.fileText.get(copy);
  return text === undefined ? undefined : countRules(parseIptablesSaveFamily(text, copy, f.family).value);
}

function saveOnStop(model: HostModel, l: Loader): FindingInput[] {
  const f = iptablesInitFlavour(model, l.unit);
  if (l.run.kind !== 'iptables-init' || f === undefined) {
    return [];
  }
  const saved = model.savedRules.find((s) => s.path === f.data);
  const out: FindingInput[] = [];
  for (const [suffix, messageId, when] of [
    // systemd restarts the unit with ExecStop= then ExecStart= (iptables.init stop, start): SAVE_ON_STOP
    // decides there; the script's own restart (and SAVE_ON_RESTART) runs only when someone calls it.
    [
      'SAVE_ON_STOP',
      'saveOnStop',
      `every stop (every shutdown, \`systemctl stop ${f.tool}\` and \`systemctl restart ${f.tool}\`, which stops first)`,
    ],
    [
      'SAVE_ON_RESTART',
      'saveOnRestart',
      `\`${f.tool}.init restart\` run by hand (\`systemctl restart ${f.tool}\` runs the script's stop and start instead, where ${f.prefix}_SAVE_ON_STOP decides)`,
    ],
  ] as const) {
    const name = `${f.prefix}_${suffix}`;
    const a = f.vars === undefined ? undefined : effectiveShellVar(f.vars.vars, name);
    if (a?.value !== 'yes') {
      continue;
    }
    const empty = saved !== undefined && countRules(saved.ruleset) === 0;
    const previous = previousSave(model, f);
    const severity: Severity = empty ? 'error' : 'warning';
    out.push({
      messageId: empty ? 'savedEmpty' : messageId,
      key: `${l.unit}:${name}`,
      severity,
      data: { unit: l.unit, setting: `${name}="yes"`, when, file: f.data, config: f.config },
      evidence: [
        evidenceAt(f.config, a.line, `${name}="yes"`, `${f.tool}.init runs save() before stop()/restart()`),
        ...(saved === undefined
          ? []
          : [evidenceAt(saved.path, undefined, `${countRules(saved.ruleset)} rules`)]),
        ...(previous === undefined
          ? []
          : [
              evidenceAt(
                `${f.data}.save`,
                undefined,
                `${previous} rules`,
                'the file the last save() replaced (iptables.init: cp -f $IPTABLES_DATA $IPTABLES_DATA.save)',
              ),
            ]),
      ],
      subjects: [`unit:${l.unit}`, `rules:${f.data}`],
      fix: {
        actions: [
          replaceLine(
            model,
            f.config,
            a.line,
            `${name}="no"`,
            // review: which rules persist changes; the package default is "no".
            'review',
            `With "no" (the package default) the file changes only when you save it: ${when} no longer writes the live rules over it.`,
          ),
          ...(empty
            ? [
                manual(
                  `Put the intended rules back: ${f.tool}.init kept the file it replaced as ${f.data}.save; check it, copy it back and restart.`,
                  'save() copies the old file to $IPTABLES_DATA.save before it writes the live ruleset.',
                  `sudo diff ${f.data}.save ${f.data}; sudo cp ${f.data}.save ${f.data} && sudo systemctl restart ${f.tool}`,
                ),
              ]
            : []),
        ],
        persistence: `${f.config} is read by ${f.tool}.init at every start, stop and restart.`,
        verify: `grep ${name} ${f.config}`,
      },
      next: `Save deliberately from now on: \`service ${f.tool} save\` after you checked the live rules.`,
    });
  }
  return out;
}

function modulesUnload(model: HostModel, l: Loader): FindingInput[] {
  if (l.run.kind !== 'iptables-init' || l.unit !== 'iptables.service') {
    return [];
  }
  const script = rhel7Script(model);
  const setting = configVar(model, 'IPTABLES_MODULES_UNLOAD');
  // The script's default (RHEL 7 iptables.init line 53) is "yes"; the config only matters when it says otherwise.
  if (script === undefined || (setting !== undefined && setting.value !== 'yes')) {
    return [];
  }
  const deps = model.kernel?.deps;
  const listed = new Set((configVar(model, 'IPTABLES_MODULES')?.value ?? '').split(/\s+/).filter(Boolean));
  const roots = ['x_tables', 'nf_conntrack', 'nf_nat', 'ip_tables', 'ip6_tables'];
  const gone = model.modulesLoad.entries.filter((e) => {
    if (listed.has(e.module)) {
      return false;
    }
    const d = deps?.get(e.module);
    return (
      roots.includes(e.module) ||
      /^ip6?table_/.test(e.module) ||
      (d?.deps.some((x) => roots.includes(x)) ?? false)
    );
  });
  if (gone.length === 0) {
    return [];
  }
  const cfgLine = configVar(model, 'IPTABLES_MODULES');
  const modules = gone.map((e) => e.module);
  return [
    {
      messageId: 'modulesUnload',
      key: `${l.unit}:modules-unload`,
      severity: 'warning',
      data: { unit: l.unit, modules: modules.join(', ') },
      evidence: [
        script.evidence,
        setting === undefined
          ? evidenceAt(CONFIG, undefined, 'no IPTABLES_MODULES_UNLOAD: the script default "yes" applies')
          : evidenceAt(CONFIG, setting.line, 'IPTABLES_MODULES_UNLOAD="yes"'),
        ...gone.map((e) =>
          evidenceAt(e.at.file, e.at.line, e.lookupName, 'loaded once at boot by systemd-modules-load'),
        ),
      ],
      subjects: [`unit:${l.unit}`, ...modules.map((m) => `module:${m}`)],
      fix: {
        actions: [
          cfgLine?.line === undefined
            ? manual(
                `Add ${modules.join(' ')} to IPTABLES_MODULES in ${CONFIG}.`,
                'iptables.init loads IPTABLES_MODULES after every successful restore.',
                `sudoedit ${CONFIG}`,
              )
            : replaceLine(
                model,
                CONFIG,
                cfgLine.line,
                `IPTABLES_MODULES="${[...listed, ...modules].join(' ')}"`,
                'safe',
                'iptables.init modprobes IPTABLES_MODULES after every successful restore, so a restart loads them again.',
              ),
          systemctl(model, 'restart', l.unit, 'safe', 'Restores the rules and loads the modules now.'),
        ],
        persistence: `${CONFIG} is read at every start and restart of ${l.unit}.`,
        verify: `sudo systemctl restart ${l.unit}; lsmod | grep -E '${modules.join('|')}'`,
      },
      next: 'RHEL 8 and later no longer unload modules on stop; after an upgrade this finding goes away.',
    },
  ];
}

export default defineCheck({
  meta: {
    id: ID,
    title:
      'The loader unit restores the saved file before the network, and its settings keep that file intact',
    severity: 'error',
    messages: {
      restoresMissing:
        '{{unit}} is enabled to restore {{file}}, which does not exist: {{how}}, at every boot',
      restoresOther:
        '{{unit}} runs "{{exec}}", which restores {{restores}}, not {{file}}: the saved rules in {{file}} are never loaded at boot',
      notBeforeNetwork:
        '{{unit}} is not ordered Before=network-pre.target: network interfaces can come up before {{files}} is loaded',
      saveOnStop:
        '{{setting}} in {{config}}: {{when}} writes the live ruleset over {{file}}, so rules changed or flushed by hand become the rules of the next boot',
      saveOnRestart:
        '{{setting}} in {{config}}: {{when}} writes the live ruleset over {{file}}, so rules changed or flushed by hand become the saved rules',
      savedEmpty:
        '{{file}} holds no rules and {{setting}} is set: {{when}} saved an empty live ruleset over it, so every boot now loads nothing',
      modulesUnload:
        "RHEL 7's iptables.init unloads the netfilter modules on every stop and restart of {{unit}} (IPTABLES_MODULES_UNLOAD), and {{modules}} are loaded only by modules-load.d at boot: after `systemctl restart iptables` they are gone",
    },
  },
  run(ctx) {
    const { model } = ctx;
    if (!model.systemd) {
      return notApplicable('the host does not run systemd');
    }
    const found = loaders(model);
    if (found.length === 0) {
      return notApplicable('no iptables loader unit file on this host');
    }
    for (const l of found) {
      for (const f of [
        ...missingFile(model, l),
        ...restoresOther(model, l),
        ...notBeforeNetwork(model, l),
        ...saveOnStop(model, l),
        ...modulesUnload(model, l),
      ]) {
        ctx.report(f);
      }
    }
    return undefined;
  },
});
