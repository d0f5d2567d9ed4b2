// Can this kernel provide a module the kernel will request by name (ipt_recent, iptable_nat, nft-chain-2-nat,
// ip_set_hash:ip)? Answers one of the states below, with the reason and the evidence behind it.
import type { KernelView } from './kernel-view.ts';
import { normalizeModuleName } from '../parsers/module-name.ts';
import { configSymbolsFor, moduleForRequestFallback } from '../knowledge/kconfig.ts';
import { evidenceAt, type Evidence } from '../findings/evidence.ts';
import { outOfTreeModuleFor } from '../knowledge/extensions.ts';

export type ModuleState =
  | 'builtin'
  | 'loaded'
  | 'loadable'
  | 'file-missing'
  | 'not-built'
  | 'blocked'
  | 'no-module-support'
  | 'loading-disabled'
  | 'unknown';

export const AVAILABLE_STATES: ReadonlySet<ModuleState> = new Set(['builtin', 'loaded', 'loadable']);

export interface ModuleStatus {
  readonly name: string;
  readonly state: ModuleState;
  /** The name the kernel passes to request_module(), which modprobe resolves. */
  readonly requestedAs: string;
  /** The CONFIG symbol that builds it, when known. */
  readonly config?: string;
  readonly reason?: string;
  /** For `blocked`: how. A blacklist only stops alias autoload; install/module_blacklist stop every load. */
  readonly blockedBy?: 'install' | 'blacklist' | 'module_blacklist' | 'modprobe.blacklist';
  readonly evidence: readonly Evidence[];
  /** Dependencies (modules.dep) that are not available, which makes this one unavailable too. */
  readonly failingDependencies?: readonly ModuleStatus[];
  /** An xtables-addons module, which no kernel package ships: DKMS builds it (xtables-addons-dkms). */
  readonly outOfTree?: { readonly dkmsInstalls: boolean };
  /**
   * For `loaded`: what would stop it loading again at the next boot (the same blocks that make an unloaded
   * module `blocked`). Loaded by hand, it is there now; at boot nothing loads it by its real name past a
   * blacklist (systemd-modules-load applies it too) or an install line.
   */
  readonly bootBlock?: ModuleBlock;
}

export type ModuleBlock = Omit<ModuleStatus, 'name' | 'requestedAs' | 'state' | 'bootBlock'> & {
  readonly blockedBy: NonNullable<ModuleStatus['blockedBy']>;
};

/** Which modules a request name resolves to on this kernel, the way modprobe would look it up. */
export function resolveRequestName(view: KernelView, request: string): { modules: string[]; via: string } {
  const normalized = normalizeModuleName(request);
  if (view.deps?.has(normalized) === true || view.builtin?.has(normalized) === true) {
    return { modules: [normalized], via: 'module name' };
  }
  const fromAlias = view.aliases?.lookup(request) ?? [];
  if (fromAlias.length > 0) {
    return { modules: [...new Set(fromAlias.map(normalizeModuleName))], via: 'modules.alias' };
  }
  const fromBuiltin = view.builtinAliases?.lookup(request) ?? [];
  if (fromBuiltin.length > 0) {
    return { modules: [...new Set(fromBuiltin.map(normalizeModuleName))], via: 'modules.builtin.modinfo' };
  }
  const fallback = moduleForRequestFallback(request);
  return { modules: fallback === undefined ? [] : [normalizeModuleName(fallback)], via: 'linux 6.1 sources' };
}

function configState(view: KernelView, module: string): { symbol?: string; value?: string; line?: number } {
  const symbols = configSymbolsFor(module);
  const first = symbols[0];
  if (view.config === undefined || first === undefined) {
    return first === undefined ? {} : { symbol: first };
  }
  for (const s of symbols) {
    const v = view.config.values.get(s);
    if (v !== undefined && (v.value === 'y' || v.value === 'm')) {
      return { symbol: s, value: v.value, line: v.line };
    }
  }
  const v = view.config.values.get(first);
  return { symbol: first, value: v?.value ?? 'n', ...(v === undefined ? {} : { line: v.line }) };
}

function configEvidence(view: KernelView, c: { symbol?: string; value?: string; line?: number }): Evidence[] {
  if (view.config === undefined || c.symbol === undefined) {
    return [];
  }
  const text =
    c.value === 'n' || c.value === undefined
      ? c.line === undefined
        ? `${c.symbol} absent`
        : `# ${c.symbol} is not set`
      : `${c.symbol}=${c.value}`;
  return [evidenceAt(view.config.file, c.line, text)];
}

