// A kernel module the saved rules need cannot be provided by the running kernel: one finding per module and
// reason, with the fix for that reason.
import { defineCheck, notApplicable, unknown, type Fix, type FindingInput } from '../../types.ts';
import { unreadableSavedRules, type HostModel } from '../../../model/host-model.ts';
import type { RequirementResult } from '../../../resolve/evaluate.ts';
import type { ModuleBlock, ModuleStatus } from '../../../resolve/module-state.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import {
  distroFamily,
  isContainer,
  kernelHeadersPackage,
  kernelModulePackages,
  loaderUnitFor,
} from '../../host-commands.ts';
import {
  disableLine,
  manual,
  modulesLoadEntry,
  restartLoader,
  restartLoaderLater,
  shLines,
  rebootWhileModulesDisabled,
} from '../../fix-actions.ts';
import { shQuote } from '../../../fixes/actions.ts';
import { SUBJECT as MODULES_DIR } from '../no-modules-dir/check.ts';
import { usesEvidence, usesSubjects, usesText, UsesByKey } from '../../requirement-uses.ts';
import { effectiveShellVar } from '../../../parsers/shell-vars.ts';

const ID = 'kmod/module-unavailable';

/**
 * The subject of a finding about an xtables-addons module that was never built: its fix installs
 * xtables-addons-dkms, which brings xtables-addons-common, so a missing library of that package is the same cause.
 */
export const XTABLES_ADDONS_NOT_BUILT = 'package:xtables-addons-dkms';

/**
 * Lifting a block: the modprobe.d lines, or the kernel command line. `restart` when the rules are down now
 * (a module loaded by hand has them up: lifting the block is then the whole fix).
 */
function blockFix(model: HostModel, m: ModuleStatus, restart: boolean): Fix | undefined {
  if ((m.blockedBy === 'install' || m.blockedBy === 'blacklist') && blockingLines(m).length > 0) {
    return {
      actions: [
        // safe: the saved rules need the module, so the block contradicts the saved configuration; the
        // persistence text warns that a hardening policy may have written it.
        ...blockingLines(m).map((b) =>
          disableLine(
            model,
            b.source,
            b.line,
            'safe',
            `Line ${b.line} of ${b.source} is what stops modprobe from loading ${m.name}, which the saved rules need.`,
          ),
        ),
        ...(restart
          ? [
              restartLoader(
                model,
                'Restores the saved rules; the kernel now autoloads the module on first use.',
              ),
            ]
          : []),
      ],
      persistence:
        'modprobe reads modprobe.d on every load, including at boot; with the line gone the block is gone for good. If a hardening policy (CIS, a config management role) wrote that line, change it there or it will come back.',
      verify: verifyLoad(m.name),
    };
  }
  if (m.blockedBy === 'module_blacklist' || m.blockedBy === 'modprobe.blacklist') {
    return {
      actions: [
        manual(
          `Remove ${m.blockedBy}=…${m.name}… from GRUB_CMDLINE_LINUX in /etc/default/grub, write the boot loader configuration and reboot.`,
          'The kernel command line is where the block comes from; it only changes at boot.',
          'sudoedit /etc/default/grub && { sudo update-grub || sudo grub2-mkconfig -o /boot/grub2/grub.cfg; } && sudo reboot',
        ),
      ],
      persistence: 'The boot loader configuration carries the new command line on every boot.',
      verify: `grep -o '${m.blockedBy}=[^ ]*' /proc/cmdline   # should no longer list ${m.name}`,
    };
  }
  return undefined;
}

function verifyLoad(module: string): string {
  return `modprobe -n -v ${module}   # prints the insmod it would run; then: sudo iptables-save | grep -c -- '-A'`;
}

/**
 * An xtables-addons module no package of the kernel ships: DKMS builds it from xtables-addons-dkms against the
 * kernel's headers (Debian's package depends on xtables-addons-common, the userspace libraries, so one install
 * brings both). Reinstalling the kernel would not bring it back.
 */
