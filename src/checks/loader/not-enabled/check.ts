// The unit that restores the saved rules does not run at boot (disabled, masked, not installed), or another
// firewall service enabled next to it replaces or flushes what it loaded.
//
// Facts this relies on:
//  - firewalld.service has Conflicts=iptables.service ip6tables.service ebtables.service ipset.service
//    nftables.service (firewalld's config/firewalld.service.in): starting it stops those units. On Debian
//    iptables.service and ipset.service are other names of netfilter-persistent.service (`systemctl show`
//    Names= in every lab capture), so firewalld stops netfilter-persistent too, then installs its own rules.
//  - nftables.service runs `nft -f /etc/nftables.conf`; Debian's stock file starts with `flush ruleset`,
//    which deletes every table, the iptables-nft ones included. Both it and netfilter-persistent are
//    Before=network-pre.target with no order between them: whichever runs last wins.
//  - ufw next to iptables-persistent: two programs write the same built-in chains at boot; CIS Debian/Ubuntu
//    benchmarks (4.2.2 "Ensure iptables-persistent is not installed with ufw") say to keep one.
//  - An alias is not a second loader: Debian's iptables.service IS netfilter-persistent.service.
import {
  defineCheck,
  notApplicable,
  unknown,
  type Fix,
  type FindingInput,
  type Severity,
} from '../../types.ts';
import type { HostModel, LoaderId, UnitInfo } from '../../../model/host-model.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { distroFamily, iptablesServicesPackage, loaderUnit, rpmTool } from '../../host-commands.ts';
import { commentLine, manual, restartLoader, restartLoaderLater, systemctl } from '../../fix-actions.ts';
import { BOOT_RUNLEVELS, bootRunlevel } from '../../../model/openrc.ts';
import { shQuote, type Action } from '../../../fixes/actions.ts';

const ID = 'loader/not-enabled';

interface Owner {
  readonly unit: string;
  readonly loader: LoaderId;
  readonly files: readonly string[];
}

function ownerUnits(model: HostModel): Owner[] {
  const out = new Map<string, { loader: LoaderId; files: string[] }>();
  for (const r of model.savedRules) {
    const unit =
      r.loader === 'iptables-services' || r.loader === 'arch-iptables'
        ? r.family === 'ipv6'
          ? 'ip6tables.service'
          : 'iptables.service'
        : loaderUnit(r.loader);
    const cur = out.get(unit) ?? { loader: r.loader, files: [] };
    cur.files.push(r.path);
    out.set(unit, cur);
  }
  return [...out].map(([unit, v]) => ({ unit, ...v }));
}

/** The unit `name` really is, when it is another name of a different unit (symlink, Names=, Id=). */
export function aliasTarget(model: HostModel, name: string): string | undefined {
  const link = model.unitAliases.get(name);
  if (link !== undefined) {
    return link.target;
  }
  const id = model.units.get(name)?.show?.get('Id');
  if (id !== undefined && id !== name) {
    return id;
  }
  for (const [other, info] of model.units) {
    const names = (info.show?.get('Names') ?? '').split(/\s+/);
    if (other !== name && names.includes(name)) {
      return other;
    }
  }
  return undefined;
}

/** Every name the unit answers to: itself, Names= of systemctl show, alias symlinks pointing to it. */
function namesOf(model: HostModel, unit: string): Set<string> {
  const names = new Set([unit]);
  for (const n of (model.units.get(unit)?.show?.get('Names') ?? '').split(/\s+/)) {
    if (n !== '') {
      names.add(n);
    }
  }
  for (const [alias, link] of model.unitAliases) {
    if (link.target === unit) {
      names.add(alias);
    }
  }
  return names;
}

type EnableState = { state: string; source: string } | undefined;

function enableState(info: UnitInfo | undefined): EnableState {
  if (info?.enabled !== undefined) {
    return info.enabled;
  }
  const fileState = info?.show?.get('UnitFileState');
  return fileState === undefined || fileState === ''
    ? undefined
    : { state: fileState, source: `systemctl show ${info?.name ?? ''} (UnitFileState)` };
}

function isOn(model: HostModel, unit: string): { on: boolean; evidence: Evidence[] } {
  const info = model.units.get(unit);
  const st = enableState(info);
  const active = info?.show?.get('ActiveState');
  const on = st?.state === 'enabled' || st?.state === 'enabled-runtime' || active === 'active';
  const evidence: Evidence[] = [];
  if (st !== undefined) {
    evidence.push(evidenceAt(st.source, undefined, st.state));
  }
  if (active !== undefined) {
    evidence.push(evidenceAt(`systemctl show ${unit}`, undefined, `ActiveState=${active}`));
  }
  return { on, evidence };
}

