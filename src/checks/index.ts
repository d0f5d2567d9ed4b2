// Every check, in the order they run: root causes (kernel, modules, configuration) before the symptoms that
// link to them (a failed loader unit, an empty live ruleset). A meta-test proves this list is complete.
import type { CheckDefinition } from './types.ts';
import noModulesDir from './kmod/no-modules-dir/check.ts';
import moduleUnavailable from './kmod/module-unavailable/check.ts';
import legacyXtablesDisabled from './kernel/legacy-xtables-disabled/check.ts';
import nextBoot from './kernel/next-boot/check.ts';
import modulesLoadConfig from './boot/modules-load-config/check.ts';
import sysctlBeforeModule from './boot/sysctl-before-module/check.ts';
import setUnavailable from './ipset/set-unavailable/check.ts';
import iptablesTooOld from './userspace/iptables-too-old/check.ts';
import extensionLibrary from './userspace/extension-library/check.ts';
import geoipDatabase from './userspace/geoip-database/check.ts';
import backendMismatch from './userspace/backend-mismatch/check.ts';
import permissionDenied from './security/permission-denied/check.ts';
import noRulesConfigured from './loader/no-rules-configured/check.ts';
import restoreFailed from './loader/restore-failed/check.ts';
import silentFailure from './loader/silent-failure/check.ts';
import savedRulesRefused from './loader/saved-rules-refused/check.ts';
import icmpv6Dropped from './rules/icmpv6-dropped/check.ts';
import notEnabled from './loader/not-enabled/check.ts';
import unitConfig from './loader/unit-config/check.ts';
import rulesFileFamily from './loader/rules-file-family/check.ts';

export const CHECKS: readonly CheckDefinition[] = [
  noModulesDir,
  moduleUnavailable,
  legacyXtablesDisabled,
  nextBoot,
  modulesLoadConfig,
  sysctlBeforeModule,
  setUnavailable,
  iptablesTooOld,
  extensionLibrary,
  geoipDatabase,
  backendMismatch,
  permissionDenied,
  noRulesConfigured,
  // What the loader unit runs and what iptables-services' settings do to the saved file (a missing file, a
  // save-on-stop that emptied it) explain the failures and empty rulesets found below.
  unitConfig,
  // A file of the other family's rules is the cause of every line of it the loader refuses.
  rulesFileFamily,
  // Before the symptoms: a disabled, masked or fought-over loader is the cause of the empty ruleset that
  // loader/silent-failure then finds.
  notEnabled,
  restoreFailed,
  silentFailure,
  // Last: a refused line of the saved file that nothing above explained (no failure yet on this boot).
  savedRulesRefused,
  // Rules that load and break what they meant to allow.
  icmpv6Dropped,
];

export function findCheck(id: string): CheckDefinition | undefined {
  return CHECKS.find((c) => c.meta.id === id);
}
