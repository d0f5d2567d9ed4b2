// `nfdoctor check`: a saved ruleset against one kernel and one userspace. Library entry point; no printing.
import type { HostReader } from '../sources/host-reader.ts';
import {
  familyNamedBy,
  familySavedBy,
  parseIptablesSaveFamily,
  visitIptablesSave,
  UNKNOWN_OPTION_NFT,
  type GeneratedBy,
  type Ruleset,
  type RulesetOutline,
  type SaveText,
} from '../parsers/iptables-save.ts';
import { parseIpsetSave } from '../parsers/ipset-save.ts';
import { setFamilyErrors, type SetDefinition } from './set-family.ts';
import type { Diagnostic, Parsed } from '../parsers/types.ts';
import {
  RequirementsCollector,
  deriveRequirements,
  type Requirement,
  type RulesetNeeds,
  type SetUse,
} from './requirements.ts';
import {
  loadKernelView,
  probeModuleFiles,
  type KernelLayout,
  type KernelView,
  type MissingInput,
} from './kernel-view.ts';
import { evaluateRequirement, type RequirementResult } from './evaluate.ts';
import { resolveRequestName } from './module-state.ts';
import { geoipDatabaseDiagnostics, readGeoipDatabases, type GeoipDatabases } from './geoip-database.ts';
import { findXtablesDir, userspaceStatus, type UserspaceStatus } from './userspace.ts';
import type { Backend, Family } from '../knowledge/extensions.ts';
import {
  hzRejections,
  RULE_REJECTED,
  RULE_REJECTED_LEGACY,
  RULE_REJECTED_NFT,
  RuleValidator,
  type HzDependentRule,
} from '../validate/rule-validator.ts';
import { versionRejections, type VersionDependentRule } from '../validate/kernel-release.ts';
import { lazyServices, type Services } from '../parsers/services.ts';
import { accountNames, lazyNames, protocolNames, type NameSet } from '../parsers/name-databases.ts';

export const CHECK_SCHEMA_VERSION = 1;

/** A rules file too big to hold: read again, piece by piece, on each pass (see visitIptablesSave). */
export interface RulesPieces {
  pieces(): Iterable<string>;
}

export interface RulesInput {
  readonly path: string;
  readonly text: string | RulesPieces;
  readonly family?: Family;
  /** The same text already parsed for `family` by the caller (the host model keeps full rulesets): not parsed again. */
  readonly parsed?: Parsed<Ruleset>;
}

export interface IpsetInput {
  readonly path: string;
  readonly text: string;
}

export interface BackendChoice {
  readonly value: Backend;
  readonly why: string;
}

export interface CheckOptions {
  readonly rules: readonly RulesInput[];
  readonly ipsets: readonly IpsetInput[];
  readonly kernelReader: HostReader;
  readonly layout: KernelLayout;
  /** Where userspace (xtables libraries) is looked up; undefined: not checked. */
  readonly userspaceReader?: HostReader;
  /**
   * The host whose /etc/passwd and /etc/group decide owner --uid-owner/--gid-owner names: the host that
   * loads the rules (live or --root), never a CI machine checking rules for another host.
   */
  readonly accountsReader?: HostReader;
  readonly backend?: BackendChoice;
  /** The backend the host's `iptables` uses, when known. */
  readonly hostBackend?: BackendChoice;
}

export interface SetResult {
  readonly set: string;
  readonly family: Family;
  readonly file: string;
  readonly lines: readonly number[];
  readonly defined: boolean | 'unknown';
  readonly type?: string;
  readonly definedAt?: { readonly file: string; readonly line: number };
}

export interface FileSummary {
  readonly path: string;
  readonly family: Family;
  readonly tables: readonly string[];
  readonly rules: number;
}

