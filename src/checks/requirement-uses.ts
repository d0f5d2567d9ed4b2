// What needs a module, across every saved rules file: one module often serves both families' files
// (rules.v4 and rules.v6 both need xt_recent) and several extensions (-m state and -m conntrack are both
// xt_conntrack). A finding about the module is one cause and names every use, so that each refused line of
// both files can hang under it.
import type { RequirementResult } from '../resolve/evaluate.ts';
import type { Requirement } from '../resolve/requirements.ts';
import { describeRequirement } from '../resolve/requirements.ts';
import { evidenceAt, type Evidence } from '../findings/evidence.ts';

/**
 * Each requirement with only the lines no earlier one cited: nft_compat serves both the x_tables matches
 * and iptables-nft's revision probes of the same lines, which would only repeat them.
 */
function newLines(rs: readonly RequirementResult[]): { req: Requirement; lines: number[] }[] {
  const cited = new Set<string>();
  return rs.flatMap(({ requirement: req }) => {
    const lines = req.lines.filter((l) => !cited.has(`${req.file}:${l}`));
    for (const l of lines) {
      cited.add(`${req.file}:${l}`);
    }
    return lines.length === 0 ? [] : [{ req, lines }];
  });
}

/** "match recent, /etc/iptables/rules.v4 line 7, 8 and /etc/iptables/rules.v6 line 8, 9". */
export function usesText(
  rs: readonly RequirementResult[],
  describe: (req: Requirement) => string = describeRequirement,
): string {
  const byExtension = new Map<string, string[]>();
  for (const { req, lines } of newLines(rs)) {
    const ext = describe(req);
    const files = byExtension.get(ext) ?? [];
    files.push(`${req.file} line ${lines.join(', ')}`);
    byExtension.set(ext, files);
  }
  return [...byExtension].map(([ext, files]) => `${ext}, ${files.join(' and ')}`).join('; ');
}

export function usesSubjects(rs: readonly RequirementResult[]): string[] {
  const subjects = rs.flatMap(({ requirement: req }) => [
    `extension:${req.family}/${req.kind}/${req.extension}`,
    ...req.lines.map((l) => `rules:${req.file}:${l}`),
  ]);
  return [...new Set(subjects)];
}

/** The first `perRequirement` new lines of each requirement, as evidence. */
export function usesEvidence(rs: readonly RequirementResult[], perRequirement: number): Evidence[] {
  return newLines(rs).flatMap(({ req, lines }) =>
    lines
      .slice(0, perRequirement)
      .map((l) => evidenceAt(req.file, l, undefined, `uses ${req.kind} ${req.extension}`)),
  );
}

/** Requirement results grouped under the key of the finding they make, in first-seen order. */
export class UsesByKey<T> {
  private readonly groups = new Map<string, { readonly value: T; readonly rs: RequirementResult[] }>();

  add(key: string, r: RequirementResult, value: T): void {
    const group = this.groups.get(key);
    if (group === undefined) {
      this.groups.set(key, { value, rs: [r] });
    } else {
      group.rs.push(r);
    }
  }

  entries(): { value: T; rs: readonly RequirementResult[] }[] {
    return [...this.groups.values()];
  }
}
