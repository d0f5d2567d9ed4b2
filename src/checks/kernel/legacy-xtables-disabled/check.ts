// Since Linux 6.17 the legacy x_tables tables (iptables-legacy, ip6tables-legacy, arptables, ebtables) are
// built only with CONFIG_NETFILTER_XTABLES_LEGACY=y, a bool with no default that also `depends on
// !PREEMPT_RT`; IP_NF_IPTABLES_LEGACY / IP6_NF_IPTABLES_LEGACY and the table options (IP_NF_FILTER, _NAT,
// _MANGLE, _RAW) now `depends on` it instead of selecting it. Source: "netfilter: Exclude LEGACY TABLES on
// PREEMPT_RT." (Pablo Neira Ayuso, net-next 2025-07-25, merged for v6.17). A config carried over from an
// older kernel with `make olddefconfig` silently loses every legacy table, and iptables-legacy fails with
// "can't initialize iptables table `filter': Table does not exist (do you need to insmod?)".
import { defineCheck, notApplicable, unknown, type FindingInput } from '../../types.ts';
import type { HostModel } from '../../../model/host-model.ts';
import type { KernelView } from '../../../resolve/kernel-view.ts';
import { legacyTableModule, type Family } from '../../../knowledge/extensions.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { distroFamily, journalEvidence } from '../../host-commands.ts';
import { manual, restartLoaderLater } from '../../fix-actions.ts';
import type { ManualAction } from '../../../fixes/actions.ts';

const ID = 'kernel/legacy-xtables-disabled';
const GATE = 'CONFIG_NETFILTER_XTABLES_LEGACY';
const FAMILY_SYMBOL: Record<Family, string> = {
  ipv4: 'CONFIG_IP_NF_IPTABLES_LEGACY',
  ipv6: 'CONFIG_IP6_NF_IPTABLES_LEGACY',
};
const TABLE_ERRORS =
  /can't initialize ip6?tables table `\w+': Table does not exist|unable to initialize table '\w+'/;

function atLeast617(release: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release ?? '');
  if (m?.[1] === undefined || m[2] === undefined) {
    return false;
  }
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 6 || (major === 6 && minor >= 17);
}

function enabled(config: NonNullable<KernelView['config']>, symbol: string): boolean {
  const v = config.values.get(symbol)?.value;
  return v === 'y' || v === 'm';
}

function configEvidence(config: NonNullable<KernelView['config']>, symbol: string): Evidence {
  const v = config.values.get(symbol);
  return v === undefined
    ? evidenceAt(config.file, undefined, undefined, `${symbol} does not appear at all (unset)`)
    : evidenceAt(config.file, v.line, v.value === 'n' ? `# ${symbol} is not set` : `${symbol}=${v.value}`);
}

// Switching the iptables variant changes what every tool on the host programs: a person decides it.
function switchToNft(model: HostModel): ManualAction {
  const why =
    'iptables-nft reads the same rules files and programs nf_tables, which this kernel has; nothing needs rebuilding.';
  switch (distroFamily(model)) {
    case 'debian':
    case 'ubuntu':
      return manual(
        'Switch iptables and ip6tables to the nft variant.',
        why,
        'sudo update-alternatives --set iptables /usr/sbin/iptables-nft && sudo update-alternatives --set ip6tables /usr/sbin/ip6tables-nft',
      );
    case 'arch':
      return manual(
        'Install iptables-nft, which replaces iptables (legacy).',
        why,
        'sudo pacman -S iptables-nft',
      );
    default:
      return manual('Use the iptables-nft variant (iptables-nft-restore) in the boot loader.', why);
  }
}

function tablesUsed(model: HostModel): { family: Family; table: string; file: string; line: number }[] {
  return model.savedRules.flatMap((r) =>
    r.ruleset.tables.map((t) => ({ family: r.family, table: t.name, file: r.path, line: t.line })),
  );
}

