// A sysctl under net.netfilter.nf_conntrack_* only exists while nf_conntrack is loaded. systemd-sysctl runs
// early (systemd-sysctl.service: After=systemd-modules-load.service, Before=sysinit.target), long before the
// firewall's rules make the kernel autoload nf_conntrack, so the setting is skipped at boot unless something
// loads the module first: a modules-load.d entry for it or for a module that depends on it.
import { defineCheck, notApplicable, unknown } from '../../types.ts';
import type { HostModel } from '../../../model/host-model.ts';
import type { SysctlEntry } from '../../../parsers/sysctl-d.ts';
import { moduleStatus } from '../../../resolve/module-state.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { normalizeModuleName } from '../../../parsers/module-name.ts';
import { manual, modprobe, modulesLoadEntry, systemctl } from '../../fix-actions.ts';

const MODULE = 'nf_conntrack';

/** Keys that exist only with nf_conntrack loaded (net/netfilter/nf_conntrack_*, and the old net.nf_conntrack_max). */
function needsConntrack(key: string): boolean {
  return key.startsWith('net.netfilter.nf_conntrack_') || key === 'net.nf_conntrack_max';
}

/** The last assignment of each key wins (systemd-sysctl applies files in order). */
function effectiveConntrackEntries(model: HostModel): (SysctlEntry & { file: string })[] {
  const byKey = new Map<string, SysctlEntry & { file: string }>();
  for (const e of model.sysctl) {
    if (needsConntrack(e.normalizedKey)) {
      byKey.set(e.normalizedKey, e);
    }
  }
  return [...byKey.values()];
}

/** modules-load.d entries that load nf_conntrack, directly or as a modules.dep dependency. */
function loadedAtBootBy(
  model: HostModel,
): { module: string; file: string; line: number | undefined } | undefined {
  for (const entry of model.modulesLoad.entries) {
    const name = normalizeModuleName(entry.module);
    const deps = model.kernel?.deps?.get(name)?.deps.map(normalizeModuleName) ?? [];
    if (name === MODULE || deps.includes(MODULE)) {
      return { module: name, file: entry.at.file, line: entry.at.line };
    }
  }
  return undefined;
}

function journalEvidence(model: HostModel, key: string): Evidence[] {
  const path = key.replaceAll('.', '/');
  return model.journal.entries
    .filter((e) => e.message.includes(path) && /Couldn't write|No such file/.test(e.message))
    .slice(0, 2)
    .map((e) => evidenceAt(model.journal.source, e.line, e.message));
}

export default defineCheck({
  meta: {
    id: 'boot/sysctl-before-module',
    title: 'Netfilter sysctl settings can be applied at boot',
    severity: 'warning',
    messages: {
      notApplied:
        '{{key}} = {{value}} ({{file}}:{{line}}) is not applied at boot: systemd-sysctl runs before anything loads nf_conntrack, so /proc/sys/net/netfilter has no such key yet',
    },
  },
  run(ctx) {
    const { model } = ctx;
    const entries = effectiveConntrackEntries(model);
    if (entries.length === 0) {
      return notApplicable('no sysctl setting under net.netfilter.nf_conntrack_*');
    }
    const kernel = model.kernel;
    if (kernel === undefined) {
      return unknown('the running kernel is unknown, so whether nf_conntrack is built in cannot be told');
    }
    const status = moduleStatus(kernel, MODULE, MODULE);
    if (status.state === 'builtin') {
      return undefined;
    }
    if (status.state === 'unknown') {
      return unknown(`cannot tell whether ${MODULE} is built in: ${status.reason ?? 'no kernel metadata'}`);
    }
    if (loadedAtBootBy(model) !== undefined) {
      return undefined;
    }
    for (const e of entries) {
      ctx.report({
        messageId: 'notApplied',
        key: e.normalizedKey,
        data: { key: e.normalizedKey, value: e.value, file: e.file, line: e.line },
        evidence: [
          evidenceAt(e.file, e.line, `${e.ignoreErrors ? '-' : ''}${e.key} = ${e.value}`),
          ...journalEvidence(model, e.normalizedKey),
          ...status.evidence.map((x) => ({ ...x, note: `${MODULE} is ${status.state}, not built in` })),
          evidenceAt(
            model.modulesLoad.files[0] ?? '/etc/modules-load.d',
            undefined,
            undefined,
            `no modules-load.d entry loads ${MODULE} or a module that depends on it (${model.modulesLoad.files.length} file(s) read)`,
          ),
        ],
        subjects: [`module:${MODULE}`, `sysctl:${e.normalizedKey}`],
        fix: {
          actions: [
            // safe: loads a module earlier that the saved settings already assume; allows nothing new.
            modulesLoadEntry(
              MODULE,
              'safe',
              'systemd-modules-load runs before systemd-sysctl (systemd-sysctl.service has After=systemd-modules-load.service), so the key exists when the setting is applied.',
            ),
            modprobe(MODULE, 'safe', 'Loads it now, so the key exists without a reboot.'),
            model.systemd
              ? systemctl(
                  model,
                  'restart',
                  'systemd-sysctl.service',
                  'safe',
                  'Applies the sysctl.d settings again, now that the key exists (what systemd-sysctl does at boot).',
                )
              : manual(
                  'Apply the sysctl settings again.',
                  'Now that the key exists, the setting can be written.',
                  'sudo sysctl --system',
                ),
          ],
          persistence: `modules-load.d is read on every boot before systemd-sysctl runs; ${MODULE} is then loaded early and the setting applies.`,
          verify: `sysctl ${e.normalizedKey}   # after the next reboot: should print ${e.value}`,
        },
        next: `Module options such as the conntrack hash size belong in /etc/modprobe.d (options ${MODULE} hashsize=...), not in sysctl.d; they apply when the module loads.`,
      });
    }
    return undefined;
  },
});