function installLoader(model: HostModel, owner: Owner): string {
  switch (distroFamily(model)) {
    case 'rhel':
      return `sudo ${rpmTool(model)} install ${iptablesServicesPackage(model)} && sudo systemctl enable --now ${owner.unit}`;
    case 'arch':
      return `sudo pacman -S iptables && sudo systemctl enable --now ${owner.unit}`;
    case 'suse':
      return `sudo zypper install iptables && sudo systemctl enable --now ${owner.unit}`;
    default:
      return 'sudo apt-get install iptables-persistent   # answer "No" to saving the current rules to keep your files';
  }
}

function ownerEvidence(owner: Owner): Evidence[] {
  return owner.files.map((f) =>
    evidenceAt(f, undefined, undefined, `saved rules that ${owner.unit} restores at boot`),
  );
}

/** Start the loader of the saved rules now: it loads exactly the saved files. */
function startNow(model: HostModel, why: string, unit: string): Action {
  return systemctl(model, 'start', unit, 'safe', why);
}

const VERIFY_ENABLED = (unit: string): string => `systemctl is-enabled ${unit}; systemctl is-active ${unit}`;

function ownerFinding(model: HostModel, owner: Owner): FindingInput | 'unknown' | undefined {
  const info = model.units.get(owner.unit);
  const st = enableState(info);
  const load = info?.show?.get('LoadState');
  const base = { subjects: [`unit:${owner.unit}`, `loader:${owner.loader}`] };
  const data = { unit: owner.unit, files: owner.files.join(', ') };
  const masked =
    info?.effective?.masked === true ||
    load === 'masked' ||
    st?.state === 'masked' ||
    st?.state === 'masked-runtime';
  if (masked) {
    const where = st?.source ?? `systemctl show ${owner.unit}`;
    const runtime = st?.state === 'masked-runtime' || /^\/run\//.test(where);
    const fix: Fix = {
      // safe: unmasking, enabling and starting the loader of the saved rules restores what they intend.
      actions: [
        runtime
          ? manual(
              `Remove the runtime mask of ${owner.unit} (${where}).`,
              'A masked unit cannot start, not even as a dependency.',
              `sudo systemctl unmask --runtime ${shQuote(owner.unit)}`,
            )
          : systemctl(
              model,
              'unmask',
              owner.unit,
              'safe',
              `Removes the /dev/null link that hides the unit (${where}); a masked unit cannot start, not even as a dependency.`,
            ),
        systemctl(model, 'enable', owner.unit, 'safe', 'Starts it at every boot.'),
        (runtime ? restartLoaderLater : startNow)(
          model,
          'Restores the saved rules now (this replaces the rules loaded now).',
          owner.unit,
        ),
      ],
      persistence:
        'With the mask gone and the WantedBy= link in place, the unit starts on every boot. If configuration management masked it, change it there or it comes back.',
      verify: VERIFY_ENABLED(owner.unit),
    };
    return {
      ...base,
      messageId: 'masked',
      key: `${owner.unit}:masked`,
      data,
      evidence: [
        evidenceAt(where, undefined, st?.state ?? `LoadState=${load ?? 'masked'}`),
        ...ownerEvidence(owner),
      ],
      fix,
      next: 'Until it is unmasked, the host boots with no firewall; a reboot does not help.',
    };
  }
  if (
    info?.effective === undefined &&
    (load === 'not-found' || (info?.show === undefined && model.source.kind === 'root'))
  ) {
    return {
      ...base,
      messageId: 'notInstalled',
      key: `${owner.unit}:not-installed`,
      data,
      evidence: [
        evidenceAt(
          load === undefined ? 'unit search path' : `systemctl show ${owner.unit}`,
          undefined,
          load === undefined ? `no ${owner.unit} in any unit directory` : `LoadState=${load}`,
        ),
        ...ownerEvidence(owner),
      ],
      fix: {
        actions: [
          manual(
            `Install the package that provides ${owner.unit}.`,
            `Nothing restores ${owner.files.join(', ')} at boot without ${owner.unit}.`,
            installLoader(model, owner),
          ),
        ],
        persistence: 'The package installs and enables the unit; it restores the saved files on every boot.',
        verify: VERIFY_ENABLED(owner.unit),
      },
      next: 'The saved file is ignored at every boot until the loader is installed; rules added by hand vanish at reboot.',
    };
  }
  if (st === undefined) {
    return 'unknown';
  }
  if (st.state === 'disabled' || st.state === 'linked' || st.state === 'linked-runtime') {
    return {
      ...base,
      messageId: 'disabled',
      key: `${owner.unit}:disabled`,
      data: { ...data, state: st.state },
      evidence: [evidenceAt(st.source, undefined, st.state), ...ownerEvidence(owner)],
      fix: {
        actions: [
          systemctl(model, 'enable', owner.unit, 'safe', 'Adds the WantedBy= link so it starts at boot.'),
          startNow(model, 'Restores the saved rules now (this replaces the rules loaded now).', owner.unit),
        ],
        persistence: `The link in /etc/systemd/system/*.wants/ makes ${owner.unit} start on every boot.`,
        verify: VERIFY_ENABLED(owner.unit),
      },
      next: 'If the rules were loaded by hand since the last boot, save them first (netfilter-persistent save / service iptables save) or enabling restores the older file.',
    };
  }
  return undefined;
}

