// The running kernel has no module tree (/lib/modules/$(uname -r)) or the tree has no modules.dep: modprobe,
// the kernel's autoload (request_module -> modprobe) and systemd-modules-load cannot find any module. Says
// which cause the evidence supports, because each has its own fix: a provider or custom kernel, a kernel
// upgraded without reboot, a running kernel whose package was removed, package files gone, depmod not run.
import {
  defineCheck,
  notApplicable,
  unknown,
  type Fix,
  type FindingInput,
  type Severity,
} from '../../types.ts';
import type { HostModel, KernelPackage } from '../../../model/host-model.ts';
import type { DirFact } from '../../../sources/host-reader.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { compareKernelReleases, distroFamily, isContainer } from '../../host-commands.ts';
import { manual, shLines } from '../../fix-actions.ts';
import { shQuote } from '../../../fixes/actions.ts';

const ID = 'kmod/no-modules-dir';
export const SUBJECT = 'kernel:modules-dir';

type Case = 'providerKernel' | 'notRebooted' | 'removed' | 'packageFilesMissing' | 'undetermined';

interface Inventory {
  readonly release: string;
  /** Other module trees in /lib/modules (and /usr/lib/modules). */
  readonly otherTrees: readonly string[];
  readonly libModulesSeen: boolean;
  readonly boot?: readonly string[];
  readonly packagesSeen: boolean;
  /** Package lines for the running release (linux-image-R, linux-modules-R, kernel-core-R ...). */
  readonly runningPackages: readonly KernelPackage[];
  /** Releases with an installed package, from the package database. */
  readonly installedReleases: readonly string[];
}

/** dpkg db:Status-Abbrev: second letter "i" is installed; "c" config-files only (removed); "n" not installed. */
function isInstalled(p: KernelPackage): boolean {
  return p.status.charAt(1) === 'i' || p.status === 'ii';
}

/** The kernel release a package is for: linux-image-6.1.0-56-cloud-amd64(-unsigned), kernel-core-5.14.0-... */
function releaseOfPackage(p: KernelPackage): string | undefined {
  if (p.name.startsWith('kernel')) {
    return p.version;
  }
  const m = /^linux-(?:image|modules)(?:-extra|-unsigned)?-(\d.*?)(?:-unsigned)?$/.exec(p.name);
  return m?.[1];
}

/** Last word of a release ("amd64", "generic", "x86_64", "linode160"): kernels of one flavour share it. */
function flavour(release: string): string {
  const words = release.split(/[-.]/);
  return words[words.length - 1] ?? release;
}

/** Release strings that name a provider's own kernel, never a distribution package (Linode, OVH, Scaleway). */
const PROVIDER_RELEASE = /linode|-grs-|-mod-std-|-xxxx-|scaleway|-mainline-rev/i;

function listingNames(d: DirFact): string[] {
  return d.status === 'ok' ? d.entries.filter((e) => e.type !== 'file').map((e) => e.name) : [];
}

function inventory(model: HostModel, release: string): Inventory {
  const ik = model.installedKernels;
  const trees = [...new Set(ik.libModules.flatMap(listingNames))].sort(compareKernelReleases);
  const pkgs = [...(ik.deb ?? []), ...(ik.rpm ?? [])];
  const runningPackages = pkgs.filter((p) => releaseOfPackage(p) === release);
  const installedReleases = [
    ...new Set(
      pkgs
        .filter(isInstalled)
        .map(releaseOfPackage)
        .filter((r): r is string => r !== undefined && r !== release),
    ),
  ];
  return {
    release,
    otherTrees: trees.filter((t) => t !== release),
    libModulesSeen: ik.libModules.some((l) => l.status === 'ok' || l.status === 'absent'),
    ...(ik.boot.status === 'ok' ? { boot: ik.boot.entries.map((e) => e.name) } : {}),
    packagesSeen: ik.deb !== undefined || ik.rpm !== undefined,
    runningPackages,
    installedReleases,
  };
}

function bootImages(inv: Inventory): string[] {
  return (inv.boot ?? []).filter((n) => /^(vmlinuz|vmlinux|kernel|Image)-/.test(n));
}

function hasBootImage(inv: Inventory, release: string): boolean {
  return bootImages(inv).some((n) => n.endsWith(`-${release}`));
}

