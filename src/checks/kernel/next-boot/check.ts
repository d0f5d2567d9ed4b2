// The kernel the host boots next: the saved rules checked against every installed kernel that is not running,
// above all the one GRUB starts next, so a reboot does not come up without a firewall. Resolves requirements
// with the same code as `nfdoctor check --kernel` (src/resolve) over that kernel's own modules.dep, alias,
// builtin and config, with the host's modprobe.d and no /proc facts (that kernel is not running).
import { defineCheck, notApplicable, unknown, type FindingInput, type Fix } from '../../types.ts';
import type { HostModel, OtherKernel } from '../../../model/host-model.ts';
import type { RequirementResult } from '../../../resolve/evaluate.ts';
import type { ModuleStatus } from '../../../resolve/module-state.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { nextBoot, parseGrubCfg, parseGrubEnv } from '../../../parsers/grub.ts';
import { effectiveShellVar } from '../../../parsers/shell-vars.ts';
import { compareKernelReleases, distroFamily, kernelHeadersPackage } from '../../host-commands.ts';
import { manual, shLines } from '../../fix-actions.ts';
import { usesEvidence, usesText, UsesByKey } from '../../requirement-uses.ts';

const ID = 'kernel/next-boot';
const GATE = 'CONFIG_NETFILTER_XTABLES_LEGACY';

interface Next {
  readonly release: string;
  readonly evidence: readonly Evidence[];
  readonly how: string;
}

/** The release GRUB boots next, from grubenv, grub.cfg and /etc/default/grub; else the newest installed. */
export function nextKernel(model: HostModel): Next | undefined {
  const { grubenv, grubCfg, defaultGrub } = model.bootLoader;
  const env = grubenv === undefined ? undefined : parseGrubEnv(grubenv.text);
  const cfg = grubCfg === undefined ? undefined : parseGrubCfg(grubCfg.text, grubCfg.path).value;
  const def = defaultGrub === undefined ? undefined : effectiveShellVar(defaultGrub.vars, 'GRUB_DEFAULT');
  const choice = nextBoot(env, cfg, def?.value);
  const release = choice?.entry?.release;
  if (choice !== undefined && release !== undefined) {
    const evidence: Evidence[] = [];
    const envLine =
      choice.by === 'next_entry' || choice.by === 'saved_entry' ? env?.get(choice.by) : undefined;
    if (grubenv !== undefined && envLine !== undefined) {
      evidence.push(evidenceAt(grubenv.path, envLine.line, `${choice.by}=${envLine.value}`));
    }
    if (choice.by === 'GRUB_DEFAULT' && def !== undefined && defaultGrub !== undefined) {
      evidence.push(evidenceAt(defaultGrub.path, def.line, `GRUB_DEFAULT=${def.value}`));
    }
    if (grubCfg !== undefined && cfg?.default !== undefined && choice.by === 'set default') {
      evidence.push(evidenceAt(grubCfg.path, cfg.default.line, `set default="${cfg.default.value}"`));
    }
    if (grubCfg !== undefined && choice.entry !== undefined) {
      evidence.push(
        evidenceAt(grubCfg.path, choice.entry.line, `menuentry '${choice.entry.title}'`, `boots ${release}`),
      );
    }
    return { release, evidence, how: `GRUB ${choice.by} "${choice.spec}"` };
  }
  // No readable boot menu: distributions put the newest kernel first (grub-mkconfig sorts with version_sort).
  const newest = [
    ...model.otherKernels.map((k) => k.release),
    ...(model.release ? [model.release.value] : []),
  ].sort((a, b) => compareKernelReleases(b, a))[0];
  if (newest === undefined) {
    return undefined;
  }
  return {
    release: newest,
    evidence: [
      evidenceAt('/lib/modules', undefined, newest, 'the newest installed kernel (no readable GRUB menu)'),
    ],
    how: 'the newest installed kernel',
  };
}

/** What being the next kernel adds to a finding about `k`: GRUB's evidence, the subject, the severity. */
function placed(
  k: OtherKernel,
  isNext: boolean,
  next: Next | undefined,
): { evidence: readonly Evidence[]; subjects: string[]; severity: 'error' | 'warning' } {
  return {
    evidence: isNext ? (next?.evidence ?? []) : [],
    subjects: [`kernel:${k.release}`, ...(isNext ? ['kernel:next-boot'] : [])],
    severity: isNext ? 'error' : 'warning',
  };
}

function atLeast617(release: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m != null && (Number(m[1]) > 6 || (Number(m[1]) === 6 && Number(m[2]) >= 17));
}

function packagesFor(model: HostModel, release: string): string {
  switch (distroFamily(model)) {
    case 'rhel':
      return `sudo dnf install kernel-modules-${release} kernel-modules-extra-${release}`;
    case 'ubuntu':
      return `sudo apt-get install linux-modules-${release} linux-modules-extra-${release}`;
    case 'arch':
      return 'sudo pacman -S linux   # the package ships image and modules together';
    default:
      return `sudo apt-get install --reinstall linux-image-${release}`;
  }
}

