// Rules copied from a newer host (or written from a newer man page) can use an option or extension the
// installed iptables does not know yet; iptables-restore then stops with `unknown option "--random-fully"`
// or "Couldn't load match `srh'" and loads nothing (rancher/rke2#1229 shows the former on a real host).
import { defineCheck, notApplicable, unknown, type FindingInput } from '../../types.ts';
import type { HostModel } from '../../../model/host-model.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { commandOutput, distroFamily, journalEvidence } from '../../host-commands.ts';
import { manual, restartLoaderLater, shLines } from '../../fix-actions.ts';

const ID = 'userspace/iptables-too-old';

interface Feature {
  readonly kind: 'match' | 'target';
  readonly extension: string;
  /** undefined: the whole extension is new. */
  readonly option?: string;
  readonly since: string;
  readonly source: string;
}

// Upstream release notes as carried in openSUSE's iptables.changes (build.opensuse.org, packages
// iptables in SUSE:SLE-15:GA, openSUSE:13.1, home:lafenghu, SLE-15-SP4:GA), one line per release.
const SUSE = 'openSUSE iptables.changes';
export const FEATURES: readonly Feature[] = [
  {
    kind: 'match',
    extension: 'rpfilter',
    since: '1.4.13',
    source: `${SUSE}, 1.4.13: "Add the rpfilter, nfacct ... extensions"`,
  },
  {
    kind: 'match',
    extension: 'nfacct',
    since: '1.4.13',
    source: `${SUSE}, 1.4.13: "Add the rpfilter, nfacct ... extensions"`,
  },
  {
    kind: 'target',
    extension: 'CT',
    option: '--timeout',
    since: '1.4.14',
    source: `${SUSE}, 1.4.14: "cttimeout ... via iptables CT target"`,
  },
  {
    kind: 'match',
    extension: 'bpf',
    since: '1.4.19.1',
    source: `${SUSE}, 1.4.19.1: "New connlabel and bpf matches"`,
  },
  {
    kind: 'match',
    extension: 'connlabel',
    since: '1.4.19.1',
    source: `${SUSE}, 1.4.19.1: "New connlabel and bpf matches"`,
  },
  {
    kind: 'match',
    extension: 'cgroup',
    option: '--path',
    since: '1.6.1',
    source: `${SUSE}, 1.6.1: "add support for cgroup2 path matching"`,
  },
  {
    kind: 'target',
    extension: 'MASQUERADE',
    option: '--random-fully',
    since: '1.6.2',
    source: `${SUSE}, 1.6.2: "add randomize-full for the MASQUERADE target"`,
  },
  {
    kind: 'match',
    extension: 'srh',
    since: '1.6.2',
    source: `${SUSE}, 1.6.2: "add support for the srh match"`,
  },
  {
    kind: 'match',
    extension: 'hashlimit',
    option: '--hashlimit-rate-match',
    since: '1.6.2',
    source: `${SUSE}, 1.6.2: "add rate match mode to the hashlimit match"`,
  },
  {
    kind: 'target',
    extension: 'IDLETIMER',
    option: '--alarm',
    since: '1.8.5',
    source: `${SUSE}, 1.8.5: "IDLETIMER: Add alarm timer option"`,
  },
];

export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) {
      return d;
    }
  }
  return 0;
}

/** The installed iptables version: `iptables --version`, else the package database. */
function installedVersion(model: HostModel): { version: string; evidence: Evidence } | undefined {
  const fromBanner = /iptables v(\d+(?:\.\d+)+)/.exec(model.iptablesVersion ?? '')?.[1];
  if (fromBanner !== undefined) {
    return {
      version: fromBanner,
      evidence: evidenceAt('command: iptables --version', undefined, model.iptablesVersion),
    };
  }
  const deb = model.packages.get('iptables');
  const fromDeb = deb === undefined ? undefined : /^(?:\d+:)?(\d+(?:\.\d+)+)/.exec(deb)?.[1];
  if (deb !== undefined && fromDeb !== undefined) {
    return { version: fromDeb, evidence: evidenceAt('command: dpkg-query -W', undefined, `iptables ${deb}`) };
  }
  const rpmLine = (commandOutput(model, 'rpm-q') ?? '')
    .split('\n')
    .find((l) => /^iptables-\d/.test(l.trim()));
  const fromRpm = rpmLine === undefined ? undefined : /^iptables-(\d+(?:\.\d+)+)/.exec(rpmLine.trim())?.[1];
  if (rpmLine !== undefined && fromRpm !== undefined) {
    return { version: fromRpm, evidence: evidenceAt('command: rpm -q', undefined, rpmLine.trim()) };
  }
  return undefined;
}

interface Use {
  readonly feature: Feature;
  readonly file: string;
  readonly family: string;
  readonly lines: number[];
  readonly raw: string[];
}

