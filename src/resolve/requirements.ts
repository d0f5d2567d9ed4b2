// From a parsed ruleset to what the kernel must provide: table modules per backend, explicit and implicit
// matches, extension targets, ipset types. Pure: no I/O, no knowledge of the target kernel.
import { readGeoip } from '../validate/geoip.ts';
import type { Rule, Ruleset, MatchUse, OptionUse } from '../parsers/iptables-save.ts';
import {
  STANDARD_TARGETS,
  isKnownTarget,
  kernelNamesFor,
  legacyTableModule,
  matchLookupName,
  nftNatChainRequest,
  nftNativeTranslation,
  requestPrefix,
  type Backend,
  type Family,
} from '../knowledge/extensions.ts';
import { LineList } from './line-list.ts';
import { extraLoadsFor, type ExtraLoad, type ExtraLoadKind } from '../knowledge/extension-loads.ts';

export type RequirementKind = 'table' | 'match' | 'target' | 'set-type' | 'backend' | ExtraLoadKind;

/** iptables-nft's own requirements (kind "backend"): the extension names they go by. */
const COMPAT_MATCH = 'nft_compat (match)';
const COMPAT_TARGET = 'nft_compat (target)';
const REVISION_PROBE = ' (revision probe)';

/**
 * A requirement in words for a message: "match recent", "table nat"; for iptables-nft's own requirements,
 * what in iptables-nft asks for the module ("iptables-nft's revision probe of tcp").
 */
export function describeRequirement(req: { readonly kind: string; readonly extension: string }): string {
  if (req.kind !== 'backend') {
    return `${req.kind} ${req.extension}`;
  }
  if (req.extension.endsWith(REVISION_PROBE)) {
    const probed = req.extension.slice(0, -REVISION_PROBE.length);
    return probed === 'nft_compat'
      ? "iptables-nft's revision probes"
      : `iptables-nft's revision probe of ${probed}`;
  }
  if (req.extension === COMPAT_MATCH || req.extension === COMPAT_TARGET) {
    return `the x_tables ${req.extension === COMPAT_MATCH ? 'matches' : 'targets'} iptables-nft runs through nft_compat`;
  }
  return `the ${req.extension} backend`;
}

export interface Requirement {
  /** Stable key: family/kind/extension. */
  readonly key: string;
  readonly kind: RequirementKind;
  /** The user-facing name: "recent", "REJECT", "nat", "hash:ip", "nf_tables". */
  readonly extension: string;
  readonly family: Family;
  readonly tables: readonly string[];
  readonly lines: readonly number[];
  readonly file: string;
  /** Names the kernel will request_module(); any one of them satisfies the requirement (best first). */
  readonly requests: readonly string[];
  /** Extension names as the kernel registers them (for /proc/net/ip_tables_matches and revision probes). */
  readonly kernelNames: readonly string[];
  /** Userspace extension library to look for (matches and targets only). */
  readonly userspace?: { readonly name: string; readonly kind: 'match' | 'target' };
  readonly note?: string;
  /** Loaded when available, but the rule loads without it (a revision probe, an optional request_module). */
  readonly optional?: true;
}

export interface SetUse {
  readonly set: string;
  readonly family: Family;
  readonly lines: readonly number[];
  readonly file: string;
}

/** One -m geoip that libxt_geoip.c parses: the countries whose database files it reads, in order (geoip.ts). */
export interface GeoipUse {
  readonly countries: readonly string[];
  readonly family: Family;
  readonly line: number;
  readonly file: string;
}

export interface RulesetNeeds {
  readonly requirements: readonly Requirement[];
  readonly setUses: readonly SetUse[];
  readonly geoipUses: readonly GeoipUse[];
}

export interface DeriveOptions {
  readonly family: Family;
  readonly backend: Backend;
  readonly file: string;
  /** Set name -> ipset type, from the saved ipsets file(s). */
  readonly setTypes?: ReadonlyMap<string, string>;
}

interface Draft {
  kind: RequirementKind;
  extension: string;
  tables: Set<string>;
  /** The table added last: rules of one table come together, so most adds skip the Set. */
  lastTable?: string;
  /**
   * Rules come in file order, so lines mostly grow: the last one is deduplicated. Set types are added set
   * by set, so two sets of one type can go back: the list then sorts and deduplicates them when read.
   */
  lines: LineList;
  requests: readonly string[];
  kernelNames: readonly string[];
  userspace?: { name: string; kind: 'match' | 'target' };
  note?: string;
  optional?: true;
}

function addLine(draft: Draft, table: string, line: number): void {
  if (draft.lastTable !== table) {
    draft.tables.add(table);
    draft.lastTable = table;
  }
  draft.lines.add(line);
}

