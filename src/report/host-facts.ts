// Host facts the reports print in their header.
import type { HostModel } from '../model/host-model.ts';

/**
 * `iptables --version` where it ran; on a mounted disk or a snapshot of one no command ran, and the package
 * database says which iptables is installed.
 */
export function iptablesVersionText(model: HostModel): string {
  if (model.iptablesVersion !== undefined) {
    return model.iptablesVersion;
  }
  const deb = model.packages.get('iptables');
  return deb === undefined || deb === '' ? 'version unknown' : `package iptables ${deb}`;
}
