// Test hosts built from the real Debian kernel metadata in fixtures/kernels/<release>.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const FIXTURE_KERNELS = join(import.meta.dirname, '../../fixtures/kernels');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/**
 * The files of fixtures/kernels/<release> placed where a host has them: /lib/modules/<release>/... and the
 * config at /boot/config-<release>. Pass `without` to drop files (relative to the modules dir).
 */
export function kernelFiles(release: string, without: readonly string[] = []): Record<string, Buffer> {
  const dir = join(FIXTURE_KERNELS, release);
  const out: Record<string, Buffer> = {};
  for (const file of walk(dir)) {
    const rel = relative(dir, file);
    if (without.includes(rel)) {
      continue;
    }
    const target = rel === `config-${release}` ? `/boot/config-${release}` : `/lib/modules/${release}/${rel}`;
    out[target] = readFileSync(file);
  }
  return out;
}
