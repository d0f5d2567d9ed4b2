// An Alpine host's OpenRC iptables files as its packages install them (src/parsers/__samples__/openrc-iptables):
// one init script for both families, each conf.d naming its saved file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const SAMPLES = join(import.meta.dirname, '../parsers/__samples__/openrc-iptables');

export const openRcSample = (name: string): string => readFileSync(join(SAMPLES, name), 'utf8');

export function alpineFiles(extra: Record<string, string> = {}): Record<string, string> {
  return {
    '/etc/os-release': 'ID=alpine\nPRETTY_NAME="Alpine Linux v3.20"\n',
    '/etc/init.d/iptables': openRcSample('alpine-iptables.initd'),
    '/etc/conf.d/iptables': openRcSample('alpine-iptables.confd'),
    '/etc/conf.d/ip6tables': openRcSample('alpine-ip6tables.confd'),
    '/etc/runlevels/default/sshd': '',
    ...extra,
  };
}

/** /etc/init.d/ip6tables is a link to the iptables script on Alpine. */
export const ALPINE_LINKS: Readonly<Record<string, string>> = { '/etc/init.d/ip6tables': 'iptables' };