export default defineCheck({
  meta: {
    id: ID,
    title: 'A kernel >= 6.17 used with iptables-legacy has the legacy tables built',
    severity: 'error',
    messages: {
      legacyDisabled:
        'iptables uses the legacy backend ({{why}}), but kernel {{release}} was built without {{symbol}}: no legacy table exists, so iptables-legacy-restore cannot load any rule',
      preemptRt:
        'iptables uses the legacy backend ({{why}}), but kernel {{release}} is a PREEMPT_RT kernel, where {{symbol}} cannot be enabled: only iptables-nft can work',
      familyDisabled:
        'iptables uses the legacy backend ({{why}}); kernel {{release}} has {{gate}} but not {{symbol}}, so the {{family}} legacy tables ({{tables}}) do not exist',
    },
  },
  run(ctx) {
    const { model } = ctx;
    const backend = model.backend ?? model.needs?.backend;
    if (model.savedRules.length === 0 && backend === undefined) {
      return notApplicable('no saved iptables rules and no iptables on this host');
    }
    if (backend === undefined) {
      return unknown(
        'which backend iptables uses is unknown (no /etc/alternatives/iptables, no iptables --version)',
      );
    }
    if (backend.value !== 'legacy') {
      return notApplicable(
        `iptables uses the nf_tables backend (${backend.why}), which does not need the legacy tables`,
      );
    }
    const release = model.release?.value;
    const config = (model.kernel ?? model.needs?.kernel)?.config;
    if (config === undefined) {
      return unknown(
        `the kernel configuration of ${release ?? 'the running kernel'} is not available (/boot/config-${release ?? 'R'}, /proc/config.gz)`,
      );
    }
    if (config.values.get(GATE) === undefined && !atLeast617(release)) {
      return notApplicable(
        `kernel ${release ?? '?'} predates ${GATE} (Linux 6.17); its legacy tables are checked by kmod/module-unavailable`,
      );
    }
    const tables = tablesUsed(model);
    const common = {
      release: release ?? '?',
      why: backend.why,
    };
    const ruleEvidence = tables.slice(0, 3).map((t) => evidenceAt(t.file, t.line, `*${t.table}`));
    const journal = journalEvidence(model, TABLE_ERRORS, 'this boot');
    const restart = restartLoaderLater(model, 'Restores the saved rules with the nft variant.');
    const persistence =
      'The alternatives choice (or the installed variant) is what the loader runs on every boot; a kernel rebuilt with the option keeps it in /boot/config-R for the next upgrade.';
    const subjectsFor = (families: readonly Family[]): string[] => [
      'kernel:legacy-xtables',
      'backend:legacy',
      ...tables
        .filter((t) => families.includes(t.family))
        .map((t) => `module:${legacyTableModule(t.family, t.table)}`),
    ];
    if (!enabled(config, GATE)) {
      const rt = config.values.get('CONFIG_PREEMPT_RT')?.value === 'y';
      const finding: FindingInput = {
        messageId: rt ? 'preemptRt' : 'legacyDisabled',
        key: 'gate',
        data: { ...common, symbol: GATE },
        evidence: [
          configEvidence(config, GATE),
          ...(rt ? [configEvidence(config, 'CONFIG_PREEMPT_RT')] : []),
          evidenceAt(
            backend.why.startsWith('/') ? (backend.why.split(' ')[0] ?? backend.why) : 'iptables',
            undefined,
            backend.why,
          ),
          ...journal,
          ...ruleEvidence,
        ],
        subjects: subjectsFor(['ipv4', 'ipv6']),
        fix: {
          actions: [
            switchToNft(model),
            restart,
            ...(rt
              ? []
              : [
                  manual(
                    `Or, to keep iptables-legacy: rebuild the kernel with ${GATE}=y, CONFIG_IP_NF_IPTABLES_LEGACY=m, CONFIG_IP6_NF_IPTABLES_LEGACY=m and the tables you use (CONFIG_IP_NF_FILTER=m, CONFIG_IP_NF_NAT=m, CONFIG_IP_NF_MANGLE=m, CONFIG_IP_NF_RAW=m).`,
                    `Since 6.17 these options depend on ${GATE}, which defaults to off; olddefconfig drops them silently.`,
                  ),
                ]),
          ],
          persistence,
          verify: 'iptables --version   # (nf_tables); then: sudo iptables-save | grep -c -- "-A"',
        },
        next: 'Other programs that call iptables-legacy directly (old Docker or kube-proxy images, VPN clients) fail the same way; point them at iptables-nft too.',
      };
      ctx.report(finding);
      return undefined;
    }
    for (const family of ['ipv4', 'ipv6'] as const) {
      const used = tables.filter((t) => t.family === family);
      const symbol = FAMILY_SYMBOL[family];
      if (used.length === 0 || enabled(config, symbol)) {
        continue;
      }
      ctx.report({
        messageId: 'familyDisabled',
        key: family,
        data: {
          ...common,
          gate: GATE,
          symbol,
          family,
          tables: [...new Set(used.map((t) => t.table))].join(', '),
        },
        evidence: [configEvidence(config, GATE), configEvidence(config, symbol), ...journal, ...ruleEvidence],
        subjects: subjectsFor([family]),
        fix: {
          actions: [
            switchToNft(model),
            restart,
            manual(
              `Or rebuild the kernel with ${symbol}=m and the ${family} table options you use.`,
              `The ${family} legacy tables depend on ${symbol}.`,
            ),
          ],
          persistence,
          verify: 'iptables --version   # (nf_tables)',
        },
      });
    }
    return undefined;
  },
});