/** Installed releases other than the running one, newest first, with a module tree or a package. */
function otherInstalled(inv: Inventory): string[] {
  const fromBoot = bootImages(inv)
    .map((n) => n.replace(/^[^-]+-/, ''))
    .filter((r) => /^\d/.test(r) && r !== inv.release);
  return [...new Set([...inv.otherTrees, ...inv.installedReleases, ...fromBoot])]
    .filter((r) => r !== inv.release)
    .sort((a, b) => compareKernelReleases(b, a));
}

function classify(inv: Inventory): Case {
  if (inv.runningPackages.some(isInstalled)) {
    return 'packageFilesMissing';
  }
  const others = otherInstalled(inv);
  const sameFlavour = others.filter((r) => flavour(r) === flavour(inv.release));
  if (PROVIDER_RELEASE.test(inv.release)) {
    return 'providerKernel';
  }
  if (sameFlavour.some((r) => compareKernelReleases(r, inv.release) > 0)) {
    return 'notRebooted';
  }
  if (inv.runningPackages.length > 0 || sameFlavour.length > 0) {
    return 'removed';
  }
  if (!inv.packagesSeen && inv.boot === undefined && !inv.libModulesSeen) {
    return 'undetermined';
  }
  return 'providerKernel';
}

function packageLine(p: KernelPackage): string {
  return `${p.name}\t${p.version}\t${p.status}`;
}

function inventoryEvidence(model: HostModel, inv: Inventory, treeSource: string): Evidence[] {
  const out: Evidence[] = [
    evidenceAt(model.release?.source ?? 'command: uname -r', undefined, inv.release, 'the running kernel'),
  ];
  out.push(
    evidenceAt(
      treeSource,
      undefined,
      inv.otherTrees.length === 0 ? '(no kernel module trees)' : inv.otherTrees.join(' '),
      `no ${inv.release}`,
    ),
  );
  if (inv.boot !== undefined) {
    const images = bootImages(inv);
    out.push(
      evidenceAt(
        '/boot',
        undefined,
        images.length === 0 ? '(no kernel images)' : images.join(' '),
        hasBootImage(inv, inv.release) ? `has the image of ${inv.release}` : `no image of ${inv.release}`,
      ),
    );
  }
  if (inv.packagesSeen) {
    const src =
      model.installedKernels.deb !== undefined
        ? 'command: dpkg-query -W linux-image-*'
        : 'command: rpm -q kernel';
    if (inv.runningPackages.length > 0) {
      for (const p of inv.runningPackages.slice(0, 3)) {
        out.push(
          evidenceAt(
            src,
            undefined,
            packageLine(p),
            isInstalled(p) ? 'installed' : `not installed (state ${p.status})`,
          ),
        );
      }
    } else {
      out.push(
        evidenceAt(
          src,
          undefined,
          inv.installedReleases.length === 0
            ? '(no kernel package installed)'
            : inv.installedReleases.join(' '),
          `no package for ${inv.release}`,
        ),
      );
    }
  }
  return out;
}

/** The distribution family; without os-release, the package database that answered says it. */
function family(model: HostModel): ReturnType<typeof distroFamily> {
  const f = distroFamily(model);
  if (f !== 'unknown') {
    return f;
  }
  return model.installedKernels.deb !== undefined
    ? 'debian'
    : model.installedKernels.rpm !== undefined
      ? 'rhel'
      : f;
}

function modulePackages(model: HostModel, release: string, verb: 'install' | 'reinstall'): string {
  const again = verb === 'reinstall' ? ' --reinstall' : '';
  switch (family(model)) {
    case 'ubuntu':
      return `sudo apt-get install${again} linux-image-${release} linux-modules-${release} linux-modules-extra-${release}`;
    case 'debian':
      return `sudo apt-get install${again} linux-image-${release}`;
    case 'rhel':
      return `sudo dnf ${verb} kernel-core-${release} kernel-modules-core-${release} kernel-modules-${release}`;
    case 'suse':
      return 'sudo zypper install -f kernel-default';
    case 'arch':
      return 'sudo pacman -S linux   # Arch keeps only the newest kernel: then reboot into it';
    case 'alpine':
      return 'sudo apk add linux-lts';
    case 'gentoo':
      return `sudo make -C /usr/src/linux modules_install   # Gentoo: or emerge the sys-kernel package of ${release} again`;
    case 'unknown':
      return `install the package that provides /lib/modules/${release}`;
  }
}