function conflictFinding(
  model: HostModel,
  owner: Owner,
  other: string,
  messageId: 'firewalldConflict' | 'ufwAlongside' | 'nftablesFlush' | 'secondLoader',
  severity: Severity,
  extra: Evidence[],
  fix: Fix,
  next: string,
): FindingInput {
  return {
    messageId,
    key: `${owner.unit}:${other}`,
    data: { unit: owner.unit, other, files: owner.files.join(', ') },
    evidence: [...isOn(model, other).evidence, ...extra, ...ownerEvidence(owner)],
    subjects: [`unit:${owner.unit}`, `unit:${other}`, `loader:${owner.loader}`],
    severity,
    fix,
    next,
  };
}

/** The nftables unit runs before the owner (so its flush happens first and is harmless). */
function nftablesRunsFirst(model: HostModel, owner: string, nft: string): boolean {
  const o = model.units.get(owner)?.effective;
  const n = model.units.get(nft)?.effective;
  return (
    o?.deps('After').some((d) => d.unit === nft) === true ||
    n?.deps('Before').some((d) => d.unit === owner) === true
  );
}

function fights(model: HostModel, owner: Owner): FindingInput[] {
  const out: FindingInput[] = [];
  const ownerNames = namesOf(model, owner.unit);
  const restart = (why: string): Action => restartLoader(model, why, owner.unit);
  // review: turning another firewall service off changes what traffic is allowed.
  const turnOff = (unit: string, why: string): Action[] => [
    systemctl(model, 'disable', unit, 'review', why),
    systemctl(model, 'stop', unit, 'review', `Stops ${unit} now.`),
  ];

  if (isOn(model, 'firewalld.service').on && aliasTarget(model, 'firewalld.service') === undefined) {
    const conflicts = model.units
      .get('firewalld.service')
      ?.effective?.deps('Conflicts')
      .filter((d) => ownerNames.has(d.unit));
    out.push(
      conflictFinding(
        model,
        owner,
        'firewalld.service',
        'firewalldConflict',
        'error',
        (conflicts ?? []).map((c) =>
          evidenceAt(c.at.file, c.at.line, `Conflicts=${c.unit}`, `${c.unit} is ${owner.unit}`),
        ),
        {
          actions: [
            ...turnOff(
              'firewalld.service',
              `firewalld replaces the ruleset with its zones and its unit stops ${owner.unit} (Conflicts=); keep one firewall. (Or keep firewalld and move the rules into it, then disable ${owner.unit}.)`,
            ),
            restart('Loads the saved rules again.'),
          ],
          persistence:
            'A disabled firewalld is not started at boot; mask it (systemctl mask firewalld) if a package or another unit pulls it in.',
          verify: `systemctl is-enabled firewalld; ${VERIFY_ENABLED(owner.unit)}`,
        },
        'Any package that pulls firewalld back in (or a "firewall-cmd" script) restarts the fight; the live ruleset after boot is firewalld\'s, not the saved file.',
      ),
    );
  }

  if (isOn(model, 'ufw.service').on && aliasTarget(model, 'ufw.service') === undefined) {
    out.push(
      conflictFinding(
        model,
        owner,
        'ufw.service',
        'ufwAlongside',
        'warning',
        [],
        {
          actions: [
            ...turnOff(
              'ufw.service',
              `ufw writes its own chains and default policies into the same tables ${owner.unit} restores; at boot the result depends on which runs last, and "netfilter-persistent save" then stores ufw's chains too.`,
            ),
            restart('Loads the saved rules again without ufw in the way.'),
          ],
          persistence:
            'A disabled ufw.service is not started at boot; `sudo ufw disable` also sets ENABLED=no in /etc/ufw/ufw.conf.',
          verify: 'sudo ufw status; sudo iptables-save | grep -c ufw-',
        },
        'Keep one of the two: CIS benchmarks flag iptables-persistent installed next to ufw. If you keep ufw, remove iptables-persistent instead.',
      ),
    );
  }

  const nft = 'nftables.service';
  if (
    isOn(model, nft).on &&
    model.backend?.value !== 'legacy' &&
    !nftablesRunsFirst(model, owner.unit, nft)
  ) {
    const conf = model.nftablesConf;
    const idx =
      conf === undefined ? -1 : conf.text.split('\n').findIndex((l) => /^\s*flush\s+ruleset\b/.test(l));
    if (conf !== undefined && idx >= 0) {
      out.push(
        conflictFinding(
          model,
          owner,
          nft,
          'nftablesFlush',
          'error',
          [
            evidenceAt(
              conf.path,
              idx + 1,
              'flush ruleset',
              'deletes every nf_tables table, the iptables-nft ones included',
            ),
          ],
          {
            actions: [
              // review: the flush may be wanted; only its own tables should go. The alternative (turning
              // nftables.service off) is shown, not applied.
              commentLine(
                model,
                conf.path,
                idx + 1,
                'review',
                'Without "flush ruleset" nft only adds its own tables and leaves the iptables-nft ones alone (flush only its own tables if you need that).',
              ),
              manual(
                `Or, if ${conf.path} holds no rules you need, disable ${nft} instead.`,
                `${nft} and ${owner.unit} both run before network-pre.target with no order between them; when nftables runs second, "flush ruleset" deletes the rules just restored.`,
                `sudo systemctl disable --now ${nft}`,
              ),
              restart('Loads the saved rules again.'),
            ],
            persistence: `Both are read at every boot; with nftables.service disabled or without the flush, ${owner.unit}'s tables survive.`,
            verify: 'sudo nft list tables; sudo iptables-save | grep -c -- "-A"',
          },
          'Whether a given boot loses the rules depends on timing; a host can be fine for months and come up open after one reboot.',
        ),
      );
    }
  }

  // A second, separate loader of iptables rules (not an alias of the owner).
  const separate =
    owner.loader === 'netfilter-persistent'
      ? ['iptables.service', 'ip6tables.service']
      : ['netfilter-persistent.service'];
  for (const other of separate) {
    const info = model.units.get(other);
    if (
      info?.effective === undefined ||
      info.effective.masked ||
      ownerNames.has(other) ||
      aliasTarget(model, other) !== undefined
    ) {
      continue;
    }
    if (!isOn(model, other).on) {
      continue;
    }
    const exec = info.effective.values('Service', 'ExecStart')[0];
    out.push(
      conflictFinding(
        model,
        owner,
        other,
        'secondLoader',
        'warning',
        exec === undefined ? [] : [evidenceAt(exec.at.file, exec.at.line, `ExecStart=${exec.value}`)],
        {
          actions: [
            ...turnOff(
              other,
              `${other} is a separate unit that also loads iptables rules at boot; the one that runs last decides what is loaded.`,
            ),
            restart('Loads the saved rules.'),
          ],
          persistence: `With ${other} disabled, only ${owner.unit} loads rules at boot.`,
          verify: `systemctl is-enabled ${other}`,
        },
        'Two loaders of different files make the ruleset after boot depend on ordering.',
      ),
    );
  }
  return out;
}