export interface CheckResult {
  readonly ok: boolean;
  readonly kernel: KernelView;
  readonly backend: BackendChoice;
  readonly files: readonly FileSummary[];
  readonly results: readonly RequirementResult[];
  readonly sets: readonly SetResult[];
  readonly diagnostics: readonly Diagnostic[];
  /**
   * Quirks of the kernel's own metadata that change nothing for these rules (e.g. modules.softdep lines
   * kmod ignores): shown only on request (`check --verbose`), the report is about the user's rules.
   */
  readonly kernelNotes: readonly Diagnostic[];
  readonly xtablesDir?: string;
  /** The -m geoip country databases of the host that loads the rules (with a userspace reader). */
  readonly geoip: GeoipDatabases;
}

/** iptables-save writes "(nf_tables)" or "(legacy)" in its header line; that says which backend saved it. */
function backendFromHeaders(
  rulesets: readonly { readonly generatedBy?: GeneratedBy }[],
): BackendChoice | undefined {
  for (const rs of rulesets) {
    const b = rs.generatedBy?.backend;
    if (b !== undefined) {
      return {
        value: b === 'legacy' ? 'legacy' : 'nft',
        why: `the rules file header says it was saved by ${rs.generatedBy?.tool ?? 'iptables-save'} (${b}) (line ${rs.generatedBy?.line ?? 1})`,
      };
    }
  }
  return undefined;
}

function chooseBackend(
  opts: CheckOptions,
  rulesets: readonly { readonly generatedBy?: GeneratedBy }[],
): BackendChoice {
  return (
    opts.backend ??
    opts.hostBackend ??
    backendFromHeaders(rulesets) ?? {
      value: 'nft',
      why: 'no --backend given and nothing says otherwise; iptables-nft is the default on current distributions',
    }
  );
}

function setDefinitions(ipsets: readonly IpsetInput[], diagnostics: Diagnostic[]) {
  const defs = new Map<string, SetDefinition>();
  for (const f of ipsets) {
    const parsed = parseIpsetSave(f.text, f.path);
    diagnostics.push(...parsed.diagnostics);
    for (const s of parsed.value.sets) {
      defs.set(s.name, {
        type: s.type,
        file: f.path,
        line: s.line,
        ...(s.family === undefined ? {} : { family: s.family }),
      });
    }
  }
  return defs;
}

function setResults(
  uses: readonly SetUse[],
  defs: ReturnType<typeof setDefinitions>,
  haveIpsetFiles: boolean,
): SetResult[] {
  return uses.map((u) => {
    const def = defs.get(u.set);
    const base = { set: u.set, family: u.family, file: u.file, lines: u.lines };
    if (def !== undefined) {
      return { ...base, defined: true, type: def.type, definedAt: { file: def.file, line: def.line } };
    }
    return { ...base, defined: haveIpsetFiles ? false : 'unknown' };
  });
}

function modulesToProbe(view: KernelView, reqs: readonly Requirement[]): Set<string> {
  const names = new Set<string>();
  for (const r of reqs) {
    for (const request of r.requests) {
      for (const m of resolveRequestName(view, request).modules) {
        names.add(m);
        for (const d of view.deps?.get(m)?.deps ?? []) {
          names.add(d);
        }
      }
    }
  }
  return names;
}

/** A file's rules that the target kernel's CONFIG_HZ or version decides. */
interface KernelDependentFile {
  readonly file: string;
  readonly hz: readonly HzDependentRule[];
  readonly version: readonly VersionDependentRule[];
}

function kernelDependentOf(file: string, validator: RuleValidator): KernelDependentFile {
  return { file, hz: validator.hzDependentRules(), version: validator.versionDependentRules() };
}

interface ParsedRules {
  readonly input: RulesInput;
  readonly family: Family;
  readonly outline: RulesetOutline;
  /** Per candidate backend. */
  readonly needs: ReadonlyMap<Backend, RulesetNeeds>;
}

/** The text, or the first piece of a big file (the generator is closed after it, and with it the file). */
export function firstPiece(text: string | RulesPieces): string {
  if (typeof text === 'string') {
    return text;
  }
  for (const piece of text.pieces()) {
    return piece;
  }
  return '';
}

/**
 * The family of the iptables-save that wrote `text`, from a "# Generated by" line among the comments before
 * its first table (only the first piece of a big file is read).
 */