function distroKernelPackage(model: HostModel): string {
  switch (family(model)) {
    case 'ubuntu':
      return 'sudo apt-get install linux-image-generic';
    case 'debian':
      return 'sudo apt-get install linux-image-amd64   # or linux-image-cloud-amd64 on a VM';
    case 'rhel':
      return 'sudo dnf install kernel';
    case 'arch':
      return 'sudo pacman -S linux';
    case 'suse':
      return 'sudo zypper install kernel-default';
    case 'alpine':
      return 'sudo apk add linux-virt';
    case 'gentoo':
      return 'sudo emerge sys-kernel/gentoo-kernel-bin';
    case 'unknown':
      return "install your distribution's kernel package";
  }
}

const VERIFY_AFTER_BOOT =
  'test -e /lib/modules/$(uname -r)/modules.dep && echo modules ok; modprobe -n -v xt_conntrack';

// Every repair here is a kernel choice, a package from the network or a reboot: manual steps only.
function fixFor(model: HostModel, c: Case, inv: Inventory): Fix {
  const newest = otherInstalled(inv)[0];
  switch (c) {
    case 'providerKernel':
      return {
        actions: [
          manual(
            'In the provider panel, boot the distribution kernel (Linode: Configuration -> Boot Settings -> Kernel: "GRUB 2"; OVH/others: "distribution kernel" / netboot off), then reboot.',
            `${inv.release} is not a kernel your distribution installed; only an installed kernel has its modules in /lib/modules. The kernel only changes at boot.`,
          ),
          ...(newest === undefined
            ? [
                manual(
                  "Install your distribution's kernel package first.",
                  'Nothing else is installed: GRUB needs a distribution kernel (and its modules) to boot.',
                  shLines(distroKernelPackage(model)),
                ),
              ]
            : []),
        ],
        persistence:
          'The provider setting (or GRUB default) picks the kernel on every boot; the distribution kernel brings its module tree and later kernel updates bring theirs. If you keep the provider kernel instead, everything the firewall uses must be built into it, and /etc/modules entries only produce "Failed to find module" at each boot.',
        verify: VERIFY_AFTER_BOOT,
      };
    case 'notRebooted':
      return {
        actions: [
          manual(
            `Reboot into the installed kernel ${newest ?? ''}.`,
            `The newer kernel ${newest ?? ''} is installed with its modules; the running ${inv.release} has lost its own.`,
            `ls ${shQuote(`/lib/modules/${newest ?? '<newest>'}/modules.dep`)} && sudo reboot`,
          ),
        ],
        persistence:
          'GRUB boots the newest installed kernel by default; after the reboot uname -r and /lib/modules agree again. Reboot after every kernel upgrade (Debian/Ubuntu: /var/run/reboot-required says so).',
        verify: VERIFY_AFTER_BOOT,
      };
    case 'removed':
      return {
        actions:
          newest !== undefined
            ? [
                manual(
                  `Reboot into an installed kernel (${newest}).`,
                  `Boots an installed kernel (${newest}) whose module tree exists.`,
                  'sudo reboot',
                ),
                manual(
                  `Or, to keep ${inv.release}, reinstall its modules if the archive still has the package.`,
                  "Reinstalls the running kernel's modules if the package is still in the archive.",
                  shLines(modulePackages(model, inv.release, 'install')),
                ),
              ]
            : [
                manual(
                  `Install the package that puts /lib/modules/${inv.release} back, if the archive still has it.`,
                  `Puts /lib/modules/${inv.release} back for the kernel that is running.`,
                  shLines(modulePackages(model, inv.release, 'install')),
                ),
                manual(
                  'Otherwise install a current kernel; it is the one the next boot uses.',
                  'A kernel package brings its own module tree.',
                  shLines(distroKernelPackage(model)),
                ),
              ],
        persistence:
          family(model) === 'debian' || family(model) === 'ubuntu'
            ? `apt autoremove removes old kernels that are not the newest; mark the one you rely on: sudo apt-mark manual linux-image-${inv.release}. Rebooting into an installed kernel is the lasting fix.`
            : 'Rebooting into an installed kernel is the lasting fix: its modules stay until its package is removed.',
        verify: VERIFY_AFTER_BOOT,
      };
    case 'packageFilesMissing':
      return {
        actions: [
          manual(
            `Find what removed or hides /lib/modules/${inv.release} (a mount over /lib/modules shows in findmnt), then reinstall the package and rebuild the module index.`,
            `The package is installed, so something removed or hides its files; reinstalling writes them again and depmod rebuilds modules.dep.`,
            shLines(
              'findmnt /lib/modules; findmnt /usr/lib/modules',
              modulePackages(model, inv.release, 'reinstall'),
              `sudo depmod -a ${shQuote(inv.release)}`,
            ),
          ),
        ],
        persistence: 'Files written by the package stay until the package is removed.',
        verify: `test -e /lib/modules/${inv.release}/modules.dep && modprobe -n -v xt_conntrack`,
      };
    case 'undetermined':
      return {
        actions: [
          manual(
            'Find out whether the running kernel was ever installed here (upgrade/removal) or comes from the provider; if a newer kernel is installed, reboot into it.',
            'An upgraded-but-not-rebooted or removed kernel is fixed by booting the installed one.',
            'ls /lib/modules /boot; dpkg -l "linux-image-*" 2>/dev/null || rpm -q kernel kernel-core',
          ),
        ],
        persistence:
          'The kernel you boot decides; an installed kernel keeps its modules until its package is removed.',
        verify: VERIFY_AFTER_BOOT,
      };
  }
}

