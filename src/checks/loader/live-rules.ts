// The live ruleset of one family as the boot scripts see it, with where it came from, or why it is unknown.
import type { HostModel, LiveRules } from '../../model/host-model.ts';
import type { Ruleset } from '../../parsers/iptables-save.ts';
import type { Family } from '../../knowledge/extensions.ts';
import type { Evidence } from '../../findings/evidence.ts';
import { countRules } from '../../model/ruleset-compare.ts';

const COMMAND_NAMES: Readonly<Record<string, string>> = {
  'iptables-save.default': 'iptables-save',
  'iptables-save.nft': 'iptables-nft-save',
  'iptables-save.legacy': 'iptables-legacy-save',
  'ip6tables-save.default': 'ip6tables-save',
  'ip6tables-save.nft': 'ip6tables-nft-save',
  'ip6tables-save.legacy': 'ip6tables-legacy-save',
};

export function liveLabel(l: LiveRules): string {
  return `command: ${l.fact.argv.length > 0 ? l.fact.argv.join(' ') : (COMMAND_NAMES[l.id] ?? l.id)}`;
}

export type LiveView =
  | {
      readonly status: 'known';
      readonly ruleset: Ruleset;
      readonly source: string;
      readonly backend: LiveRules['backend'];
      readonly rules: number;
    }
  /** No command output, but the kernel proves there can be no table (nf_tables is not even loaded). */
  | { readonly status: 'inferred-empty'; readonly source: string; readonly reason: string }
  | { readonly status: 'unknown'; readonly reason: string };

function loadedBackend(model: HostModel): 'nft' | 'legacy' | undefined {
  return model.backend?.value;
}

/**
 * An nf_tables table exists only while the nf_tables module is in the kernel: when /proc/modules lacks it and
 * the kernel neither has it built in nor lacks module support, iptables-nft-save would print nothing (and the
 * collector rightly did not run it, because running it would autoload nf_tables).
 */
function nfTablesAbsent(model: HostModel): string | undefined {
  const k = model.needs?.kernel;
  if (k?.loaded === undefined || k.moduleSupport.value !== 'yes') {
    return undefined;
  }
  if (k.loaded.modules.has('nf_tables') || k.builtin?.has('nf_tables') === true) {
    return undefined;
  }
  if (k.config?.values.get('CONFIG_NF_TABLES')?.value === 'y') {
    return undefined;
  }
  return `nf_tables is not loaded (${k.loaded.source}) and not built in, so no nf_tables table exists`;
}

/** The live ruleset for `family`: `iptables-save` (the variant the loader runs), else the backend's own tool. */
export function liveView(model: HostModel, family: Family): LiveView {
  if (model.source.kind === 'root') {
    return {
      status: 'unknown',
      reason: `${model.source.label} is a mounted root, not a running system: there is no live ruleset to compare`,
    };
  }
  const mine = model.liveRules.filter((l) => l.family === family);
  const backend = loadedBackend(model);
  const order = [
    mine.find((l) => l.backend === 'default'),
    mine.find((l) => l.backend === (backend ?? 'nft')),
    mine.find((l) => l.backend !== 'default' && l.backend !== (backend ?? 'nft')),
  ];
  const known = (l: LiveRules | undefined): LiveView | undefined =>
    l?.ruleset !== undefined && l.fact.status === 'ok'
      ? {
          status: 'known',
          ruleset: l.ruleset,
          source: liveLabel(l),
          backend: l.backend,
          rules: countRules(l.ruleset),
        }
      : undefined;
  const own = known(order[0]) ?? known(order[1]) ?? inferredEmpty(model, mine, backend);
  if (own !== undefined) {
    return own;
  }
  const other = known(order[2]);
  if (other !== undefined) {
    return other;
  }
  const reasons = mine.map(
    (l) =>
      `${COMMAND_NAMES[l.id] ?? l.id}: ${l.fact.status}${l.fact.reason === undefined ? '' : ` (${l.fact.reason})`}`,
  );
  return {
    status: 'unknown',
    reason:
      reasons.length > 0
        ? `no live ${family} ruleset: ${reasons.join('; ')}`
        : `no live ${family} ruleset was collected`,
  };
}

/**
 * The nf_tables ruleset is empty when nf_tables is not in the kernel: the collector did not run
 * iptables-nft-save (it would autoload the module), or ran it and it failed because the module could not be
 * loaded ("Failed to initialize nft: Protocol not supported" under kernel.modules_disabled=1).
 */
function inferredEmpty(
  model: HostModel,
  mine: readonly LiveRules[],
  backend: 'nft' | 'legacy' | undefined,
): LiveView | undefined {
  if ((backend ?? 'nft') !== 'nft') {
    return undefined;
  }
  const nft = mine.filter((l) => l.backend === 'default' || l.backend === 'nft');
  const skipped = nft.find((l) => l.fact.status === 'skipped');
  const failed = nft.find((l) => l.fact.status === 'exit-nonzero');
  if (skipped === undefined && failed === undefined) {
    return undefined;
  }
  const absent = nfTablesAbsent(model);
  if (absent === undefined) {
    return undefined;
  }
  const said = failed === undefined ? undefined : firstLine(failed.fact.stderr);
  return {
    status: 'inferred-empty',
    source: model.needs?.kernel.loaded?.source ?? '/proc/modules',
    reason:
      skipped === undefined && failed !== undefined
        ? `${COMMAND_NAMES[failed.id] ?? failed.id} failed${said === '' || said === undefined ? '' : ` ("${said}")`}; ${absent}`
        : absent,
  };
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? ''
  );
}

/** Evidence that the live ruleset is empty (or holds only `rules` rules). */
export function liveEvidence(view: LiveView, family: Family): Evidence[] {
  switch (view.status) {
    case 'known':
      return [
        {
          source: view.source,
          ...(view.rules === 0
            ? {
                text:
                  view.ruleset.tables.length === 0
                    ? '(empty output)'
                    : `${String(view.ruleset.tables.length)} table(s), 0 rules`,
              }
            : {
                text: `${String(view.rules)} rule(s) in ${view.ruleset.tables.map((t) => t.name).join(', ')}`,
              }),
          note: `the live ${family} ruleset`,
        },
      ];
    case 'inferred-empty':
      return [{ source: view.source, note: view.reason }];
    case 'unknown':
      return [];
  }
}

/** Other backends' live rulesets of `family` that hold rules (rules restored into the wrong backend). */
export function otherBackendRules(
  model: HostModel,
  family: Family,
  used: LiveView,
): { readonly live: LiveRules; readonly rules: number }[] {
  if (used.status !== 'known') {
    return [];
  }
  const header = used.ruleset.generatedBy?.backend;
  const usedBackend =
    used.backend !== 'default'
      ? used.backend
      : header === undefined
        ? model.backend?.value
        : header === 'legacy'
          ? 'legacy'
          : 'nft';
  return model.liveRules
    .filter(
      (l) =>
        l.family === family &&
        l.backend !== 'default' &&
        l.backend !== usedBackend &&
        l.ruleset !== undefined,
    )
    .map((l) => ({ live: l, rules: countRules(l.ruleset) }))
    .filter((x) => x.rules > 0);
}
