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
import { manual, restartLoaderLater, shLines } from '../../fix-actions.ts';
import { shQuote, type ManualAction } from '../../../fixes/actions.ts';
import { blockedTraffic, type BlockedTraffic } from '../../../model/traffic-overlap.ts';

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

/** A line of a unit or boot script that runs the `b` variant of iptables: what loads rules there at boot. */
export interface Writer {
  readonly path: string;
  readonly line: number;
  readonly text: string;
  /** The unit name when the file is a unit, else the script path. */
  readonly name: string;
}

const VARIANT_COMMAND: Readonly<Record<Backend, RegExp>> = {
  legacy: /\b(?:ip6?tables-legacy(?:-restore)?|xtables-legacy-multi)\b/,
  nft: /\b(?:ip6?tables-nft(?:-restore)?|xtables-nft-multi)\b/,
};

export function writersOf(model: HostModel, b: Backend): Writer[] {
  const out: Writer[] = [];
  const seen = new Set<string>();
  const add = (w: Writer): void => {
    if (!seen.has(`${w.path}:${String(w.line)}`)) {
      seen.add(`${w.path}:${String(w.line)}`);
      out.push(w);
    }
  };
  for (const f of model.bootScripts) {
    f.text.split('\n').forEach((text, i) => {
      if (VARIANT_COMMAND[b].test(text) && !/^\s*[#;]/.test(text)) {
        const name = f.path.endsWith('.service') ? (f.path.split('/').pop() ?? f.path) : f.path;
        add({ path: f.path, line: i + 1, text: text.trim(), name });
      }
    });
  }
  for (const u of model.units.values()) {
    for (const key of ['ExecStartPre', 'ExecStart', 'ExecStartPost', 'ExecReload']) {
      for (const v of u.effective?.values('Service', key) ?? []) {
        if (VARIANT_COMMAND[b].test(v.value)) {
          add({ path: v.at.file, line: v.at.line ?? 0, text: `${key}=${v.value}`, name: u.name });
        }
      }
    }
  }
  return out;
}

/** Traffic the saved rules accept that the other backend's live rules drop, per family. */
function blockedBy(
  model: HostModel,
  o: Backend,
): { file: string; blocked: BlockedTraffic; source: string }[] {
  const out: { file: string; blocked: BlockedTraffic; source: string }[] = [];
  for (const live of model.liveRules.filter((l) => l.backend === o && l.ruleset !== undefined)) {
    for (const saved of model.savedRules.filter((r) => r.family === live.family)) {
      if (live.ruleset !== undefined) {
        out.push(
          ...blockedTraffic(live.ruleset, saved.ruleset).map((blocked) => ({
            file: saved.path,
            blocked,
            source: `command: ${live.fact.argv.join(' ') || live.id}`,
          })),
        );
      }
    }
  }
  return out;
}

/**
 * Keep a copy of the other backend's rules, then stop what loads them at boot: the units and scripts found
 * (disable a unit; a script is a person's edit), or, when none was found, where to look.
 */
function stopWriters(o: Backend, active: Backend, writers: readonly Writer[], backup: string): ManualAction {
  if (writers.length === 0) {
    return manual(
      `Keep a copy of what is in the ${o} backend, find what writes ${o} rules (Docker or kube-proxy built for the other backend, an old script) and make it use ${tool(active)}.`,
      `Otherwise the ${o} rules come back on the next boot.`,
      `${backup}; grep -rlE 'iptables-${o}|xtables-${o}' /etc/systemd /etc/network /etc/rc.local /usr/local /etc/docker 2>/dev/null`,
    );
  }
  const units = [...new Set(writers.filter((w) => w.name.endsWith('.service')).map((w) => w.name))];
  const scripts = writers.filter((w) => !w.name.endsWith('.service'));
  return manual(
    `Keep a copy of what is in the ${o} backend, then stop what loads it at boot: ${writers
      .map((w) => `${w.name} (${w.path} line ${String(w.line)}: ${w.text})`)
      .join('; ')}. If its rules are wanted, add them to the saved rules first.`,
    `Otherwise the ${o} rules come back on the next boot.`,
    shLines(
      backup,
      ...(units.length > 0 ? [`sudo systemctl disable ${units.map(shQuote).join(' ')}`] : []),
      ...scripts.map(
        (w) => `edit ${w.path} line ${String(w.line)}: drop the ${tool(o)} call or make it ${tool(active)}`,
      ),
    ),
  );
}

function bothFinding(
  model: HostModel,
  host: { value: Backend; why: string },
  stray: BackendContent | undefined,
  warning: Evidence | undefined,
): FindingInput {
  const o = other(host.value);
  const backupFile = `/root/${tool(o)}-rules.before-nfdoctor`;
  const writers = writersOf(model, o);
  const blocked = stray === undefined ? [] : blockedBy(model, o);
  const traffic = [...new Set(blocked.map((b) => `${b.blocked.traffic} (${b.blocked.chain})`))];
  const messageId =
    stray === undefined ? 'legacyTablesPresent' : blocked.length > 0 ? 'blocksSaved' : 'rulesInBoth';
  return {
    messageId,
    key: `both:${o}`,
    data: {
      active: host.value,
      other: o,
      rules: stray?.rules ?? 0,
      policies: stray?.dropPolicies ?? 0,
      why: host.why,
      writer:
        writers.length === 0
          ? 'something nfdoctor did not find (no unit or boot script runs the ' + tool(o) + ' commands)'
          : writers.map((w) => `${w.name} (${w.path}:${String(w.line)})`).join(', '),
      traffic: traffic.slice(0, 5).join('; ') + (traffic.length > 5 ? ' ...' : ''),
      files: [...new Set(blocked.map((b) => b.file))].join(', '),
    },
    evidence: [
      evidenceAt(whySource(host.why), undefined, host.why),
      ...(warning === undefined ? [] : [warning]),
      ...writers.map((w) => evidenceAt(w.path, w.line, w.text, `loads rules into the ${o} backend at boot`)),
      ...blocked
        .slice(0, 5)
        .flatMap((b) => [
          evidenceAt(b.source, undefined, b.blocked.dropText, `drops ${b.blocked.traffic}`),
          evidenceAt(b.file, b.blocked.acceptLine, b.blocked.acceptText, 'the saved rules accept it'),
        ]),
      ...(blocked.length > 0 ? [] : (stray?.evidence ?? [])),
    ],
    subjects: [
      'backend:mismatch',
      `backend:${o}`,
      ...writers.map((w) => (w.name.endsWith('.service') ? `unit:${w.name}` : `file:${w.path}`)),
    ],
    severity:
      blocked.length > 0
        ? 'error'
        : stray !== undefined && stray.rules === 0 && stray.dropPolicies === 0
          ? 'info'
          : 'warning',
    fix: {
      // Which backend's rules are the wanted ones, and what writes the others, is a person's judgement.
      actions: [
        stopWriters(
          o,
          host.value,
          writers,
          `sudo sh -c '${tool(o)}-save > ${backupFile}; ip6tables-${o}-save >> ${backupFile}'`,
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
      blocksSaved:
        '{{writer}} loads {{rules}} rule(s) into the {{other}} backend that drop traffic {{files}} accepts: {{traffic}}; the boot loader uses {{active}} ({{why}}), and packets must pass both',
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