function outOfTreeFix(
  model: HostModel,
  m: ModuleStatus,
  release: string,
  { dkmsInstalls }: NonNullable<ModuleStatus['outOfTree']>,
): Fix {
  const family = distroFamily(model);
  const debianLike = family === 'debian' || family === 'ubuntu';
  return {
    actions: [
      dkmsInstalls
        ? manual(
            `Install xtables-addons with DKMS and the headers of ${release}, so that DKMS builds ${m.name} for the running kernel.`,
            `${m.name} is not part of any kernel package; xtables-addons-dkms builds it for every kernel whose headers are installed, and brings xtables-addons-common (the userspace extensions) with it.`,
            debianLike
              ? shLines(
                  `sudo apt-get install xtables-addons-dkms linux-headers-${release}`,
                  `modprobe -n -v ${shQuote(m.name)}`,
                )
              : shLines(
                  kernelHeadersPackage(model, release),
                  'install xtables-addons for this kernel (ELRepo kmod-xtables-addons on RHEL-family hosts, or build it from source)',
                ),
          )
        : manual(
            `Build xtables-addons from its upstream release for ${release}, or remove the rules that use ${m.name}.`,
            `Debian's xtables-addons-dkms 3.23-1 builds ${m.name} but does not install it, so no package of this release provides it.`,
          ),
      restartLoaderLater(model, 'Restores the saved rules.'),
    ],
    persistence: `DKMS rebuilds ${m.name} for every kernel whose headers are installed${headersMetapackage(release, debianLike)}.`,
    verify: verifyLoad(m.name),
  };
}

/**
 * Debian and Ubuntu name a kernel ABI-FLAVOUR (6.1.0-57-cloud-amd64, 5.15.0-91-generic); the metapackage
 * linux-headers-FLAVOUR follows every upgrade, so DKMS has the headers of each new kernel.
 */
function headersMetapackage(release: string, debianLike: boolean): string {
  const flavour = /^\d+\.\d+\.\d+-\d+-(.+)$/.exec(release)?.[1];
  return debianLike && flavour !== undefined
    ? `: install linux-headers-${flavour} too, which brings the headers of each kernel upgrade`
    : '';
}

