// Options several commands share: --format, --fail-on and the terminal style.
import { ANSI, PLAIN, type Style } from '../report/check-text.ts';
import { SEVERITY_RANK } from '../fleet/summary.ts';
import { UsageError } from './errors.ts';

export function parseFormat<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  command: string,
): T {
  const found = allowed.find((f) => f === value);
  if (found === undefined) {
    const list = `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1] ?? ''}`;
    throw new UsageError(`--format must be ${list} for ${command}, not "${value ?? ''}"`);
  }
  return found;
}

/** --fail-on LEVEL as the lowest severity rank that fails (Infinity for none). */
export function parseFailOn(value: string | undefined): number {
  if (value === 'none') {
    return Infinity;
  }
  if (value === 'error' || value === 'warning' || value === 'info') {
    return SEVERITY_RANK[value];
  }
  throw new UsageError(`--fail-on must be error, warning, info or none, not "${value ?? ''}"`);
}

export function terminalStyle(color: boolean): Style {
  return color ? ANSI : PLAIN;
}