const NEXT: Record<Case, string> = {
  providerKernel:
    'Until you boot an installed kernel, every module not already loaded or built in is out of reach: a new match in rules.v4, a conntrack helper, an ipset type, and each /etc/modules entry ("Failed to find module") fail. A Debian kernel upgrade does not change the provider kernel.',
  notRebooted:
    'Every module not loaded yet fails with "Module X not found in directory /lib/modules/…" until you reboot; the firewall loads now only because its modules were loaded before the upgrade.',
  removed:
    'Every module not loaded yet fails until you boot an installed kernel; an apt autoremove after the next kernel update removes the fallback again.',
  packageFilesMissing:
    'If a mount hides the tree, it will hide it again at next boot: find what mounts it (fstab, a unit) before reinstalling.',
  undetermined: 'Every module not loaded yet fails until the running kernel has a module tree.',
};

/** The firewall still works when every module the saved rules need is loaded or built in already. */
function severityFor(model: HostModel): { severity: Severity; note: string } {
  const needs = model.needs;
  if (needs === undefined) {
    return { severity: 'warning', note: 'no saved rules were checked against this kernel' };
  }
  const missing = needs.results.filter((r) => r.satisfiedBy === undefined);
  if (missing.length === 0) {
    return {
      severity: 'warning',
      note: 'every module the saved rules need is loaded or built in already, so the firewall still loads',
    };
  }
  return {
    severity: 'error',
    note: `${missing.length} requirement(s) of the saved rules cannot be met without the module tree`,
  };
}

function loadedNetfilterEvidence(model: HostModel): Evidence[] {
  const loaded = model.kernel?.loaded;
  if (loaded === undefined) {
    return [];
  }
  const nf = [...loaded.modules.keys()].filter((m) =>
    /^(nf_|nft_|xt_|ip_tables|ip6_tables|iptable_|ip6table_|ip_set|x_tables)/.test(m),
  );
  return nf.length === 0
    ? []
    : [
        evidenceAt(
          loaded.source,
          undefined,
          nf.slice(0, 8).join(' ') + (nf.length > 8 ? ' …' : ''),
          `${nf.length} netfilter modules loaded before the tree went missing or built into the boot`,
        ),
      ];
}

