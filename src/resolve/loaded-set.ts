// Which modules the kernel ends up loading for a checked ruleset: for each satisfied requirement, the module
// that satisfies it, everything modules.dep says it needs, and what modules.softdep makes modprobe load
// before ("pre:") and after ("post:") it, recursively (kmod libkmod-module.c
// kmod_module_get_softdeps / modprobe's insmod_do_softdeps).
import type { KernelView } from './kernel-view.ts';
import type { RequirementResult } from './evaluate.ts';
import { AVAILABLE_STATES, statusForRequest } from './module-state.ts';
import { normalizeModuleName } from '../parsers/module-name.ts';

function addWithClosure(view: KernelView, module: string, into: Set<string>): void {
  const name = normalizeModuleName(module);
  if (into.has(name) || view.builtin?.has(name) === true) {
    return;
  }
  into.add(name);
  for (const d of view.deps?.get(name)?.deps ?? []) {
    addWithClosure(view, d, into);
  }
  const soft = view.softdeps.get(name);
  for (const request of [...(soft?.pre ?? []), ...(soft?.post ?? [])]) {
    const available = statusForRequest(view, request).find((m) => AVAILABLE_STATES.has(m.state));
    if (available !== undefined) {
      addWithClosure(view, available.name, into);
    }
  }
}

/** Module names (not built in) loading these requirements brings into the kernel. */
export function modulesLoadedFor(view: KernelView, results: readonly RequirementResult[]): Set<string> {
  const loaded = new Set<string>();
  for (const r of results) {
    if (r.satisfiedBy !== undefined) {
      addWithClosure(view, r.satisfiedBy, loaded);
    }
  }
  return loaded;
}
