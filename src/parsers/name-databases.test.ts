import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { accountNames, lazyNames, protocolNames } from './name-databases.ts';

const SAMPLES = join(import.meta.dirname, '__samples__');
const read = (path: string) => readFileSync(join(SAMPLES, path), 'utf8');

describe('name databases of the host that loads the rules', () => {
  it("reads Debian's /etc/protocols: names and aliases, not numbers or comments", () => {
    const names = protocolNames(read('protocols/debian-bookworm-netbase-6.4'));
    for (const name of ['tcp', 'TCP', 'gre', 'GRE', 'vrrp', 'ipencap', 'ipv6-icmp', 'IPv6-ICMP', 'udplite']) {
      expect(names.has(name), name).toBe(true);
    }
    for (const name of ['tcpp', '6', '#', 'protocols', '']) {
      expect(names.has(name), name).toBe(false);
    }
  });

  it("reads Debian's first /etc/passwd and /etc/group", () => {
    const users = accountNames(read('accounts/debian-base-passwd-3.6.1.passwd.master'));
    const groups = accountNames(read('accounts/debian-base-passwd-3.6.1.group.master'));
    expect(['root', 'daemon', 'nobody', 'www-data'].every((u) => users.has(u))).toBe(true);
    expect(['root', 'nogroup', 'adm', 'www-data'].every((g) => groups.has(g))).toBe(true);
    expect(users.has('nosuchuser')).toBe(false);
    expect(users.has('*')).toBe(false);
  });

  it('skips NSS compat lines and parses only when first asked', () => {
    expect([...accountNames('+@admins:::\n-bob:::\nalice:x:1000:1000::/home/alice:/bin/sh\n')]).toEqual([
      'alice',
    ]);
    let parsed = 0;
    const lazy = lazyNames('alice:x:1:1::/:/bin/sh\n', (text) => {
      parsed++;
      return accountNames(text);
    });
    expect(parsed).toBe(0);
    expect(lazy.has('alice') && !lazy.has('bob')).toBe(true);
    expect(parsed).toBe(1);
  });
});
