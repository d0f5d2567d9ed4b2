import { describe, it, expect } from 'vitest';
import { setRestoreUnits } from './set-restore-units.ts';

const unit = (exec: string): string =>
  `[Unit]\nDescription=Restore ipsets\n\n[Service]\nType=oneshot\nExecStart=${exec}\n\n[Install]\nWantedBy=multi-user.target\n`;

describe('setRestoreUnits', () => {
  it('finds ipset restore with -file, -f, < through a shell, and the old -R', () => {
    const found = setRestoreUnits([
      {
        path: '/etc/systemd/system/a.service',
        text: unit('/sbin/ipset restore -exist -file /etc/ipset.conf'),
      },
      {
        path: '/etc/systemd/system/b.service',
        text: unit('/usr/sbin/ipset -exist -f /etc/ipsets.save restore'),
      },
      {
        path: '/etc/systemd/system/c.service',
        text: unit("/bin/sh -c 'ipset restore < /etc/iptables/ipset.rules'"),
      },
      { path: '/etc/systemd/system/d.service', text: unit('/sbin/ipset -R') },
      { path: '/etc/systemd/system/e.service', text: unit('/usr/sbin/ipset save') },
      { path: '/etc/systemd/system/f.service', text: unit('/usr/local/bin/firewall.sh') },
      { path: '/etc/rc.local', text: 'ipset restore < /etc/ipset.conf\n' },
    ]);
    expect(found.map((u) => [u.unit, u.file, u.line])).toEqual([
      ['a.service', '/etc/ipset.conf', 6],
      ['b.service', '/etc/ipsets.save', 6],
      ['c.service', '/etc/iptables/ipset.rules', 6],
      ['d.service', undefined, 6],
    ]);
  });
});