function fixFor(model: HostModel, m: ModuleStatus, release: string): Fix | undefined {
  const verify = verifyLoad(m.name);
  const mod = shQuote(m.name);
  if (isContainer(model) && m.state !== 'not-built' && m.state !== 'blocked') {
    // Everything here happens on the container host, which nfdoctor cannot see or change from inside.
    return {
      actions: [
        manual(
          `On the container HOST (not inside the container), load ${m.name}.`,
          'A container shares the host kernel and may not load modules; only the host can.',
          `sudo modprobe ${mod}`,
        ),
        manual(
          `On the container HOST, load ${m.name} at every boot.`,
          'Loads it on every host boot, before containers start.',
          `echo ${mod} | sudo tee /etc/modules-load.d/nfdoctor-${m.name}.conf`,
        ),
        restartLoaderLater(model, 'Restores the rules now that the kernel has the module.'),
      ],
      persistence: 'The host loads the module at boot from modules-load.d; the container needs no change.',
      verify: `lsmod | grep ${mod}   # on the host`,
    };
  }
  if (m.outOfTree !== undefined && m.state === 'file-missing') {
    return outOfTreeFix(model, m, release, m.outOfTree);
  }
  switch (m.state) {
    case 'blocked':
      return blockFix(model, m, true);
    case 'file-missing':
      return {
        actions: [
          manual(
            `Install the package that puts back /lib/modules/${release} with ${m.name} for the running kernel, then rebuild modules.dep.`,
            `Puts back ${m.name} for the kernel that is running; depmod lets modprobe find it.`,
            shLines(kernelModulePackages(model, release), 'sudo depmod -a'),
          ),
          restartLoaderLater(model, 'Restores the saved rules.'),
        ],
        persistence:
          'The package owns the module files; they stay until the kernel package is removed. If the running kernel is no longer installable (upgraded and not rebooted), reboot into the installed kernel instead.',
        verify,
      };
    case 'not-built':
      return {
        actions: [
          manual(
            `Boot your distribution's kernel (e.g. apt-get install linux-image-amd64, or the provider's "distribution kernel" boot setting), or rebuild with ${m.config ?? 'the option'}=m.`,
            'Only a kernel built with the option can provide the extension; nothing on this kernel can load it. The command shows the option is off in the running kernel.',
            `zgrep ${shQuote(m.config ?? 'CONFIG_')} /proc/config.gz /boot/config-$(uname -r) 2>/dev/null`,
          ),
        ],
        persistence:
          'The kernel you boot decides; set it as the default boot entry (grub-set-default / the provider panel).',
        verify: `nfdoctor check ${model.savedRules[0]?.path ?? '/etc/iptables/rules.v4'}`,
      };
    case 'no-module-support':
      return {
        actions: [
          manual(
            'Boot a kernel with module support (CONFIG_MODULES=y) or with the extension built in.',
            'This kernel cannot load any module.',
          ),
        ],
        persistence: 'Make that kernel the default boot entry.',
        verify: 'test -e /proc/modules && echo modules supported',
      };
    case 'loading-disabled':
      return {
        actions: [
          // safe: loads a module the saved rules need earlier in the boot; allows nothing new.
          modulesLoadEntry(
            m.name,
            'safe',
            'systemd-modules-load runs before systemd-sysctl, so the module is loaded before loading gets disabled.',
          ),
          manual(
            'Find what sets kernel.modules_disabled=1, then reboot: it cannot be set back to 0 without a reboot.',
            'The module loads at the next boot, before the setting applies.',
            'grep -rn modules_disabled /etc/sysctl.conf /etc/sysctl.d /usr/lib/sysctl.d 2>/dev/null; sudo reboot',
          ),
        ],
        persistence: 'modules-load.d is read on every boot before sysctl settings apply.',
        verify: `lsmod | grep ${mod}`,
      };
    case 'builtin':
    case 'loaded':
    case 'loadable':
    case 'unknown':
      return undefined;
  }
}

/** The modprobe.d lines that block the module (every blacklist line counts: any one of them blocks it). */
function blockingLines(m: ModuleStatus): { source: string; line: number }[] {
  return m.evidence.flatMap((e) =>
    e.line !== undefined && /\/modprobe\.d\//.test(e.source) ? [{ source: e.source, line: e.line }] : [],
  );
}

function nextFor(m: ModuleStatus): string {
  if (m.outOfTree !== undefined && m.name === 'xt_geoip') {
    // libxt_geoip.so (xtables-addons-common 3.23) opens /usr/share/xt_geoip/CC.iv4 when it parses the rule.
    return 'With xtables-addons installed, -m geoip needs its country database: iptables-restore fails with "Could not open /usr/share/xt_geoip/CN.iv4" until /usr/libexec/xtables-addons/xt_geoip_dl and xt_geoip_build have written it.';
  }
  if (m.outOfTree !== undefined) {
    return "After each kernel upgrade DKMS must rebuild the module; without that kernel's headers it does not, and the rules fail again at the next boot (nfdoctor kernel/next-boot warns before it).";
  }
  switch (m.state) {
    case 'blocked':
      return 'If a hardening baseline wrote the block, the next compliance run puts it back; after that, iptables-restore may still fail on the next extension in the file, so re-run nfdoctor.';
    case 'file-missing':
      return 'After a kernel upgrade without reboot every not-yet-loaded module is missing: expect the next extension (and conntrack helpers, ipset types) to fail the same way until you reboot.';
    default:
      return 'With the module available, the restore may stop at the next rule that needs something else: re-run nfdoctor after the fix.';
  }
}