/** A command naming the release only when the release is a plain word (it comes from a directory name). */
function pasteable(release: string, command: () => string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/.test(release) ? command() : undefined;
}

const VERIFY = (release: string): string =>
  `nfdoctor check /etc/iptables/rules.v4 --kernel /lib/modules/${release}   # exit 0 before you reboot`;

function imageWithoutModules(
  model: HostModel,
  k: OtherKernel,
  isNext: boolean,
  next: Next | undefined,
): FindingInput {
  const where = placed(k, isNext, next);
  return {
    messageId: 'imageWithoutModules',
    key: `${k.release}:no-modules`,
    data: {
      release: k.release,
      image: k.image ?? `/boot/vmlinuz-${k.release}`,
      next: isNext ? ' (boots next)' : '',
    },
    evidence: [
      evidenceAt('/boot', undefined, k.image ?? `vmlinuz-${k.release}`, 'the kernel image is installed'),
      evidenceAt(
        `/lib/modules/${k.release}`,
        undefined,
        undefined,
        k.tree ? 'modules.dep is absent: depmod never ran or the modules package is gone' : 'no module tree',
      ),
      ...where.evidence,
    ],
    subjects: where.subjects,
    severity: where.severity,
    fix: {
      actions: [
        manual(
          `Before rebooting, install the modules of ${k.release} and rebuild its modules.dep.`,
          `Without them no firewall module loads after the reboot into ${k.release}.`,
          pasteable(k.release, () => shLines(packagesFor(model, k.release), `sudo depmod -a ${k.release}`)),
        ),
      ],
      persistence: 'The package owns the module tree; it stays as long as the kernel is installed.',
      verify: VERIFY(k.release),
    },
    next: 'Reboot only after the check passes for this kernel; otherwise the host comes up with no firewall.',
  };
}

function outOfTree(model: HostModel, module: string): string | undefined {
  const path = model.kernel?.deps?.get(module)?.path;
  return path !== undefined && !path.startsWith('kernel/') ? path : undefined;
}

function moduleFinding(
  model: HostModel,
  k: OtherKernel,
  rs: readonly RequirementResult[],
  m: ModuleStatus,
  isNext: boolean,
  next: Next | undefined,
): FindingInput {
  const dkms = outOfTree(model, m.name);
  const running = model.release?.value ?? 'the running kernel';
  const fix: Fix =
    dkms !== undefined
      ? {
          actions: [
            manual(
              `Before rebooting, build ${m.name} for ${k.release} with DKMS (install that kernel's headers first).`,
              `${m.name} is an out-of-tree module (${dkms} on ${running}); DKMS must build it for ${k.release}.`,
              pasteable(k.release, () =>
                shLines(kernelHeadersPackage(model, k.release), `sudo dkms autoinstall -k ${k.release}`),
              ),
            ),
          ],
          persistence: 'DKMS rebuilds the module for every kernel whose headers are installed.',
          verify: VERIFY(k.release),
        }
      : m.state === 'not-built'
        ? {
            actions: [
              manual(
                `Keep booting ${running} (make its menu entry GRUB's default with grub-set-default), or install a kernel built with ${m.config ?? 'the option'}=m (the distribution kernel) before rebooting.`,
                `${k.release} was built without ${m.name}; booting it loses the rules that need it.`,
              ),
            ],
            persistence: 'GRUB keeps the saved default until it is changed again.',
            verify: VERIFY(k.release),
          }
        : {
            actions: [
              manual(
                `Before rebooting, reinstall the modules of ${k.release} and rebuild its modules.dep.`,
                `Puts ${m.name} back into /lib/modules/${k.release}.`,
                pasteable(k.release, () =>
                  shLines(packagesFor(model, k.release), `sudo depmod -a ${k.release}`),
                ),
              ),
            ],
            persistence: 'The package owns the module files.',
            verify: VERIFY(k.release),
          };
  const where = placed(k, isNext, next);
  return {
    messageId: dkms !== undefined ? 'outOfTreeMissing' : m.state === 'not-built' ? 'notBuilt' : 'fileMissing',
    key: `${k.release}:${m.name}`,
    data: {
      release: k.release,
      module: m.name,
      uses: usesText(rs, (req) => `${req.kind} ${req.extension}`),
      reason: m.reason ?? m.state,
      path: dkms ?? '',
      next: isNext ? ' (boots next)' : '',
    },
    evidence: [...m.evidence, ...usesEvidence(rs, 2), ...where.evidence],
    subjects: [...where.subjects, `module:${m.name}`],
    severity: where.severity,
    fix,
    next: 'After the reboot the loader fails on the first rule that needs the module and loads nothing of that table.',
  };
}

