#!/bin/bash
# other-backend-lockdown: the saved rules (netfilter-persistent, iptables-nft) accept SSH and web, but a
# unit someone added long ago, lockdown.service, loads /etc/lockdown.rules with iptables-legacy-restore:
# INPUT policy DROP in the legacy tables. A packet passes both backends' hooks, so the legacy ruleset drops
# the SSH and web connections the saved rules accept, and `iptables-save` (nft) shows nothing of it. Issue
# 9: an error that names lockdown.service and the file, and the traffic it blocks.
set -eu
case ${1:-} in
setup)
  mkdir -p /etc/iptables
  cat > /etc/iptables/rules.v4 <<'R'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT
-A INPUT -p icmp -j ACCEPT
COMMIT
R
  cat > /etc/lockdown.rules <<'R'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -s 192.0.2.10/32 -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
R
  cat > /etc/systemd/system/lockdown.service <<'U'
[Unit]
Description=Lock the host down until the firewall is reviewed
After=netfilter-persistent.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/iptables-legacy-restore /etc/lockdown.rules

[Install]
WantedBy=multi-user.target
U
  systemctl enable lockdown.service
  ;;
check)
  echo "== iptables-nft-save"; iptables-nft-save
  echo "== iptables-legacy-save"; iptables-legacy-save
  systemctl status lockdown netfilter-persistent --no-pager || true
  ;;
esac