function messageIdFor(m: ModuleStatus): string {
  switch (m.state) {
    case 'blocked':
      return m.blockedBy === 'blacklist' ? 'blacklisted' : 'blocked';
    case 'file-missing':
      return 'fileMissing';
    case 'not-built':
      return 'notBuilt';
    case 'no-module-support':
      return 'noModuleSupport';
    case 'loading-disabled':
      return 'loadingDisabled';
    default:
      return 'unavailable';
  }
}

/**
 * iptables-services' iptables.init start() runs iptables-restore first and only after it succeeded modprobes
 * IPTABLES_MODULES ("Loading additional modules"; src/parsers/__samples__/iptables-services): listing a
 * module there cannot make the restore work.
 */
function iptablesModulesEvidence(model: HostModel, module: string): Evidence[] {
  const config = model.sysconfigIptables;
  const at = config === undefined ? undefined : effectiveShellVar(config.vars, 'IPTABLES_MODULES');
  if (config === undefined || at === undefined || !at.value.split(/\s+/).includes(module)) {
    return [];
  }
  return [
    evidenceAt(
      config.path,
      at.line,
      `IPTABLES_MODULES="${at.value}"`,
      'iptables.init loads these only after iptables-restore succeeded, so this does not help the restore',
    ),
  ];
}

function findingFor(
  model: HostModel,
  rs: readonly RequirementResult[],
  m: ModuleStatus,
  release: string,
  causedBy: readonly string[] = [],
): FindingInput {
  // Under a root cause that carries the fix for every module (no module tree, loading disabled), the
  // per-module finding is a consequence and repeats no fix.
  const fix = causedBy.length > 0 ? undefined : fixFor(model, m, release);
  return {
    messageId:
      isContainer(model) && m.state !== 'not-built' && m.state !== 'blocked' ? 'container' : messageIdFor(m),
    key: `${m.name}:${m.state}`,
    data: {
      module: m.name,
      requestedAs: m.requestedAs,
      uses: usesText(rs),
      reason: m.reason ?? m.state,
      config: m.config ?? 'its CONFIG option',
      virt: model.virt ?? '',
    },
    evidence: [...m.evidence, ...usesEvidence(rs, 3), ...iptablesModulesEvidence(model, m.name)],
    subjects: [
      `module:${m.name}`,
      ...usesSubjects(rs),
      ...(m.outOfTree !== undefined && m.state === 'file-missing' ? [XTABLES_ADDONS_NOT_BUILT] : []),
    ],
    ...(causedBy.length > 0 ? { causedBy } : {}),
    ...(fix === undefined ? {} : { fix }),
    next: nextFor(m),
  };
}

/** A unit that restores one of the saved rules files failed this boot. */
function loaderFailedThisBoot(model: HostModel): boolean {
  return model.savedRules.some(
    (saved) => model.units.get(loaderUnitFor(saved))?.show?.get('ActiveState') === 'failed',
  );
}

/**
 * A module that is loaded now (by hand: `modprobe xt_recent` by its real name passes a blacklist) but that
 * nothing can load at the next boot: the kernel asks by alias, which the blacklist hides, and
 * systemd-modules-load applies the blacklist even to a name (KMOD_PROBE_APPLY_BLACKLIST); an install line
 * stops every load. The rules work until the reboot. An error when a loader already failed this boot.
 */
function loadedButBlockedFinding(
  model: HostModel,
  rs: readonly RequirementResult[],
  m: ModuleStatus,
  block: ModuleBlock,
): FindingInput {
  const asBlocked: ModuleStatus = { ...m, ...block, state: 'blocked', evidence: block.evidence };
  const fix = blockFix(model, asBlocked, false);
  const atBoot =
    block.blockedBy === 'blacklist'
      ? '; at boot systemd-modules-load skips a blacklisted module even when modules-load.d names it'
      : '';
  return {
    messageId: 'loadedButBlocked',
    key: `${m.name}:blocked-at-boot`,
    severity: loaderFailedThisBoot(model) ? 'error' : 'warning',
    data: { module: m.name, uses: usesText(rs), reason: `${block.reason ?? 'blocked'}${atBoot}` },
    evidence: [...m.evidence, ...block.evidence, ...usesEvidence(rs, 3)],
    subjects: [`module:${m.name}`, ...usesSubjects(rs)],
    ...(fix === undefined ? {} : { fix }),
    next: nextFor(asBlocked),
  };
}

