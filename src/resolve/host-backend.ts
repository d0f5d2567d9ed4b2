// Which backend the host's `iptables` command uses: Debian/Ubuntu switch it with update-alternatives
// (/etc/alternatives/iptables -> /usr/sbin/iptables-nft or iptables-legacy); RHEL 8+ ships only nft.
import type { HostReader } from '../sources/host-reader.ts';
import type { BackendChoice } from './check-rules.ts';

export function backendFromVersionOutput(text: string): 'nft' | 'legacy' | undefined {
  // "iptables v1.8.9 (nf_tables)" / "iptables v1.8.9 (legacy)"; before 1.8 there was no suffix and only legacy.
  if (/\(nf_tables\)/.test(text)) {
    return 'nft';
  }
  if (/\(legacy\)/.test(text) || /^iptables v1\.[0-6]\./m.test(text)) {
    return 'legacy';
  }
  return undefined;
}

export async function detectHostBackend(reader: HostReader): Promise<BackendChoice | undefined> {
  const alternatives = await reader.listDir('/etc/alternatives');
  if (alternatives.status === 'ok') {
    const link = alternatives.entries.find((e) => e.name === 'iptables');
    const target = link?.target;
    if (target !== undefined) {
      if (target.includes('legacy')) {
        return { value: 'legacy', why: `/etc/alternatives/iptables -> ${target}` };
      }
      if (target.includes('nft')) {
        return { value: 'nft', why: `/etc/alternatives/iptables -> ${target}` };
      }
    }
  }
  if (reader.kind !== 'root') {
    const version = await reader.runCommand('iptables-version');
    const value =
      version.status === 'ok' ? backendFromVersionOutput(version.stdout + version.stderr) : undefined;
    if (value !== undefined) {
      return { value, why: `iptables --version: ${version.stdout.trim()}` };
    }
  }
  return undefined;
}
