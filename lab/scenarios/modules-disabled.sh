#!/bin/bash
# modules-disabled: a hardening file in /etc/sysctl.d sets kernel.modules_disabled=1 (the CIS-style "no more
# modules after boot" switch). systemd-sysctl applies it early in boot; from then on no module can be loaded,
# so whatever the saved rules need that is not loaded yet (nf_tables itself, xt_recent, xt_multiport,
# nft_compat ...) stays out, and netfilter-persistent cannot load the rules. Issue 9: one root, citing the
# sysctl.d file and line, with every module and the failed restore under it. Stock bookworm otherwise.
set -eu
case ${1:-} in
setup)
  mkdir -p /etc/iptables
  cat > /etc/iptables/rules.v4 <<'R'
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name SSH --rsource
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 6 --name SSH --rsource -j DROP
-A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT
-A INPUT -p icmp -j ACCEPT
-A INPUT -j DROP
COMMIT
R
  cat > /etc/sysctl.d/60-hardening.conf <<'S'
# Hardening: no module loading once the system is up.
kernel.kptr_restrict = 2
kernel.modules_disabled = 1
S
  ;;
check)
  echo "== kernel.modules_disabled"; cat /proc/sys/kernel/modules_disabled
  echo "== netfilter modules"; grep -E '^(nf_tables|nft_compat|x_tables|xt_[a-z_]+|ip_tables|iptable_[a-z]+) ' /proc/modules || echo "(none)"
  echo "== manual modprobe xt_recent"; modprobe -v xt_recent; echo "rc=$?"
  echo "== iptables-save"; iptables-save; echo "rc=$?"
  systemctl status systemd-sysctl netfilter-persistent --no-pager || true
  ;;
esac