function blockFor(view: KernelView, module: string, byAlias: boolean): ModuleBlock | undefined {
  const cmd = view.cmdline?.value;
  if (cmd !== undefined && cmd.moduleBlacklist.map(normalizeModuleName).includes(module)) {
    return {
      blockedBy: 'module_blacklist',
      reason: `the kernel command line forbids loading it (module_blacklist=${module}); the kernel refuses every load`,
      evidence: [evidenceAt(view.cmdline?.source ?? '/proc/cmdline', 1, `module_blacklist=…${module}…`)],
    };
  }
  const install = view.policy.installOf(module);
  if (install !== undefined && view.policy.isInstallBlocking(install.command)) {
    return {
      blockedBy: 'install',
      reason: `modprobe runs "${install.command}" instead of loading it, so neither autoload nor modprobe can insert it`,
      evidence: [evidenceAt(install.at.file, install.at.line, `install ${module} ${install.command}`)],
    };
  }
  if (byAlias) {
    const blacklist = view.policy.blacklistOf(module);
    const first = blacklist[0];
    if (first !== undefined) {
      return {
        blockedBy: 'blacklist',
        reason:
          `blacklisted: modprobe ignores its aliases, so the kernel's request cannot load it; ` +
          `"modprobe ${module}" by its real name still would (modprobe.d(5))`,
        evidence: blacklist.map((o) => evidenceAt(o.file, o.line, `blacklist ${module}`)),
      };
    }
    if (cmd !== undefined && cmd.modprobeBlacklist.map(normalizeModuleName).includes(module)) {
      return {
        blockedBy: 'modprobe.blacklist',
        reason: `modprobe.blacklist=${module} on the kernel command line: modprobe ignores its aliases`,
        evidence: [evidenceAt(view.cmdline?.source ?? '/proc/cmdline', 1, `modprobe.blacklist=…${module}…`)],
      };
    }
  }
  return undefined;
}

/** State of one module, ignoring its dependencies. */
function ownState(view: KernelView, module: string, requestedAs: string): ModuleStatus {
  const base = { name: module, requestedAs };
  const cfg = configState(view, module);
  const withConfig = cfg.symbol === undefined ? {} : { config: cfg.symbol };

  const loaded = view.loaded?.modules.get(module);
  if (loaded !== undefined && view.loaded !== undefined) {
    const bootBlock = blockFor(view, module, requestedAs !== module);
    return {
      ...base,
      ...withConfig,
      state: 'loaded',
      evidence: [
        evidenceAt(view.loaded.source, loaded.line, `${loaded.name} ${loaded.size} ${loaded.refcount}`),
      ],
      ...(bootBlock === undefined ? {} : { bootBlock }),
    };
  }
  const builtin = view.builtin?.get(module);
  if (builtin !== undefined) {
    return {
      ...base,
      ...withConfig,
      state: 'builtin',
      evidence: [evidenceAt(builtin.file, builtin.line, builtin.path)],
    };
  }
  if (cfg.value === 'y') {
    return { ...base, ...withConfig, state: 'builtin', evidence: configEvidence(view, cfg) };
  }

  const dep = view.deps?.get(module);
  if (dep === undefined) {
    return absentState(view, module, requestedAs, cfg);
  }
  const depEvidence = evidenceAt(dep.file, dep.line, `${dep.path}:`);
  if (view.moduleSupport.value === 'no') {
    return {
      ...base,
      ...withConfig,
      state: 'no-module-support',
      reason:
        'the kernel was built without module support (CONFIG_MODULES is not set); only built-in code works',
      evidence: [
        evidenceAt(view.moduleSupport.source ?? view.sourceLabel, view.moduleSupport.line, 'CONFIG_MODULES'),
      ],
    };
  }
  if (view.moduleFiles !== undefined && !view.moduleFiles.has(dep.path)) {
    return {
      ...base,
      ...withConfig,
      state: 'file-missing',
      reason: `modules.dep lists ${dep.path} but the file is not in ${view.modulesDir}`,
      evidence: [depEvidence],
    };
  }
  if (view.modulesDisabled?.disabled === true) {
    return {
      ...base,
      ...withConfig,
      state: 'loading-disabled',
      reason:
        'kernel.modules_disabled=1: no module can be loaded until reboot (sysctl kernel.modules_disabled is one-way)',
      evidence: [evidenceAt(view.modulesDisabled.source, 1, '1')],
    };
  }
  const block = blockFor(view, module, requestedAs !== module);
  if (block !== undefined) {
    return { ...base, ...withConfig, state: 'blocked', ...block, evidence: [...block.evidence, depEvidence] };
  }
  const unverified = view.moduleFiles === undefined && view.sourceKind !== 'kernel-dir';
  return {
    ...base,
    ...withConfig,
    state: 'loadable',
    ...(unverified ? { reason: 'listed in modules.dep; the module file itself could not be checked' } : {}),
    evidence: [depEvidence],
  };
}

