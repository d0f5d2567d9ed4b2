// Joins what a ruleset needs with what a kernel and its userspace can give: one verdict per requirement.
import type { Requirement } from './requirements.ts';
import { registeredKey, type KernelView } from './kernel-view.ts';
import { AVAILABLE_STATES, statusForRequest, type ModuleStatus } from './module-state.ts';
import type { UserspaceStatus } from './userspace.ts';
import { evidenceAt } from '../findings/evidence.ts';
import { normalizeModuleName } from '../parsers/module-name.ts';

export interface RequirementResult {
  readonly requirement: Requirement;
  /** Every module that could serve one of the request names, best first. */
  readonly modules: readonly ModuleStatus[];
  /** The module that satisfies the requirement, when one does. */
  readonly satisfiedBy?: string;
  readonly userspace?: UserspaceStatus;
  /** Modules loaded first by a modules.softdep "pre:" line (xt_LOG -> nf_log_syslog): not fatal if absent. */
  readonly softDependencies: readonly ModuleStatus[];
  readonly ok: boolean;
}

function registeredStatus(view: KernelView, req: Requirement): ModuleStatus | undefined {
  if (req.kind !== 'match' && req.kind !== 'target') {
    return undefined;
  }
  const reg = view.registered?.get(registeredKey(req.family, req.kind));
  if (reg === undefined) {
    return undefined;
  }
  const name = req.kernelNames.find((n) => reg.names.has(n));
  if (name === undefined) {
    return undefined;
  }
  return {
    name,
    state: view.moduleSupport.value === 'no' ? 'builtin' : 'loaded',
    requestedAs: req.requests[0] ?? name,
    reason: `the running kernel has the ${name} ${req.kind} registered (built in, or its module is loaded)`,
    evidence: [evidenceAt(reg.source, undefined, name)],
  };
}

function softDependenciesOf(view: KernelView, module: string): ModuleStatus[] {
  const soft = view.softdeps.get(normalizeModuleName(module));
  if (soft === undefined) {
    return [];
  }
  return soft.pre.flatMap((pre) => statusForRequest(view, pre));
}

export function evaluateRequirement(
  view: KernelView,
  req: Requirement,
  userspace: UserspaceStatus | undefined,
): RequirementResult {
  const modules = req.requests.flatMap((r) => statusForRequest(view, r));
  // What the running kernel has registered proves the extension is there even when no metadata says
  // which module gave it (no /lib/modules on a provider kernel); module facts, when they answer, win.
  const byModule = modules.find((m) => AVAILABLE_STATES.has(m.state));
  const registered = byModule === undefined ? registeredStatus(view, req) : undefined;
  const all = registered === undefined ? modules : [registered, ...modules];
  const satisfying = byModule ?? registered;
  const softDependencies = satisfying === undefined ? [] : softDependenciesOf(view, satisfying.name);
  const userspaceOk =
    userspace === undefined || (userspace.present !== false && userspace.registersNothing !== true);
  return {
    requirement: req,
    modules: all,
    ...(satisfying === undefined ? {} : { satisfiedBy: satisfying.name }),
    ...(userspace === undefined ? {} : { userspace }),
    softDependencies,
    ok: (satisfying !== undefined || req.optional === true) && userspaceOk,
  };
}
