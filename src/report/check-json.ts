// The JSON form of a `check` result: stable, versioned, described by schema/check.schema.json.
import type { CheckResult } from '../resolve/check-rules.ts';
import { CHECK_SCHEMA_VERSION } from '../resolve/check-rules.ts';
import type { ModuleStatus } from '../resolve/module-state.ts';
import type { Evidence } from '../findings/evidence.ts';

function evidenceJson(e: Evidence) {
  return {
    source: e.source,
    ...(e.line === undefined ? {} : { line: e.line }),
    ...(e.text === undefined ? {} : { text: e.text }),
    ...(e.note === undefined ? {} : { note: e.note }),
  };
}

function moduleJson(m: ModuleStatus): Record<string, unknown> {
  return {
    name: m.name,
    state: m.state,
    requestedAs: m.requestedAs,
    ...(m.config === undefined ? {} : { config: m.config }),
    ...(m.reason === undefined ? {} : { reason: m.reason }),
    ...(m.blockedBy === undefined ? {} : { blockedBy: m.blockedBy }),
    evidence: m.evidence.map(evidenceJson),
    ...(m.failingDependencies === undefined
      ? {}
      : { failingDependencies: m.failingDependencies.map(moduleJson) }),
  };
}

export function checkResultToJson(r: CheckResult, toolVersion: string): Record<string, unknown> {
  const k = r.kernel;
  return {
    schemaVersion: CHECK_SCHEMA_VERSION,
    tool: { name: 'nfdoctor', version: toolVersion },
    ok: r.ok,
    kernel: {
      release: k.release,
      source: k.sourceLabel,
      sourceKind: k.sourceKind,
      modulesDir: k.modulesDir,
      moduleSupport: k.moduleSupport.value,
      ...(k.config === undefined ? {} : { config: k.config.file }),
      modprobeFiles: k.modprobeFiles,
      missing: k.missing.map((m) => ({ path: m.path, status: m.status, reason: m.reason })),
    },
    backend: { value: r.backend.value, why: r.backend.why },
    files: r.files,
    requirements: r.results.map((x) => ({
      extension: x.requirement.extension,
      kind: x.requirement.kind,
      family: x.requirement.family,
      table: x.requirement.tables[0] ?? '',
      tables: x.requirement.tables,
      file: x.requirement.file,
      lines: x.requirement.lines,
      ok: x.ok,
      ...(x.satisfiedBy === undefined ? {} : { satisfiedBy: x.satisfiedBy }),
      ...(x.requirement.note === undefined ? {} : { note: x.requirement.note }),
      modules: x.modules.map(moduleJson),
      softDependencies: x.softDependencies.map(moduleJson),
      ...(x.userspace === undefined
        ? {}
        : {
            userspace: {
              library: x.userspace.library,
              present: x.userspace.present,
              ...(x.userspace.path === undefined ? {} : { path: x.userspace.path }),
              ...(x.userspace.package === undefined ? {} : { package: x.userspace.package }),
              ...(x.userspace.registersNothing === undefined
                ? {}
                : { registersNothing: x.userspace.registersNothing }),
              ...(x.userspace.reason === undefined ? {} : { reason: x.userspace.reason }),
            },
          }),
    })),
    sets: r.sets.map((s) => ({
      set: s.set,
      family: s.family,
      file: s.file,
      lines: s.lines,
      defined: s.defined,
      ...(s.type === undefined ? {} : { type: s.type }),
      ...(s.definedAt === undefined ? {} : { definedAt: s.definedAt }),
    })),
    diagnostics: r.diagnostics.map((d) => ({
      file: d.at.file,
      ...(d.at.line === undefined ? {} : { line: d.at.line }),
      severity: d.severity,
      code: d.code,
      message: d.message,
    })),
  };
}

/**
 * The JSON document `check --format json` prints when it exits 2 (usage, unreadable or unusable input):
 * scripts that parse stdout get the reason instead of nothing. `file` when the problem is one input file.
 */
export function checkErrorToJson(
  message: string,
  file: string | undefined,
  toolVersion: string,
): Record<string, unknown> {
  return {
    schemaVersion: CHECK_SCHEMA_VERSION,
    tool: { name: 'nfdoctor', version: toolVersion },
    ok: false,
    error: { message, ...(file === undefined ? {} : { file }) },
  };
}