function legacyFinding(
  model: HostModel,
  k: OtherKernel,
  isNext: boolean,
  next: Next | undefined,
): FindingInput | undefined {
  const config = k.needs?.kernel.config;
  const backend = model.backend ?? model.needs?.backend;
  if (backend?.value !== 'legacy' || config === undefined) {
    return undefined;
  }
  const v = config.values.get(GATE)?.value;
  if (v === 'y' || (v === undefined && !atLeast617(k.release))) {
    return undefined;
  }
  const at = config.values.get(GATE);
  const where = placed(k, isNext, next);
  return {
    messageId: 'legacyDisabled',
    key: `${k.release}:legacy`,
    data: { release: k.release, why: backend.why, next: isNext ? ' (boots next)' : '' },
    evidence: [
      at === undefined
        ? evidenceAt(config.file, undefined, undefined, `${GATE} does not appear (unset)`)
        : evidenceAt(config.file, at.line, `# ${GATE} is not set`),
      evidenceAt(backend.why.split(':')[0] ?? backend.why, undefined, backend.why),
      ...where.evidence,
    ],
    subjects: where.subjects,
    severity: where.severity,
    fix: {
      actions: [
        manual(
          'Before rebooting, switch iptables (and so the loader) to the nft variant; it reads the same rules files.',
          `${k.release} has no legacy x_tables tables (Linux 6.17 builds them only with ${GATE}=y); iptables-nft needs none of them.`,
          distroFamily(model) === 'debian' || distroFamily(model) === 'ubuntu'
            ? 'sudo update-alternatives --set iptables /usr/sbin/iptables-nft\nsudo update-alternatives --set ip6tables /usr/sbin/ip6tables-nft'
            : undefined,
        ),
      ],
      persistence: 'The alternatives choice persists across upgrades and reboots.',
      verify: 'iptables --version   # (nf_tables)',
    },
    next: 'Tools that call iptables-legacy directly (old scripts, some container runtimes) fail too on that kernel.',
  };
}

export default defineCheck({
  meta: {
    id: ID,
    title: 'The saved rules will load on the kernel the host boots next (and every other installed kernel)',
    severity: 'warning',
    messages: {
      imageWithoutModules:
        'Kernel {{release}}{{next}} is installed ({{image}}) without its modules: after a reboot into it no firewall module can load',
      fileMissing:
        'Kernel {{release}}{{next}} lacks {{module}} (for {{uses}}): {{reason}}; the rules will not load after a reboot into it',
      notBuilt: 'Kernel {{release}}{{next}} was built without {{module}} (for {{uses}}): {{reason}}',
      outOfTreeMissing:
        'Kernel {{release}}{{next}} has no {{module}} (for {{uses}}): it is an out-of-tree module ({{path}} on the running kernel) that DKMS has not built for {{release}}',
      legacyDisabled:
        'Kernel {{release}}{{next}} was built without CONFIG_NETFILTER_XTABLES_LEGACY, but iptables uses the legacy backend ({{why}}): after a reboot into it no legacy table exists and no rule loads',
    },
  },
  run(ctx) {
    const { model } = ctx;
    if (model.savedRules.length === 0) {
      return notApplicable('no saved iptables rules on this host');
    }
    if (model.otherKernels.length === 0) {
      return notApplicable(
        `no kernel other than the running one (${model.release?.value ?? '?'}) is installed`,
      );
    }
    const next = nextKernel(model);
    const undecided: string[] = [];
    for (const k of model.otherKernels) {
      const isNext = k.release === next?.release;
      if (k.modulesDep === 'absent' && (k.image !== undefined || k.tree)) {
        ctx.report(imageWithoutModules(model, k, isNext, next));
        continue;
      }
      if (k.needs === undefined) {
        undecided.push(`${k.release}: modules.dep ${k.modulesDep}`);
        continue;
      }
      const legacy = legacyFinding(model, k, isNext, next);
      if (legacy !== undefined) {
        ctx.report(legacy);
      }
      // One finding per module, naming every file and line that needs it (rules.v4 and rules.v6 alike).
      const missing = new UsesByKey<ModuleStatus>();
      for (const r of k.needs.results) {
        if (r.satisfiedBy !== undefined || (legacy !== undefined && r.requirement.kind === 'table')) {
          continue;
        }
        const first = r.modules.find((m) => m.state === 'not-built' || m.state === 'file-missing');
        if (first !== undefined) {
          missing.add(first.name, r, first);
        }
      }
      for (const { value: first, rs } of missing.entries()) {
        ctx.report(moduleFinding(model, k, rs, first, isNext, next));
      }
    }
    if (undecided.length > 0) {
      return unknown(`cannot check ${undecided.join(', ')} (not collected or unreadable)`);
    }
    return undefined;
  },
});