function absentState(
  view: KernelView,
  module: string,
  requestedAs: string,
  cfg: { symbol?: string; value?: string; line?: number },
): ModuleStatus {
  const base = { name: module, requestedAs, ...(cfg.symbol === undefined ? {} : { config: cfg.symbol }) };
  if (view.deps === undefined) {
    if (cfg.value === 'm') {
      return {
        ...base,
        state: 'file-missing',
        reason: `the kernel config builds it as a module (${cfg.symbol ?? '?'}=m) but ${view.modulesDir}/modules.dep is missing: the kernel's module directory is absent or incomplete`,
        evidence: configEvidence(view, cfg),
      };
    }
    if (cfg.value === 'n' && view.config !== undefined) {
      return {
        ...base,
        state: 'not-built',
        reason: `${cfg.symbol ?? 'its CONFIG symbol'} is not set in the kernel config`,
        evidence: configEvidence(view, cfg),
      };
    }
    if (view.moduleSupport.value === 'no') {
      return {
        ...base,
        state: 'no-module-support',
        reason: 'the kernel has no module support and nothing shows it built in',
        evidence: [
          evidenceAt(
            view.moduleSupport.source ?? view.sourceLabel,
            view.moduleSupport.line,
            'CONFIG_MODULES',
          ),
        ],
      };
    }
    return {
      ...base,
      state: 'unknown',
      reason: `no ${view.modulesDir}/modules.dep${view.config === undefined ? ' and no kernel config' : ''}: cannot tell whether the kernel has it`,
      evidence: [],
    };
  }
  if (cfg.value === 'm') {
    return {
      ...base,
      state: 'file-missing',
      reason: `the kernel config builds it as a module (${cfg.symbol ?? '?'}=m) but modules.dep does not list it (module package incomplete, or depmod not run)`,
      evidence: configEvidence(view, cfg),
    };
  }
  return {
    ...base,
    state: 'not-built',
    reason:
      view.config === undefined
        ? `not in modules.dep or modules.builtin of ${view.release}; no kernel config to name the missing option`
        : `${cfg.symbol ?? 'no known CONFIG symbol'} is not set: this kernel was built without it`,
    evidence: configEvidence(view, cfg),
  };
}

/** Full state of `module` requested as `requestedAs`, including its modules.dep dependencies. */
export function moduleStatus(view: KernelView, module: string, requestedAs: string): ModuleStatus {
  const own = ownState(view, module, requestedAs);
  if (own.state !== 'loadable') {
    return own;
  }
  const dep = view.deps?.get(module);
  const failing: ModuleStatus[] = [];
  for (const d of dep?.deps ?? []) {
    const name = normalizeModuleName(d);
    // Dependencies are loaded by their real name, so a blacklist does not stop them (modprobe.d(5)).
    const s = ownState(view, name, name);
    if (!AVAILABLE_STATES.has(s.state)) {
      failing.push(s);
    }
  }
  const firstFailing = failing[0];
  if (firstFailing === undefined) {
    return own;
  }
  return {
    ...own,
    state: firstFailing.state,
    reason: `needs ${failing.map((f) => f.name).join(', ')}: ${firstFailing.reason ?? firstFailing.state}`,
    failingDependencies: failing,
  };
}

/** Resolves a kernel request name to the status of each module that could serve it (best first). */
export function statusForRequest(view: KernelView, request: string): ModuleStatus[] {
  const { modules } = resolveRequestName(view, request);
  const outOfTree = outOfTreeModuleFor(request.replace(/^(ipt|ip6t|xt)_/, ''));
  if (modules.length === 0 && outOfTree !== undefined) {
    return [
      {
        name: outOfTree.module,
        requestedAs: request,
        outOfTree: { dkmsInstalls: outOfTree.dkmsInstalls },
        state: view.deps === undefined && view.config === undefined ? 'unknown' : 'file-missing',
        reason: outOfTree.dkmsInstalls
          ? `${outOfTree.module} is out-of-tree (xtables-addons); it is not built for ${view.release}: install xtables-addons-dkms and the headers for this kernel so DKMS builds it`
          : `${outOfTree.module} is out-of-tree (xtables-addons) and Debian's xtables-addons-dkms 3.23-1 builds but does not install it`,
        evidence:
          view.deps === undefined
            ? []
            : [evidenceAt(`${view.modulesDir}/modules.alias`, undefined, undefined, `no alias ${request}`)],
      },
    ];
  }
  if (modules.length === 0) {
    const registeredNote = view.config === undefined ? '' : ' and no CONFIG symbol is known for it';
    return [
      {
        name: request,
        requestedAs: request,
        state: view.deps === undefined && view.config === undefined ? 'unknown' : 'not-built',
        reason: `no module of ${view.release} answers to "${request}"${registeredNote}`,
        evidence:
          view.deps === undefined
            ? []
            : [evidenceAt(`${view.modulesDir}/modules.alias`, undefined, undefined, `no alias ${request}`)],
      },
    ];
  }
  return modules.map((m) => moduleStatus(view, m, request));
}