export default defineCheck({
  meta: {
    id: ID,
    title: 'The running kernel has its module tree (/lib/modules/$(uname -r) with modules.dep)',
    severity: 'error',
    messages: {
      providerKernel:
        'No /lib/modules/{{release}}: the running kernel is a provider or custom kernel that was never installed here (/lib/modules has {{others}}); no module can be loaded ({{impact}})',
      notRebooted:
        'No /lib/modules/{{release}}: the kernel was upgraded to {{newest}} and the host was not rebooted; no module of the running kernel can be loaded ({{impact}})',
      removed:
        'No /lib/modules/{{release}}: the package of the running kernel was removed while it runs ({{state}}); no module can be loaded ({{impact}})',
      packageFilesMissing:
        'No /lib/modules/{{release}} although {{package}} is installed: its files were removed or are hidden (/lib/modules has {{others}}); no module can be loaded ({{impact}})',
      undetermined:
        'No /lib/modules/{{release}}: no module of the running kernel can be loaded; nothing collected says whether it is a provider kernel or a removed one ({{impact}})',
      noModulesDep:
        '/lib/modules/{{release}} has no modules.dep: modprobe finds no module until depmod runs ({{impact}})',
    },
  },
  run(ctx) {
    const { model } = ctx;
    if (model.release === undefined) {
      return unknown('the running kernel release is unknown (no uname -r, no /proc/sys/kernel/osrelease)');
    }
    if (model.source.kind === 'root') {
      return notApplicable(
        'a mounted disk has no running kernel; its /lib/modules is read as the kernel it boots',
      );
    }
    if (isContainer(model)) {
      return notApplicable(
        `this is a ${model.virt ?? ''} container: it runs on its host's kernel, and a container without /lib/modules is normal (modules are the host's business)`,
      );
    }
    const release = model.release.value;
    const ik = model.installedKernels;
    const trees = ik.runningTree;
    const present = trees.find((t) => t.status === 'ok');
    const { severity, note } = severityFor(model);
    const impact = note;
    if (present?.status === 'ok') {
      if (present.entries.some((e) => e.name === 'modules.dep')) {
        return undefined;
      }
      const hasModules = present.entries.some(
        (e) => e.name === 'kernel' || e.name === 'updates' || e.name === 'extra',
      );
      ctx.report({
        messageId: 'noModulesDep',
        key: `${release}:no-modules-dep`,
        data: { release, impact },
        evidence: [
          evidenceAt(
            present.path,
            undefined,
            present.entries
              .map((e) => e.name)
              .sort()
              .join(' ') || '(empty)',
            'no modules.dep',
          ),
          ...loadedNetfilterEvidence(model),
        ],
        subjects: [SUBJECT],
        severity,
        fix: {
          // depmod only writes index files from the module files on disk, but it is not an action kind (yet):
          // shown for a person to run.
          actions: hasModules
            ? [
                manual(
                  `Rebuild the module index of ${release}.`,
                  'Writes modules.dep, modules.alias and their .bin indexes from the module files.',
                  `sudo depmod -a ${shQuote(release)}`,
                ),
              ]
            : [
                manual(
                  `Reinstall the kernel package of ${release}, then rebuild its module index.`,
                  `${present.path} holds no module files: only the package can put them back; depmod writes modules.dep and the alias index.`,
                  shLines(modulePackages(model, release, 'reinstall'), `sudo depmod -a ${shQuote(release)}`),
                ),
              ],
          persistence:
            'modules.dep stays until the next depmod (every kernel or DKMS package install runs it).',
          verify: `test -e /lib/modules/${release}/modules.dep && modprobe -n -v xt_conntrack`,
        },
        next: 'A half-installed kernel package (dpkg -l shows iF/iU) or a DKMS build that died before depmod leaves this; "sudo dpkg --configure -a" finishes the first.',
      });
      return undefined;
    }
    const undecidable = trees.filter((t) => t.status !== 'absent');
    const libListing = ik.libModules.find((l) => l.status === 'ok');
    if (undecidable.length === trees.length && libListing === undefined) {
      const why = trees
        .map((t) => `${t.path}: ${t.status}${t.status === 'ok' ? '' : ` (${t.reason})`}`)
        .join('; ');
      return unknown(`cannot tell whether /lib/modules/${release} exists: ${why || 'nothing listed'}`);
    }
    if (libListing !== undefined && listingNames(libListing).includes(release)) {
      return unknown(`/lib/modules lists ${release} but its directory could not be read`);
    }
    const inv = inventory(model, release);
    const c = classify(inv);
    const others = otherInstalled(inv);
    const state =
      inv.runningPackages.map((p) => `${p.name} ${p.status}`).join(', ') || `no package for ${release}`;
    const finding: FindingInput = {
      messageId: c,
      key: `${release}:${c}`,
      data: {
        release,
        others: inv.otherTrees.length === 0 ? 'no kernel at all' : `only ${inv.otherTrees.join(', ')}`,
        newest: others[0] ?? '',
        state,
        package: inv.runningPackages.find(isInstalled)?.name ?? '',
        impact,
      },
      evidence: [
        ...inventoryEvidence(model, inv, libListing?.path ?? '/lib/modules'),
        ...loadedNetfilterEvidence(model),
      ],
      subjects: [SUBJECT],
      severity,
      fix: fixFor(model, c, inv),
      next: NEXT[c],
    };
    ctx.report(finding);
    return undefined;
  },
});
