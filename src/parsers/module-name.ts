// Kernel module name normalisation as kmod does it (libkmod modname_normalize): '-' becomes '_',
// and a file name is cut at the first '.' (xt_recent.ko.xz -> xt_recent).

export function normalizeModuleName(name: string): string {
  return name.replaceAll('-', '_');
}

/** "kernel/net/netfilter/xt_recent.ko.zst" -> "xt_recent". */
export function moduleNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return normalizeModuleName(dot === -1 ? base : base.slice(0, dot));
}

/** Module names reach modprobe/systemctl argv; only these characters are ever passed on. */
export function isValidModuleName(name: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(name);
}