class NeedsBuilder {
  /** kind -> extension -> draft; nested maps avoid building a key string per rule (100k-rule files). */
  private readonly drafts = new Map<RequirementKind, Map<string, Draft>>();
  private readonly sets = new Map<string, Set<number>>();
  private readonly geoip: GeoipUse[] = [];

  constructor(private readonly opts: DeriveOptions) {}

  /**
   * Counts the line for the extension's draft when there is one, and says whether there was. The hot
   * callers (every match and target of every rule) build their `init` closure only when it is false.
   */
  addToExisting(kind: RequirementKind, extension: string, table: string, line: number): boolean {
    const draft = this.drafts.get(kind)?.get(extension);
    if (draft === undefined) {
      return false;
    }
    addLine(draft, table, line);
    return true;
  }

  add(
    kind: RequirementKind,
    extension: string,
    table: string,
    line: number,
    init: () => Omit<Draft, 'tables' | 'lines' | 'lastTable'>,
  ): void {
    let byExtension = this.drafts.get(kind);
    if (byExtension === undefined) {
      byExtension = new Map();
      this.drafts.set(kind, byExtension);
    }
    let draft = byExtension.get(extension);
    if (draft === undefined) {
      draft = { ...init(), tables: new Set(), lines: new LineList() };
      byExtension.set(extension, draft);
    }
    addLine(draft, table, line);
  }

  useGeoip(countries: readonly string[], line: number): void {
    const { family, file } = this.opts;
    this.geoip.push({ countries, family, line, file });
  }

  useSet(name: string, line: number): void {
    const lines = this.sets.get(name) ?? new Set<number>();
    lines.add(line);
    this.sets.set(name, lines);
  }

  build(): RulesetNeeds {
    const { family, file } = this.opts;
    const drafts = [...this.drafts.values()].flatMap((m) => [...m.values()]);
    const requirements = drafts.map((d) => ({
      key: `${family}/${d.kind}/${d.extension}`,
      kind: d.kind,
      extension: d.extension,
      family,
      tables: [...d.tables],
      lines: d.lines.toArray(),
      file,
      requests: d.requests,
      kernelNames: d.kernelNames,
      ...(d.userspace === undefined ? {} : { userspace: d.userspace }),
      ...(d.note === undefined ? {} : { note: d.note }),
      ...(d.optional === undefined ? {} : { optional: d.optional }),
    }));
    const setUses = [...this.sets.entries()].map(([set, lines]) => ({
      set,
      family,
      lines: [...lines].sort((a, b) => a - b),
      file,
    }));
    return { requirements, setUses, geoipUses: this.geoip };
  }
}

/** Set names a rule refers to: -m set --match-set NAME dir, -j SET --add-set/--del-set/--map-set NAME. */
function setNamesIn(options: readonly OptionUse[]): string[] {
  const setOptions = new Set(['--match-set', '--set', '--add-set', '--del-set', '--map-set']);
  return options
    .filter((o) => setOptions.has(o.name))
    .flatMap((o) => (o.values[0] === undefined ? [] : [o.values[0]]));
}

function addTable(b: NeedsBuilder, opts: DeriveOptions, table: string, line: number): void {
  if (opts.backend === 'legacy') {
    const module = legacyTableModule(opts.family, table);
    b.add('table', table, table, line, () => ({
      kind: 'table',
      extension: table,
      requests: [module],
      kernelNames: [table],
    }));
    return;
  }
  // iptables-nft talks nfnetlink; the kernel autoloads nf_tables as nfnetlink-subsys-10 (NFNL_SUBSYS_NFTABLES).
  b.add('backend', 'nf_tables', table, line, () => ({
    kind: 'backend',
    extension: 'nf_tables',
    requests: ['nfnetlink-subsys-10'],
    kernelNames: ['nf_tables'],
  }));
  if (table === 'nat') {
    const request = nftNatChainRequest(opts.family);
    b.add('table', 'nat', table, line, () => ({
      kind: 'table',
      extension: 'nat',
      requests: [request],
      kernelNames: ['nat'],
      note: 'nf_tables nat chains come from nft_chain_nat',
    }));
  }
}

function addCompat(
  b: NeedsBuilder,
  opts: DeriveOptions,
  kind: 'match' | 'target',
  table: string,
  line: number,
): void {
  if (opts.backend !== 'nft') {
    return;
  }
  const extension = kind === 'match' ? COMPAT_MATCH : COMPAT_TARGET;
  if (!b.addToExisting('backend', extension, table, line)) {
    addCompatDraft(b, kind, extension, table, line);
  }
}

