// Kernel release strings as GRUB and dpkg order them.

/**
 * Orders kernel releases by their numeric parts ("6.1.0-56-cloud-amd64" > "6.1.0-9-cloud-amd64"), the way
 * GRUB's and dpkg's version sorting put the newest kernel first for release strings of one flavour.
 */
export function compareKernelReleases(a: string, b: string): number {
  const nums = (s: string): number[] => (s.match(/\d+/g) ?? []).map(Number);
  const x = nums(a);
  const y = nums(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0) {
      return d;
    }
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
