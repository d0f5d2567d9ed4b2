// The package commands nfdoctor prints for RHEL-family hosts, chosen from os-release and rpm -q.
import { describe, it, expect } from 'vitest';
import { buildHostModel } from '../model/host-model.ts';
import { memoryReader } from '../testing/memory-reader.ts';
import {
  installCommand,
  iptablesServicesPackage,
  kernelModulePackages,
  rpmInstalled,
  rpmTool,
} from './host-commands.ts';

async function host(osRelease: string, rpmQ?: string) {
  return buildHostModel(
    memoryReader({
      files: { '/etc/os-release': osRelease },
      commands: rpmQ === undefined ? {} : { 'rpm-q': { status: 'exit-nonzero', exitCode: 1, stdout: rpmQ } },
    }),
  );
}

const os = (id: string, like: string, version: string): string =>
  `ID="${id}"\nID_LIKE="${like}"\nVERSION_ID="${version}"\n`;

describe('RHEL-family package commands', () => {
  it('yum on EL7 and Amazon Linux 2, dnf on EL8+, Fedora and Amazon Linux 2023', async () => {
    const cases: [string, 'dnf' | 'yum'][] = [
      [os('centos', 'rhel fedora', '7'), 'yum'],
      [os('rhel', 'fedora', '7.9'), 'yum'],
      [os('amzn', 'centos rhel fedora', '2'), 'yum'],
      [os('rocky', 'rhel centos fedora', '8.10'), 'dnf'],
      [os('almalinux', 'rhel centos fedora', '9.4'), 'dnf'],
      [os('amzn', 'fedora', '2023'), 'dnf'],
      ['ID=fedora\nVERSION_ID=40\n', 'dnf'],
    ];
    for (const [text, tool] of cases) {
      expect(rpmTool(await host(text)), text).toBe(tool);
    }
  });

  it('names iptables-nft-services on EL9+, iptables-services on EL7/EL8 and Fedora, and what is installed first', async () => {
    expect(iptablesServicesPackage(await host(os('rocky', 'rhel centos fedora', '9.4')))).toBe(
      'iptables-nft-services',
    );
    expect(iptablesServicesPackage(await host(os('rocky', 'rhel centos fedora', '8.10')))).toBe(
      'iptables-services',
    );
    expect(iptablesServicesPackage(await host(os('centos', 'rhel fedora', '7')))).toBe('iptables-services');
    expect(iptablesServicesPackage(await host('ID=fedora\nVERSION_ID=40\n'))).toBe('iptables-services');
    const epel = await host(
      os('almalinux', 'rhel centos fedora', '9.4'),
      'iptables-legacy-1.8.10-11.1.el9.x86_64\niptables-services-1.8.10-11.1.el9.noarch\npackage iptables-nft-services is not installed\n',
    );
    expect(rpmInstalled(epel, 'iptables-services')).toBe('1.8.10-11.1.el9');
    expect(rpmInstalled(epel, 'iptables-nft-services')).toBeUndefined();
    expect(iptablesServicesPackage(epel)).toBe('iptables-services');
  });

  it('kernel modules: yum reinstall of the one kernel package on EL7, kernel-modules + -extra on EL8+', async () => {
    expect(kernelModulePackages(await host(os('centos', 'rhel fedora', '7')), '3.10.0-1160.el7.x86_64')).toBe(
      'sudo yum reinstall kernel-3.10.0-1160.el7.x86_64',
    );
    expect(
      kernelModulePackages(await host(os('rocky', 'rhel centos fedora', '9.4')), '5.14.0-427.el9.x86_64'),
    ).toBe(
      'sudo dnf install kernel-modules-5.14.0-427.el9.x86_64 kernel-modules-extra-5.14.0-427.el9.x86_64',
    );
    expect(installCommand(await host(os('centos', 'rhel fedora', '7')), 'ipset', 'ipset ipset-service')).toBe(
      'sudo yum install ipset ipset-service',
    );
  });
});