/**
 * The sysctl.d line that sets kernel.modules_disabled=1 at boot: the last assignment wins (systemd-sysctl
 * applies files in sysctl.d(5) order, later settings overriding earlier ones), so that is the one to cite.
 */
function modulesDisabledSetting(model: HostModel): { file: string; line: number; value: string } | undefined {
  const last = model.sysctl.filter((e) => e.normalizedKey === 'kernel.modules_disabled').at(-1);
  return last === undefined ? undefined : { file: last.file, line: last.line, value: last.value };
}

/** One root for every module that cannot load because kernel.modules_disabled=1. */
function modulesDisabledRoot(model: HostModel, disabled: readonly ModuleStatus[]): FindingInput {
  const setting = modulesDisabledSetting(model);
  const setsIt = setting !== undefined && setting.value.trim() === '1';
  const names = [...new Set(disabled.map((m) => m.name))];
  const proc = disabled[0]?.evidence[0] ?? evidenceAt('/proc/sys/kernel/modules_disabled', 1, '1');
  return {
    messageId: setsIt ? 'loadingDisabledBy' : 'loadingDisabledRuntime',
    key: 'modules-disabled',
    data: {
      count: names.length,
      modules: names.join(', '),
      file: setting?.file ?? '',
      line: setting?.line ?? 0,
    },
    evidence: [
      proc,
      ...(setsIt
        ? [
            evidenceAt(
              setting.file,
              setting.line,
              `kernel.modules_disabled = ${setting.value}`,
              'applied by systemd-sysctl at boot',
            ),
          ]
        : [
            evidenceAt(
              'sysctl.d',
              undefined,
              undefined,
              `no sysctl.d file sets kernel.modules_disabled=1${setting === undefined ? '' : ` (the last setting, ${setting.file}:${String(setting.line)}, is ${setting.value})`}: a script or unit wrote it at run time`,
            ),
          ]),
    ],
    subjects: ['kernel:modules-disabled', ...names.map((n) => `module:${n}`)],
    fix: {
      actions: [
        ...(setsIt
          ? [
              manual(
                `${setting.file} line ${String(setting.line)} sets kernel.modules_disabled = ${setting.value}: it can stay once the modules the saved rules need are listed in modules-load.d (this fix's nfdoctor-*.conf entries), which load before it applies; remove it only if modules must load after boot.`,
                'This line disables module loading at every boot, from the moment systemd-sysctl applies it.',
                `sudoedit ${shQuote(setting.file)}`,
              ),
            ]
          : []),
        // safe: loads modules the saved rules need earlier in the boot; allows nothing new.
        ...names.map((n) =>
          modulesLoadEntry(
            n,
            'safe',
            'systemd-modules-load runs before systemd-sysctl, so the module is loaded before loading gets disabled.',
          ),
        ),
        rebootWhileModulesDisabled(),
      ],
      persistence: 'modules-load.d is read on every boot before sysctl settings apply.',
      verify: `lsmod | grep -E '^(${names.join('|')}) '`,
    },
    next: 'Any module the rules need later (a new match, an ipset type) fails the same way: list it in modules-load.d too.',
  };
}