/**
 * OpenRC (Alpine, Gentoo): a service starts at boot when a runlevel links it (`rc-update add iptables
 * default` makes /etc/runlevels/default/iptables). 'unknown' when no boot runlevel could be listed.
 */
function openRcFindings(model: HostModel): FindingInput[] | 'unknown' {
  const out: FindingInput[] = [];
  for (const loader of model.openrc.loaders) {
    const files = model.savedRules.filter(
      (r) => r.loader === 'openrc-iptables' && r.path === loader.savePath,
    );
    if (files.length === 0) {
      continue;
    }
    const level = bootRunlevel(model.openrc, loader.service);
    if (level === 'unknown') {
      return 'unknown';
    }
    if (level !== 'none') {
      continue;
    }
    const owner: Owner = {
      unit: loader.initScript,
      loader: 'openrc-iptables',
      files: files.map((f) => f.path),
    };
    out.push({
      messageId: 'notInRunlevel',
      key: `${loader.initScript}:not-in-runlevel`,
      data: { unit: loader.initScript, service: loader.service, files: owner.files.join(', ') },
      evidence: [
        ...BOOT_RUNLEVELS.flatMap((l) => {
          const entries = model.openrc.runlevels.get(l);
          return entries === undefined
            ? []
            : [
                evidenceAt(
                  `/etc/runlevels/${l}`,
                  undefined,
                  entries.length === 0 ? '(empty)' : entries.join(' '),
                  `no ${loader.service}`,
                ),
              ];
        }),
        ...ownerEvidence(owner),
      ],
      subjects: [`unit:${loader.initScript}`, 'loader:openrc-iptables'],
      fix: {
        actions: [
          systemctl(
            model,
            'enable',
            loader.initScript,
            'safe',
            'Links the service into the default runlevel, which OpenRC starts at every boot.',
          ),
          startNow(
            model,
            'Restores the saved rules now (this replaces the rules loaded now).',
            loader.initScript,
          ),
        ],
        persistence: `OpenRC starts every service linked in /etc/runlevels/default at boot; ${loader.service} then restores ${owner.files.join(', ')}.`,
        verify: `rc-update show default | grep -w ${loader.service}; rc-service ${loader.service} status`,
      },
      next:
        loader.saveOnStop === undefined
          ? `If the rules were loaded by hand since the last boot, save them first (rc-service ${loader.service} save), or starting the service restores the older file.`
          : `If the rules were loaded by hand since the last boot, save them first (rc-service ${loader.service} save), or starting the service restores the older file; with SAVE_ON_STOP="yes" (${loader.saveOnStop.file} line ${String(loader.saveOnStop.line)}) every stop of the service saves the live rules over the file.`,
    });
  }
  return out;
}