function familyOfHeader(text: string | RulesPieces): Family | undefined {
  for (const line of firstPiece(text).split('\n', 64)) {
    const trimmed = line.trim();
    if (trimmed.startsWith('# Generated by ')) {
      return familySavedBy(trimmed);
    }
    if (trimmed !== '' && !trimmed.startsWith('#')) {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Parses one rules file and derives its requirements in the same pass, without keeping its rules (a
 * 100k-rule file would otherwise hold ~100 MB of rule objects). When the backend is not known yet
 * (it may come from a file header), requirements are derived for every candidate.
 */
function parseAndDerive(
  input: RulesInput,
  backends: readonly Backend[],
  setTypes: ReadonlyMap<string, string>,
  diagnostics: Diagnostic[],
  names: HostNames,
  kernelDependent: KernelDependentFile[],
): ParsedRules {
  const family = input.family ?? familyNamedBy(input.path) ?? familyOfHeader(input.text) ?? 'ipv4';
  const validator = new RuleValidator({ family, file: input.path, ...names });
  if (input.parsed !== undefined) {
    for (const line of input.parsed.value.refusedRuleLines ?? []) {
      validator.ruleParseFailed(line);
    }
    for (const table of input.parsed.value.tables) {
      for (const rule of table.rules) {
        validator.rule(rule);
      }
      validator.closeTable(table);
    }
    const derived = deriveFromFull(input, family, input.parsed, backends, setTypes, diagnostics);
    diagnostics.push(...validator.finish());
    kernelDependent.push(kernelDependentOf(input.path, validator));
    return derived;
  }
  const collectors = backends.map(
    (backend) => new RequirementsCollector({ family, backend, file: input.path, setTypes }),
  );
  const seen = { lateChainTargets: false };
  const text = (): SaveText => (typeof input.text === 'string' ? input.text : input.text.pieces());
  const visited = visitIptablesSave(text(), input.path, family, {
    openTable(name, line) {
      for (const collector of collectors) {
        collector.table(name, line);
      }
    },
    ruleParseFailed(line) {
      validator.ruleParseFailed(line);
    },
    rule(rule) {
      for (const collector of collectors) {
        collector.rule(rule);
      }
      validator.rule(rule);
    },
    closeTable(table, late) {
      seen.lateChainTargets ||= late.length > 0;
      validator.closeTable(table);
    },
  });
  diagnostics.push(...visited.diagnostics, ...validator.finish());
  kernelDependent.push(kernelDependentOf(input.path, validator));
  const needs = new Map<Backend, RulesetNeeds>();
  if (seen.lateChainTargets) {
    // Rare (and an error for the legacy backend): a -j to a chain declared further down the table was
    // already derived as an extension target. Derive from the full parse, whose target kinds are final.
    const full = parseIptablesSaveFamily(text(), input.path, family);
    return { ...deriveFromFull(input, family, full, backends, setTypes, []), outline: visited.value };
  } else {
    backends.forEach((backend, i) => {
      const collector = collectors[i];
      if (collector !== undefined) {
        needs.set(backend, collector.finish());
      }
    });
  }
  return { input, family, outline: visited.value, needs };
}

/** Requirements from a fully parsed ruleset (its rules kept), for every candidate backend. */
function deriveFromFull(
  input: RulesInput,
  family: Family,
  full: Parsed<Ruleset>,
  backends: readonly Backend[],
  setTypes: ReadonlyMap<string, string>,
  diagnostics: Diagnostic[],
): ParsedRules {
  diagnostics.push(...full.diagnostics);
  const needs = new Map<Backend, RulesetNeeds>(
    backends.map((backend) => [
      backend,
      deriveRequirements(full.value, { family, backend, file: input.path, setTypes }),
    ]),
  );
  const outline: RulesetOutline = {
    ...full.value,
    tables: full.value.tables.map(({ rules, ...table }) => ({ ...table, ruleCount: rules.length })),
  };
  return { input, family, outline, needs };
}

/**
 * Parser findings that only iptables-legacy-restore 1.8.9 fails on (measured with both backends in a
 * network namespace): legacy compares the last line with "COMMIT\n" (iptables-restore.c) and refuses a
 * policy on a user chain (libiptc iptc_set_policy); xtables-restore.c (nf_tables) accepts both.
 * With the nft backend they are warnings: the file loads, but would not with the other backend.
 */
const LEGACY_ONLY_ERRORS: ReadonlySet<string> = new Set([
  'commit-missing-newline',
  'policy-on-user-chain',
  'duplicate-chain',
]);
/**
 * And those only iptables-nft-restore fails on: xtables-restore.c checks ":" chain names
 * (assert_valid_chain_name) and knows only the five tables; legacy creates the chain, and asks the
 * kernel for any table (a missing one is then a requirement it cannot meet). ip6tables-nft's option table
 * has --fragments, ip6tables-legacy's has not, so `-m frag --fragm` is ambiguous for nft only.
 */
const NFT_ONLY_ERRORS: ReadonlySet<string> = new Set([
  'invalid-chain-name',
  'unknown-table',
  UNKNOWN_OPTION_NFT,
]);

/**
 * Rules only one backend's restore refuses (RuleValidator): for that backend a "rule-rejected" error, for the
 * other a warning under their own code, so that a switch of backend is not a surprise.
 */
const ONE_BACKEND_REJECTIONS: Readonly<Record<string, { backend: Backend; tool: string }>> = {
  [RULE_REJECTED_LEGACY]: { backend: 'legacy', tool: 'iptables-legacy-restore' },
  [RULE_REJECTED_NFT]: { backend: 'nft', tool: 'iptables-nft-restore' },
};

export function forBackend(diagnostics: readonly Diagnostic[], backend: Backend): Diagnostic[] {
  return diagnostics.map((d) => {
    const only = ONE_BACKEND_REJECTIONS[d.code];
    if (only !== undefined) {
      return backend === only.backend
        ? { ...d, code: RULE_REJECTED }
        : {
            ...d,
            severity: 'warning',
            message: `loads with this backend, but ${only.tool} refuses it: ${d.message}`,
          };
    }
    const otherBackendOnly = backend === 'nft' ? LEGACY_ONLY_ERRORS : NFT_ONLY_ERRORS;
    return d.severity === 'error' && otherBackendOnly.has(d.code) ? { ...d, severity: 'warning' } : d;
  });
}

/** The name databases of the hosts that decide names in rules (RuleValidator's services, protocols, users, groups). */
interface HostNames {
  services?: Services;
  protocols?: NameSet;
  users?: NameSet;
  groups?: NameSet;
}

async function readText(reader: HostReader | undefined, path: string): Promise<string | undefined> {
  const fact = await reader?.readFile(path);
  return fact?.status === 'ok' ? fact.content.toString('latin1') : undefined;
}

/**
 * getservbyname(3) and getprotobyname(3) on the host that loads the rules read its /etc/services and
 * /etc/protocols; getpwnam(3)/getgrnam(3) its /etc/passwd and /etc/group. Without a file, its names are
 * not checked.
 */
async function readHostNames(
  userspace: HostReader | undefined,
  accounts: HostReader | undefined,
): Promise<HostNames> {
  const names: HostNames = {};
  const services = await readText(userspace, '/etc/services');
  if (services !== undefined) {
    names.services = lazyServices(services);
  }
  const protocols = await readText(userspace, '/etc/protocols');
  if (protocols !== undefined) {
    names.protocols = lazyNames(protocols, protocolNames);
  }
  const passwd = await readText(accounts, '/etc/passwd');
  if (passwd !== undefined) {
    names.users = lazyNames(passwd, accountNames);
  }
  const group = await readText(accounts, '/etc/group');
  if (group !== undefined) {
    names.groups = lazyNames(group, accountNames);
  }
  return names;
}

export async function checkRules(opts: CheckOptions): Promise<CheckResult> {
  const diagnostics: Diagnostic[] = [];
  const ipsetDiagnostics: Diagnostic[] = [];
  const defs = setDefinitions(opts.ipsets, ipsetDiagnostics);
  const setTypes = new Map([...defs].map(([name, d]) => [name, d.type]));
  const known = opts.backend ?? opts.hostBackend;
  const candidates: readonly Backend[] = known === undefined ? ['nft', 'legacy'] : [known.value];
  const parserDiagnostics: Diagnostic[] = [];
  const names = await readHostNames(opts.userspaceReader, opts.accountsReader);
  const kernelDependent: KernelDependentFile[] = [];
  const parsed = opts.rules.map((r) =>
    parseAndDerive(r, candidates, setTypes, parserDiagnostics, names, kernelDependent),
  );
  const backend = chooseBackend(
    opts,
    parsed.map((p) => p.outline),
  );
  diagnostics.push(...forBackend(parserDiagnostics, backend.value), ...ipsetDiagnostics);
  const needs = parsed.map((p) => {
    const n = p.needs.get(backend.value);
    if (n === undefined) {
      throw new Error(`requirements for backend ${backend.value} were not derived`);
    }
    return n;
  });
  const requirements = needs.flatMap((n) => n.requirements);

  const baseView = await loadKernelView(opts.kernelReader, opts.layout);
  if (kernelDependent.some((f) => f.hz.length > 0)) {
    const hz = Number(baseView.config?.values.get('CONFIG_HZ')?.value);
    const known = Number.isInteger(hz) && hz > 0 ? hz : undefined;
    diagnostics.push(
      ...forBackend(
        kernelDependent.flatMap((f) => hzRejections(f.file, f.hz, known)),
        backend.value,
      ),
    );
  }
  diagnostics.push(...kernelDependent.flatMap((f) => versionRejections(f.file, f.version, baseView.release)));
  const moduleFiles =
    baseView.deps === undefined
      ? undefined
      : await probeModuleFiles(opts.kernelReader, baseView, modulesToProbe(baseView, requirements));
  const view: KernelView = moduleFiles === undefined ? baseView : { ...baseView, moduleFiles };

  const xtables = opts.userspaceReader === undefined ? undefined : await findXtablesDir(opts.userspaceReader);
  const libCache = new Map<string, boolean>();
  const results: RequirementResult[] = [];
  for (const req of requirements) {
    let userspace: UserspaceStatus | undefined;
    if (req.userspace !== undefined && opts.userspaceReader !== undefined) {
      userspace = await userspaceStatus(
        opts.userspaceReader,
        xtables,
        req.userspace.name,
        req.userspace.kind,
        req.family,
        libCache,
      );
    }
    results.push(evaluateRequirement(view, req, userspace));
  }
  const geoip = await readGeoipDatabases(
    needs.flatMap((n) => n.geoipUses),
    results,
    opts.userspaceReader,
  );
  diagnostics.push(...geoipDatabaseDiagnostics(geoip.problems));
  const setUses = needs.flatMap((n) => n.setUses);
  const sets = setResults(setUses, defs, opts.ipsets.length > 0);
  diagnostics.push(...setFamilyErrors(setUses, defs));
  // A rules file iptables-restore would reject for syntax loads nothing, whatever the kernel has.
  const syntaxOk = !diagnostics.some((d) => d.severity === 'error');
  const ok = syntaxOk && results.every((r) => r.ok) && sets.every((s) => s.defined !== false);
  return {
    ok,
    kernel: view,
    backend,
    files: parsed.map((p) => ({
      path: p.input.path,
      family: p.family,
      tables: p.outline.tables.map((t) => t.name),
      rules: p.outline.tables.reduce((n, t) => n + t.ruleCount, 0),
    })),
    results,
    sets,
    diagnostics: [...diagnostics, ...view.diagnostics.filter((d) => d.severity !== 'info')],
    kernelNotes: view.diagnostics.filter((d) => d.severity === 'info'),
    ...(xtables === undefined ? {} : { xtablesDir: xtables.path }),
    geoip,
  };
}

export type { MissingInput };
