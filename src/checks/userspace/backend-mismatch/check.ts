// iptables has two kernel backends that do not see each other: nf_tables (iptables-nft) and the legacy
// x_tables (iptables-legacy). Packets traverse both, so rules left in the backend you do not manage still
// drop traffic, and `iptables -L` shows only one of them; iptables-nft-save says so on stderr:
// "# Warning: iptables-legacy tables present, use iptables-legacy-save to see them"
// (research/real-error-messages.md, measured in a netns).
import { defineCheck, notApplicable, unknown, type FindingInput } from '../../types.ts';
import type { HostModel, LiveRules } from '../../../model/host-model.ts';
import type { Ruleset } from '../../../parsers/iptables-save.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { commandOutput, distroFamily } from '../../host-commands.ts';
import { manual, restartLoaderLater } from '../../fix-actions.ts';

const ID = 'userspace/backend-mismatch';
type Backend = 'nft' | 'legacy';

const LEGACY_WARNING = /# Warning: iptables-legacy tables present/;

function other(b: Backend): Backend {
  return b === 'nft' ? 'legacy' : 'nft';
}

/** The backend `iptables` (and so the boot loader's iptables-restore) uses on this host. */
function hostBackend(model: HostModel): { value: Backend; why: string } | undefined {
  if (model.backend !== undefined) {
    return model.backend;
  }
  // update-alternatives --query iptables: "Value: /usr/sbin/iptables-legacy" (Debian's alternatives).
  const value = /^Value: (\S+)$/m.exec(commandOutput(model, 'update-alternatives.iptables') ?? '')?.[1];
  if (value?.includes('legacy') === true) {
    return { value: 'legacy', why: `update-alternatives --query iptables: Value: ${value}` };
  }
  if (value?.includes('nft') === true) {
    return { value: 'nft', why: `update-alternatives --query iptables: Value: ${value}` };
  }
  return undefined;
}

interface BackendContent {
  readonly rules: number;
  readonly dropPolicies: number;
  readonly evidence: Evidence[];
}

function contentOf(rs: Ruleset, source: string): BackendContent {
  const rules = rs.tables.flatMap((t) => t.rules);
  const drops = rs.tables.flatMap((t) =>
    t.chains.filter((c) => c.builtin && c.policy !== 'ACCEPT').map((c) => ({ t: t.name, c })),
  );
  return {
    rules: rules.length,
    dropPolicies: drops.length,
    evidence: [
      ...rules.slice(0, 2).map((r) => evidenceAt(source, r.line, r.raw)),
      ...drops.slice(0, 2).map((d) => evidenceAt(source, d.c.line, `*${d.t} :${d.c.name} ${d.c.policy}`)),
    ],
  };
}

/**
 * What the live ruleset of `backend` holds, both families. undefined: unknown. A command skipped by its
 * precondition means the backend is not active at all (registry: ip_tables / nf_tables not loaded).
 */
function liveContent(model: HostModel, backend: Backend): BackendContent | undefined {
  const facts = model.liveRules.filter((l) => l.backend === backend);
  let total: BackendContent = { rules: 0, dropPolicies: 0, evidence: [] };
  for (const l of facts) {
    const c = factContent(l);
    if (c === undefined) {
      return undefined;
    }
    total = {
      rules: total.rules + c.rules,
      dropPolicies: total.dropPolicies + c.dropPolicies,
      evidence: [...total.evidence, ...c.evidence],
    };
  }
  return facts.length === 0 ? undefined : total;
}

function factContent(l: LiveRules): BackendContent | undefined {
  if (l.fact.status === 'skipped') {
    return { rules: 0, dropPolicies: 0, evidence: [] };
  }
  return l.ruleset === undefined ? undefined : contentOf(l.ruleset, `command: ${l.fact.argv.join(' ')}`);
}

function legacyWarning(model: HostModel): Evidence | undefined {
  for (const l of model.liveRules.filter((x) => x.backend !== 'legacy')) {
    const line = l.fact.stderr.split('\n').find((x) => LEGACY_WARNING.test(x));
    if (line !== undefined) {
      return evidenceAt(`command: ${l.fact.argv.join(' ') || l.id} (stderr)`, undefined, line.trim());
    }
  }
  return undefined;
}

/** Where the backend choice comes from, as an evidence source: the alternatives link or the command. */
function whySource(why: string): string {
  return why.startsWith('/') ? (why.split(' ')[0] ?? why) : `command: ${why.split(':')[0] ?? why}`;
}

function tool(b: Backend): string {
  return b === 'nft' ? 'iptables-nft' : 'iptables-legacy';
}

function flushCommand(b: Backend): string {
  return `sudo sh -c 'for t in filter nat mangle raw security; do for c in ${tool(b)} ip6tables-${b}; do $c -t $t -F && $c -t $t -X; done; done; for c in ${tool(b)} ip6tables-${b}; do for ch in INPUT FORWARD OUTPUT; do $c -P $ch ACCEPT; done; done' 2>/dev/null`;
}