function featureUses(model: HostModel): Use[] {
  const uses = new Map<string, Use>();
  for (const saved of model.savedRules) {
    for (const table of saved.ruleset.tables) {
      for (const rule of table.rules) {
        const parts = [
          ...rule.matches.map((m) => ({ kind: 'match' as const, name: m.name, options: m.options })),
          ...(rule.target?.kind === 'extension'
            ? [{ kind: 'target' as const, name: rule.target.name, options: rule.target.options }]
            : []),
        ];
        for (const p of parts) {
          for (const f of FEATURES) {
            if (f.kind !== p.kind || f.extension !== p.name) {
              continue;
            }
            if (f.option !== undefined && !p.options.some((o) => o.name === f.option)) {
              continue;
            }
            const key = `${saved.path}|${f.kind}|${f.extension}|${f.option ?? ''}`;
            const u = uses.get(key) ?? {
              feature: f,
              file: saved.path,
              family: saved.family,
              lines: [],
              raw: [],
            };
            u.lines.push(rule.line);
            u.raw.push(rule.raw);
            uses.set(key, u);
          }
        }
      }
    }
  }
  return [...uses.values()];
}

function upgradeCommand(model: HostModel): string {
  switch (distroFamily(model)) {
    case 'debian':
    case 'ubuntu':
      return 'sudo apt-get update && sudo apt-get install --only-upgrade iptables';
    case 'rhel':
      return 'sudo dnf upgrade iptables\\*';
    case 'arch':
      return 'sudo pacman -Syu iptables';
    case 'suse':
      return 'sudo zypper update iptables';
    case 'alpine':
      return 'sudo apk upgrade iptables';
    case 'gentoo':
      return 'sudo emerge --update --oneshot net-firewall/iptables';
    case 'unknown':
      return 'upgrade the iptables package';
  }
}

function findingFor(
  model: HostModel,
  u: Use,
  installed: { version: string; evidence: Evidence },
): FindingInput {
  const f = u.feature;
  const what = f.option === undefined ? `${f.kind} ${f.extension}` : `${f.option} of ${f.extension}`;
  const escaped = (f.option ?? f.extension).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    messageId: f.option === undefined ? 'extensionTooNew' : 'optionTooNew',
    key: `${u.file}:${f.extension}${f.option ?? ''}`,
    data: {
      feature: what,
      since: f.since,
      installed: installed.version,
      file: u.file,
      lines: u.lines.join(', '),
    },
    evidence: [
      ...u.lines.slice(0, 3).map((l, i) => evidenceAt(u.file, l, u.raw[i])),
      installed.evidence,
      evidenceAt('nfdoctor feature table', undefined, `${what} since iptables ${f.since}`, f.source),
      ...journalEvidence(
        model,
        new RegExp(`unknown option "${escaped}"|Couldn't load (?:match|target) \`${escaped}'`),
        'this boot',
      ),
    ],
    subjects: [
      `extension:${u.family}/${f.kind}/${f.extension}`,
      ...u.lines.map((l) => `rules:${u.file}:${l}`),
    ],
    fix: {
      actions: [
        // Upgrading a package or rewriting rules are a person's decisions.
        manual(
          `Upgrade iptables to ${f.since} or newer; if the distribution has no such release, drop ${f.option ?? `-${f.kind === 'match' ? 'm' : 'j'} ${f.extension}`} from ${u.file} line(s) ${u.lines.join(', ')} instead and check that the rule still does what you need.`,
          `iptables ${f.since} or newer understands ${what}; without it the file parses on iptables ${installed.version}.`,
          shLines(upgradeCommand(model)),
        ),
        restartLoaderLater(model, 'Restores the saved rules.'),
      ],
      persistence: 'The upgraded package (or the edited file) is what the loader uses on every boot.',
      verify: `sudo iptables-restore --test < ${u.file} && echo parses`,
    },
    next: 'Rules copied from a newer host often use more than one newer feature; iptables-restore reports only the first. Re-run nfdoctor after the fix.',
  };
}

export default defineCheck({
  meta: {
    id: ID,
    title: 'The installed iptables understands every option and extension in the saved rules',
    severity: 'error',
    messages: {
      optionTooNew:
        '{{file}} line {{lines}} uses {{feature}}, which needs iptables {{since}}; this host has {{installed}}, so iptables-restore rejects the file',
      extensionTooNew:
        '{{file}} line {{lines}} uses the {{feature}}, added in iptables {{since}}; this host has {{installed}}, so iptables-restore rejects the file',
    },
  },
  run(ctx) {
    const { model } = ctx;
    if (model.savedRules.length === 0) {
      return notApplicable('no saved iptables rules on this host');
    }
    const uses = featureUses(model);
    if (uses.length === 0) {
      return undefined;
    }
    const installed = installedVersion(model);
    if (installed === undefined) {
      return unknown(
        `the rules use ${uses.map((u) => u.feature.option ?? u.feature.extension).join(', ')}, but the installed iptables version is unknown (no iptables --version, no package database)`,
      );
    }
    for (const u of uses) {
      if (compareVersions(installed.version, u.feature.since) < 0) {
        ctx.report(findingFor(model, u, installed));
      }
    }
    return undefined;
  },
});