/**
 * Under Secure Boot lockdown or module.sig_enforce the kernel refuses modules without a trusted signature
 * and logs it (security/lockdown/lockdown.c: "Lockdown: modprobe: unsigned module loading is restricted";
 * kernel/module/signing.c: "Loading of unsigned module is rejected"; modprobe: "Key was rejected by
 * service"). Distribution modules are signed, so an out-of-tree module (DKMS: updates/, extra/) that is
 * loadable on disk but not loaded, next to such a line, is the one refused; a line naming it settles it.
 */
const REFUSAL =
  /Lockdown: \S+: unsigned module loading is restricted|Loading of (?:unsigned module|module with unavailable key) is rejected|Key was rejected by service|Required key not available/;

function signatureRefusal(model: HostModel, module: string): Evidence[] | undefined {
  const lines = model.journal.entries.filter((e) => REFUSAL.test(e.message));
  if (lines.length === 0) {
    return undefined;
  }
  const path = model.kernel?.deps?.get(module)?.path ?? '';
  const namesIt = lines.filter((e) => e.message.includes(module));
  const outOfTree = path !== '' && !path.startsWith('kernel/');
  if (namesIt.length === 0 && !outOfTree) {
    return undefined;
  }
  const shown = namesIt.length > 0 ? namesIt : lines;
  return shown.slice(0, 3).map((e) => evidenceAt(model.journal.source, e.line, e.message));
}

function signatureFinding(
  model: HostModel,
  rs: readonly RequirementResult[],
  m: ModuleStatus,
  journal: Evidence[],
): FindingInput {
  const path = model.kernel?.deps?.get(m.name)?.path ?? m.name;
  return {
    messageId: 'signatureRefused',
    key: `${m.name}:signature`,
    data: { module: m.name, uses: usesText(rs), path },
    evidence: [...journal, ...m.evidence, ...usesEvidence(rs, 3)],
    subjects: [`module:${m.name}`, ...usesSubjects(rs)],
    fix: {
      actions: [
        manual(
          'Enroll the DKMS signing key (then reboot and enroll it in the MOK manager), and rebuild the module for the running kernel.',
          `DKMS signs the modules it builds with this key; once the firmware trusts it, the kernel accepts ${m.name}. "mokutil --sb-state" and /sys/kernel/security/lockdown show what enforces signatures.`,
          'sudo mokutil --import /var/lib/dkms/mok.pub && sudo dkms autoinstall -k "$(uname -r)"',
        ),
        restartLoaderLater(model, 'Restores the saved rules once the module loads.'),
      ],
      persistence:
        "The enrolled key stays in the firmware's MOK list; DKMS signs every rebuild with the same key on kernel upgrades.",
      verify: `sudo modprobe -v ${m.name} && lsmod | grep ${m.name}`,
    },
    next: 'Every kernel upgrade rebuilds the DKMS module; if the key is not enrolled or DKMS is not installed for the new kernel, the rules fail again after the reboot.',
  };
}

