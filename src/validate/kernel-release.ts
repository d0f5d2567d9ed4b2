// Refusals that depend on the version of the kernel that inserts the rule: decided once the release of the
// target kernel is known (check --kernel DIR names it, --kernel-release overrides), else a warning that
// names the versions that refuse.
import type { Diagnostic } from '../parsers/types.ts';
import { RULE_REJECTED } from './rule-validator.ts';

/** Linux major.minor, as uname -r and /lib/modules/RELEASE start ("6.1.0-56-cloud-amd64" -> [6, 1]). */
export type KernelVersion = readonly [number, number];

/** A rule that kernels before `fixedIn` refuse, in the kernel's words. */
export interface VersionDependent {
  readonly fixedIn: KernelVersion;
  readonly message: string;
}

export interface VersionDependentRule extends VersionDependent {
  readonly line: number;
}

export const RULE_REJECTED_BEFORE_KERNEL = 'rule-rejected-before-kernel';

export function kernelVersionOf(release: string): KernelVersion | undefined {
  const m = /^(\d+)\.(\d+)(?:\D|$)/.exec(release);
  return m == null ? undefined : [Number(m[1]), Number(m[2])];
}

function olderThan(version: KernelVersion, than: KernelVersion): boolean {
  return version[0] !== than[0] ? version[0] < than[0] : version[1] < than[1];
}

/** The errors of `rules` for the kernel of `release`; a warning each when the release names no version. */
export function versionRejections(
  file: string,
  rules: readonly VersionDependentRule[],
  release: string,
): Diagnostic[] {
  const version = kernelVersionOf(release);
  return rules.flatMap((r): Diagnostic[] => {
    const fixedIn = r.fixedIn.join('.');
    if (version === undefined) {
      return [
        {
          at: { file, line: r.line },
          severity: 'warning',
          code: RULE_REJECTED_BEFORE_KERNEL,
          message: `${r.message}, on kernels before Linux ${fixedIn} (the target kernel's release "${release}" names no version: give --kernel-release)`,
        },
      ];
    }
    return olderThan(version, r.fixedIn)
      ? [
          {
            at: { file, line: r.line },
            severity: 'error',
            code: RULE_REJECTED,
            message: `${r.message} (kernel ${release}; Linux ${fixedIn} and later load it)`,
          },
        ]
      : [];
  });
}