/**
 * The closures that build a draft are made in functions of their own, called once per extension: a
 * function holding a closure allocates its captured variables at every call, and the callers above run
 * for every match and target of every rule.
 */
function addCompatDraft(
  b: NeedsBuilder,
  kind: 'match' | 'target',
  extension: string,
  table: string,
  line: number,
): void {
  // xt matches/targets reach nf_tables through nft_compat (aliases nft-expr-match / nft-expr-target).
  const request = kind === 'match' ? 'nft-expr-match' : 'nft-expr-target';
  b.add('backend', extension, table, line, () => ({
    kind: 'backend',
    extension,
    requests: [request],
    kernelNames: [],
    note: 'iptables-nft runs xt extensions through nft_compat',
  }));
}

/** A match or target iptables-nft writes as native nf_tables expressions (`native`: their requests). */
function addNative(
  b: NeedsBuilder,
  opts: DeriveOptions,
  rule: Rule,
  kind: 'match' | 'target',
  name: string,
  native: readonly string[],
): void {
  if (native.length > 0) {
    b.add(kind, name, rule.table, rule.line, () => ({
      kind,
      extension: name,
      requests: native,
      kernelNames: [],
      userspace: { name, kind },
      note: 'written as a native nf_tables expression by iptables-nft',
    }));
  }
  addRevisionProbe(b, opts, rule, kind, name);
}

function addMatch(b: NeedsBuilder, opts: DeriveOptions, rule: Rule, match: MatchUse): void {
  const name = matchLookupName(match.name);
  const native = opts.backend === 'nft' ? nftNativeTranslation(name, match.options) : undefined;
  if (native !== undefined) {
    addNative(b, opts, rule, 'match', name, native);
    return;
  }
  // kernelNamesFor only when the draft is new: this runs for every match of every rule.
  if (!b.addToExisting('match', name, rule.table, rule.line)) {
    addMatchDraft(b, opts, rule, match, name);
  }
  addCompat(b, opts, 'match', rule.table, rule.line);
  addExtraLoads(b, opts, rule, 'match', name, match.options);
  if (name === 'set') {
    for (const s of setNamesIn(match.options)) {
      b.useSet(s, rule.line);
    }
  } else if (name === 'geoip') {
    const reading = readGeoip(match.options);
    if (reading.ok) {
      b.useGeoip(reading.countries, rule.line);
    }
  }
}

function addMatchDraft(
  b: NeedsBuilder,
  opts: DeriveOptions,
  rule: Rule,
  match: MatchUse,
  name: string,
): void {
  b.add('match', name, rule.table, rule.line, () => ({
    ...xtDraft('match', name, opts.family),
    ...(match.implicit ? { note: `loaded implicitly by -p ${match.name}` } : {}),
  }));
}

/** What the extension's checkentry asks the kernel to load besides its own module (text search, loggers, helpers). */
function addExtraLoads(
  b: NeedsBuilder,
  opts: DeriveOptions,
  rule: Rule,
  kind: 'match' | 'target',
  name: string,
  options: readonly OptionUse[],
): void {
  const extras = extraLoadsFor(kind, name, options, opts.family, opts.backend);
  // An index loop: for-of over the shared frozen empty list that most extensions get allocated an iterator
  // result for every match and target of every rule.
  for (let i = 0; i < extras.length; i++) {
    const extra = extras[i];
    if (extra !== undefined) {
      addExtraLoad(b, rule, extra);
    }
  }
}

function addExtraLoad(b: NeedsBuilder, rule: Rule, extra: ExtraLoad): void {
  b.add(extra.kind, extra.extension, rule.table, rule.line, () => ({
    kind: extra.kind,
    extension: extra.extension,
    requests: extra.requests,
    kernelNames: [],
    note: extra.note,
    ...(extra.optional === true ? { optional: true as const } : {}),
  }));
}

/** An x_tables match or target: the kernel requests "<ipt|ip6t>_<kernel name>" for each name it may use. */
function xtDraft(kind: 'match' | 'target', name: string, family: Family): Omit<Draft, 'tables' | 'lines'> {
  const names = kernelNamesFor(name, kind);
  return {
    kind,
    extension: name,
    requests: names.map((n) => requestPrefix(family) + n),
    kernelNames: names,
    userspace: { name, kind },
  };
}

/**
 * iptables-nft asks the kernel for the revision of every match and target it loads, natively translated
 * or not (libxtables compatible_revision -> nft_compatible_revision: an NFNL_SUBSYS_NFT_COMPAT request,
 * which loads nft_compat, whose nfnl_compat_get_rcu does try_then_request_module(xt_find_revision(...),
 * "%st_%s")). So the xt module gets loaded, though the native expression does not need it: optional.
 */