export default defineCheck({
  meta: {
    id: ID,
    title: 'Every kernel module the saved rules need can be loaded by the running kernel',
    severity: 'error',
    messages: {
      blocked: '{{module}} (for {{uses}}) cannot load: {{reason}}',
      blacklisted: '{{module}} (for {{uses}}) is blacklisted, so the kernel cannot autoload it: {{reason}}',
      fileMissing: '{{module}} (for {{uses}}) is not installed for the running kernel: {{reason}}',
      notBuilt: '{{module}} (for {{uses}}) does not exist for this kernel: {{reason}}',
      noModuleSupport: '{{module}} (for {{uses}}) cannot load: {{reason}}',
      loadingDisabled: '{{module}} (for {{uses}}) cannot load: {{reason}}',
      loadingDisabledBy:
        'kernel.modules_disabled=1 ({{file}} line {{line}}): the kernel loads no module until reboot, so {{count}} module(s) the saved rules need cannot load: {{modules}}',
      loadingDisabledRuntime:
        'kernel.modules_disabled=1, set at run time (no sysctl.d file sets it): the kernel loads no module until reboot, so {{count}} module(s) the saved rules need cannot load: {{modules}}',
      signatureRefused:
        '{{module}} ({{path}}, for {{uses}}) is refused by the kernel: it is not signed with a key the kernel trusts (Secure Boot lockdown / module.sig_enforce)',
      container:
        '{{module}} (for {{uses}}) is not loaded and this is a {{virt}} container, which cannot load modules: {{reason}}',
      unavailable: '{{module}} (for {{uses}}) is unavailable: {{reason}}',
      loadedButBlocked:
        '{{module}} (for {{uses}}) is loaded now, but the next boot cannot load it, so the saved rules will not load then: {{reason}}',
    },
  },
  run(ctx) {
    const { model } = ctx;
    const unreadable = unreadableSavedRules(model);
    if (model.savedRules.length === 0) {
      return unreadable.length > 0
        ? unknown(
            `cannot read ${unreadable.map((u) => `${u.path} (${u.status})`).join(', ')}: run nfdoctor as root`,
          )
        : notApplicable('no saved iptables rules on this host');
    }
    const needs = model.needs;
    if (needs === undefined || model.release === undefined) {
      return unknown('the running kernel release is unknown (no uname -r, no single /lib/modules entry)');
    }
    let undecided = 0;
    const container = isContainer(model);
    const treeRoots = ctx.findingsAbout(MODULES_DIR).map((f) => f.id);
    const disabled: ModuleStatus[] = [];
    // One finding per module and reason, naming every requirement it serves (rules.v4 and rules.v6 alike).
    const grouped = new UsesByKey<(rs: readonly RequirementResult[]) => FindingInput>();
    const release = model.release.value;
    for (const r of needs.results) {
      const by = r.modules.find((m) => m.name === r.satisfiedBy);
      if (by !== undefined && container && by.state === 'loadable') {
        // A container shares its host's kernel and has no CAP_SYS_MODULE: "loadable" only on the host.
        grouped.add(`${by.name}:${by.state}`, r, (rs) => findingFor(model, rs, by, release));
        continue;
      }
      const refusal = by?.state === 'loadable' ? signatureRefusal(model, by.name) : undefined;
      if (by !== undefined && refusal !== undefined) {
        grouped.add(`${by.name}:signature`, r, (rs) => signatureFinding(model, rs, by, refusal));
        continue;
      }
      const bootBlock = by?.state === 'loaded' && !container ? by.bootBlock : undefined;
      if (by !== undefined && bootBlock !== undefined) {
        grouped.add(`${by.name}:blocked-at-boot`, r, (rs) =>
          loadedButBlockedFinding(model, rs, by, bootBlock),
        );
        continue;
      }
      if (r.satisfiedBy !== undefined) {
        continue;
      }
      const decisive = r.modules.filter((m) => m.state !== 'unknown');
      if (decisive.length === 0) {
        undecided++;
        continue;
      }
      // The first candidate is the one the kernel asks for first; its reason is the one that matters.
      const first = decisive[0];
      if (first?.state === 'loading-disabled') {
        disabled.push(first);
        grouped.add(`${first.name}:${first.state}`, r, (rs) =>
          findingFor(model, rs, first, release, [`${ID}#modules-disabled`]),
        );
      } else if (first !== undefined) {
        // With no module tree at all, every module that is not there is that one cause.
        const causes = first.state === 'file-missing' || first.state === 'unknown' ? treeRoots : [];
        grouped.add(`${first.name}:${first.state}`, r, (rs) => findingFor(model, rs, first, release, causes));
      }
    }
    for (const { value: make, rs } of grouped.entries()) {
      ctx.report(make(rs));
    }
    if (disabled.length > 0) {
      ctx.report(modulesDisabledRoot(model, disabled));
    }
    if (undecided > 0) {
      return unknown(
        `${undecided} requirement(s) could not be resolved: ${needs.kernel.missing.map((m) => m.path).join(', ') || 'kernel metadata missing'}`,
      );
    }
    return undefined;
  },
});
