#!/bin/bash
# ipset-own-unit: sets restored at boot by a unit the administrator wrote, as many guides for Debian without
# ipset-persistent show: /etc/systemd/system/ipset-restore.service runs `ipset restore -file /etc/ipset.conf`,
# ordered Before=netfilter-persistent.service, enabled in multi-user.target. ipset-persistent is purged (no
# /etc/iptables/ipsets). rules.v4 line 7 drops `-m set --match-set blocklist src`.
# Predictions written before this ran:
#   - the unit runs before netfilter-persistent (its Before= makes netfilter-persistent wait, although the unit
#     keeps its default dependencies): the set exists when the rules load, 5 rules live, both units active;
#   - nfdoctor (before this change) calls the set "not saved" (a false positive its README names).
# Result (2026-12-03, tcg): as predicted. The unit's Before= pulled netfilter-persistent after basic.target
# (critical chain: netfilter-persistent <- ipset-restore <- basic.target), no ordering cycle; 5 rules live.
# nfdoctor: error "/etc/iptables/ipsets does not exist, so nothing creates the set at boot", false.
# Rerun (17:19, 113 s) with the collector that takes /etc/ipset.conf and the bundle that reads admin units:
# the restore finished 0.3 s before 15-ip4tables started; nfdoctor: no problem.
set -eu
case ${1:-} in
setup)
  dpkg --purge ipset-persistent
  rm -f /etc/iptables/ipsets
  cat > /etc/ipset.conf <<'R'
create blocklist hash:net family inet hashsize 1024 maxelem 65536
add blocklist 192.0.2.0/24
R
  cat > /etc/systemd/system/ipset-restore.service <<'R'
[Unit]
Description=Restore ipsets
Before=netfilter-persistent.service

[Service]
Type=oneshot
ExecStart=/sbin/ipset restore -exist -file /etc/ipset.conf
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
R
  systemctl enable ipset-restore.service
  mkdir -p /etc/iptables
  cat > /etc/iptables/rules.v4 <<'R'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m set --match-set blocklist src -j DROP
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p icmp -j ACCEPT
COMMIT
R
  ;;
check)
  echo "== ipset list -n"; ipset list -n
  echo "== iptables-save"; iptables-save
  systemctl status ipset-restore.service netfilter-persistent.service --no-pager || true
  echo "== order"; systemd-analyze critical-chain netfilter-persistent.service --no-pager || true
  journalctl -b -o short-precise --no-pager -u ipset-restore.service -u netfilter-persistent.service | tail -20
  ;;
esac