function addRevisionProbe(
  b: NeedsBuilder,
  opts: DeriveOptions,
  rule: Rule,
  kind: 'match' | 'target',
  name: string,
): void {
  const note = 'loaded by iptables-nft revision probe (nft_compat); the native expression does not need it';
  b.add('backend', `nft_compat${REVISION_PROBE}`, rule.table, rule.line, () => ({
    kind: 'backend',
    extension: `nft_compat${REVISION_PROBE}`,
    requests: ['nft-expr-match'],
    kernelNames: [],
    note,
    optional: true,
  }));
  b.add('backend', `${name}${REVISION_PROBE}`, rule.table, rule.line, () => {
    const names = kernelNamesFor(name, kind);
    return {
      kind: 'backend',
      extension: `${name}${REVISION_PROBE}`,
      requests: names.map((n) => requestPrefix(opts.family) + n),
      kernelNames: names,
      note,
      optional: true,
    };
  });
}

/**
 * Targets iptables-nft 1.8.9 writes as native expressions (iptables/nft.c add_action, add_target):
 * NFLOG as the nf_tables "log" expression (nft_log, requested as nft-expr-log), TRACE as "meta nftrace
 * set 1" (nf_tables core).
 */
function nftNativeTarget(name: string): readonly string[] | undefined {
  return name === 'NFLOG' ? ['nft-expr-log'] : name === 'TRACE' ? [] : undefined;
}

function addTarget(b: NeedsBuilder, opts: DeriveOptions, rule: Rule): void {
  const target = rule.target;
  if (target === undefined || target.kind !== 'extension' || STANDARD_TARGETS.has(target.name)) {
    return;
  }
  // No library registers it: iptables takes it for a chain, and the validation stage reports the
  // undeclared chain; there is no module to look for.
  if (!isKnownTarget(target.name)) {
    return;
  }
  const native = opts.backend === 'nft' ? nftNativeTarget(target.name) : undefined;
  if (native !== undefined) {
    addNative(b, opts, rule, 'target', target.name, native);
    addExtraLoads(b, opts, rule, 'target', target.name, target.options);
    return;
  }
  if (!b.addToExisting('target', target.name, rule.table, rule.line)) {
    addTargetDraft(b, opts, rule, target.name);
  }
  addCompat(b, opts, 'target', rule.table, rule.line);
  addExtraLoads(b, opts, rule, 'target', target.name, target.options);
  if (target.name === 'SET') {
    for (const s of setNamesIn(target.options)) {
      b.useSet(s, rule.line);
    }
  }
}

function addTargetDraft(b: NeedsBuilder, opts: DeriveOptions, rule: Rule, name: string): void {
  b.add('target', name, rule.table, rule.line, () => xtDraft('target', name, opts.family));
}

function addSetTypes(b: NeedsBuilder, opts: DeriveOptions, needs: RulesetNeeds): RulesetNeeds {
  for (const use of needs.setUses) {
    const type = opts.setTypes?.get(use.set);
    if (type === undefined) {
      continue;
    }
    for (const line of use.lines) {
      // ipset asks the kernel for "ip_set_<type>" (ip_set_core.c find_set_type_get -> request_module).
      b.add('set-type', type, 'ipset', line, () => ({
        kind: 'set-type',
        extension: type,
        requests: [`ip_set_${type}`],
        kernelNames: [type],
      }));
    }
  }
  return b.build();
}

/**
 * deriveRequirements one table and one rule at a time (e.g. from visitIptablesSave), keeping no rule.
 * Tables and rules must come in file order, each table before its rules, and every rule's target kind
 * must be final (see RulesetVisitor.closeTable).
 */
export class RequirementsCollector {
  private readonly builder: NeedsBuilder;

  constructor(private readonly opts: DeriveOptions) {
    this.builder = new NeedsBuilder(opts);
  }

  table(name: string, line: number): void {
    addTable(this.builder, this.opts, name, line);
  }

  rule(rule: Rule): void {
    for (const match of rule.matches) {
      addMatch(this.builder, this.opts, rule, match);
    }
    addTarget(this.builder, this.opts, rule);
  }

  finish(): RulesetNeeds {
    return addSetTypes(this.builder, this.opts, this.builder.build());
  }
}

/** Everything the kernel must provide for `ruleset` to load, grouped per extension. */
export function deriveRequirements(ruleset: Ruleset, opts: DeriveOptions): RulesetNeeds {
  const collector = new RequirementsCollector(opts);
  for (const table of ruleset.tables) {
    collector.table(table.name, table.line);
    for (const rule of table.rules) {
      collector.rule(rule);
    }
  }
  return collector.finish();
}