export default defineCheck({
  meta: {
    id: ID,
    title: 'The loader of the saved rules starts at boot and no other firewall service undoes it',
    severity: 'error',
    messages: {
      disabled: '{{unit}} is {{state}}: nothing restores {{files}} at boot',
      masked: '{{unit}} is masked: it cannot start, so nothing restores {{files}} at boot',
      notInstalled: '{{unit}} is not installed: nothing restores {{files}} at boot',
      firewalldConflict:
        'firewalld.service is enabled next to {{unit}}: starting firewalld stops {{unit}} (Conflicts=) and replaces the rules from {{files}}',
      ufwAlongside:
        'ufw.service is enabled next to {{unit}}: both write the same chains at boot, and the result depends on which runs last',
      nftablesFlush:
        'nftables.service is enabled next to {{unit}} and its ruleset starts with "flush ruleset": if it runs second it deletes the rules from {{files}}',
      secondLoader:
        '{{other}} is a separate unit enabled next to {{unit}}: two loaders restore rules at boot',
      notInRunlevel:
        '{{unit}} is in no boot runlevel of OpenRC (sysinit, boot, default): nothing restores {{files}} at boot',
    },
  },
  run(ctx) {
    const { model } = ctx;
    if (model.savedRules.length === 0) {
      return notApplicable('no saved iptables rules on this host');
    }
    if (!model.systemd) {
      if (model.savedRules.every((r) => r.loader === 'openrc-iptables')) {
        const found = openRcFindings(model);
        if (found === 'unknown') {
          return unknown('no OpenRC boot runlevel (/etc/runlevels/sysinit, boot, default) could be listed');
        }
        for (const f of found) {
          ctx.report(f);
        }
        return undefined;
      }
      return unknown('the host does not run systemd; SysV start links are not checked yet');
    }
    let undecided = 0;
    for (const owner of ownerUnits(model)) {
      const f = ownerFinding(model, owner);
      if (f === 'unknown') {
        undecided++;
      } else if (f !== undefined) {
        ctx.report(f);
        continue;
      }
      for (const c of fights(model, owner)) {
        ctx.report(c);
      }
    }
    if (undecided > 0) {
      return unknown(
        'whether the loader is enabled could not be read (no systemctl is-enabled output, no .wants links)',
      );
    }
    return undefined;
  },
});