function bothFinding(
  model: HostModel,
  host: { value: Backend; why: string },
  stray: BackendContent | undefined,
  warning: Evidence | undefined,
): FindingInput {
  const o = other(host.value);
  const backupFile = `/root/${tool(o)}-rules.before-nfdoctor`;
  return {
    messageId: stray === undefined ? 'legacyTablesPresent' : 'rulesInBoth',
    key: `both:${o}`,
    data: {
      active: host.value,
      other: o,
      rules: stray?.rules ?? 0,
      policies: stray?.dropPolicies ?? 0,
      why: host.why,
    },
    evidence: [
      evidenceAt(whySource(host.why), undefined, host.why),
      ...(warning === undefined ? [] : [warning]),
      ...(stray?.evidence ?? []),
    ],
    subjects: ['backend:mismatch', `backend:${o}`],
    severity: stray !== undefined && stray.rules === 0 && stray.dropPolicies === 0 ? 'info' : 'warning',
    fix: {
      // Which backend's rules are the wanted ones, and what writes the others, is a person's judgement.
      actions: [
        manual(
          `Keep a copy of what is in the ${o} backend, find what writes ${o} rules (Docker or kube-proxy built for the other backend, an old script) and make it use ${tool(host.value)}.`,
          `Otherwise the ${o} rules come back on the next boot.`,
          `sudo sh -c '${tool(o)}-save > ${backupFile}; ip6tables-${o}-save >> ${backupFile}'; grep -rlE 'iptables-${o}|xtables-${o}' /etc/systemd /etc/network /etc/rc.local /usr/local /etc/docker 2>/dev/null`,
        ),
        manual(
          `Empty the ${o} backend.`,
          `The boot loader keeps using ${host.value} (${host.why}). If those rules were the ones you wanted, add them to your saved rules instead.`,
          flushCommand(o),
        ),
        restartLoaderLater(model, 'Reloads the saved rules into the backend in use.'),
      ],
      persistence: `Nothing loads ${o} rules at boot once their writer uses ${tool(host.value)}; ${distroFamily(model) === 'debian' || distroFamily(model) === 'ubuntu' ? 'update-alternatives keeps iptables pointing at the same variant across upgrades.' : 'the distribution ships only one default variant.'}`,
      verify: `sudo ${tool(o)}-save | grep -c -- '-A'   # 0`,
    },
    next: `Tools that detect the backend by counting rules in each (kube-proxy, Docker) may pick ${o} again while it holds rules; after the flush they settle on ${host.value}.`,
  };
}

function savedByOtherFinding(
  model: HostModel,
  host: { value: Backend; why: string },
  file: string,
  line: number,
  saved: Backend,
): FindingInput {
  return {
    messageId: 'savedByOther',
    key: `saved:${file}`,
    data: { file, saved, active: host.value, why: host.why },
    evidence: [
      evidenceAt(file, line, model.savedRules.find((r) => r.path === file)?.text.split('\n')[line - 1]),
      evidenceAt(whySource(host.why), undefined, host.why),
    ],
    subjects: ['backend:mismatch', `rules:${file}:${line}`],
    severity: 'info',
    fix: {
      actions: [
        manual(
          `Check whether rules still live in the ${saved} backend, then use one backend for saving, restoring and every tool that adds rules: ${
            distroFamily(model) === 'debian' || distroFamily(model) === 'ubuntu'
              ? `switch the alternatives to ${saved} only if you meant to use it; otherwise`
              : 'to'
          } keep ${host.value} and re-save the rules from it once they are loaded (iptables-save).`,
          `The file was saved from ${saved}; at boot it is restored into ${host.value}. If ${saved} still has rules, something else still writes there.`,
          `sudo ${tool(saved)}-save | grep -c -- '-A'`,
        ),
      ],
      persistence: 'The alternatives link and the saved file decide the backend on every boot.',
      verify: 'iptables --version   # shows (nf_tables) or (legacy)',
    },
    next: 'After choosing one backend, save the rules again from it so the header and the boot agree.',
  };
}

export default defineCheck({
  meta: {
    id: ID,
    title: 'The rules live in one iptables backend: the one the boot loader restores into',
    severity: 'warning',
    messages: {
      rulesInBoth:
        'The boot loader uses the {{active}} backend ({{why}}), but the {{other}} backend also holds {{rules}} rule(s) and {{policies}} non-ACCEPT policy(ies); packets pass both, and iptables shows only one',
      legacyTablesPresent:
        'The boot loader uses the {{active}} backend ({{why}}), and iptables-legacy tables exist too ("iptables-legacy tables present"); their content could not be read',
      savedByOther:
        '{{file}} was saved by the {{saved}} backend, but the boot restores it into {{active}} ({{why}})',
    },
  },
  run(ctx) {
    const { model } = ctx;
    const host = hostBackend(model);
    if (host === undefined) {
      return unknown(
        'which backend iptables uses is unknown (no /etc/alternatives/iptables, no iptables --version)',
      );
    }
    const o = other(host.value);
    const stray = liveContent(model, o);
    const warning = host.value === 'nft' ? legacyWarning(model) : undefined;
    if (stray !== undefined && (stray.rules > 0 || stray.dropPolicies > 0)) {
      ctx.report(bothFinding(model, host, stray, warning));
    } else if (stray === undefined && warning !== undefined) {
      ctx.report(bothFinding(model, host, undefined, warning));
    }
    for (const r of model.savedRules) {
      const gen = r.ruleset.generatedBy;
      const saved: Backend | undefined =
        gen?.backend === 'nf_tables' ? 'nft' : gen?.backend === 'legacy' ? 'legacy' : undefined;
      if (gen !== undefined && saved !== undefined && saved !== host.value) {
        ctx.report(savedByOtherFinding(model, host, r.path, gen.line, saved));
      }
    }
    if (model.source.kind === 'root') {
      return model.savedRules.length === 0
        ? notApplicable('a mounted root has no live rules and no saved rules here')
        : undefined;
    }
    if (stray === undefined && warning === undefined) {
      return unknown(`the live ${o} ruleset could not be read, so rules there cannot be ruled out`);
    }
    return undefined;
  },
});
