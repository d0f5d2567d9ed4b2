#!/bin/bash
# legacy-blacklisted-module: the blacklisted-module story on a host switched to iptables-legacy
# (update-alternatives, as many older or Docker-era servers are). The legacy backend reports a rule the
# kernel refuses at the table's COMMIT line, not at the rule (iptables-restore: line N failed), so the
# rule has to be found another way. Prediction written before this ran: both restores fail at their
# COMMIT lines, nothing is live (legacy tables absent or empty), nfdoctor names the blacklist line as the
# one root with the -m recent rule lines of both files, and after fix --apply and a reboot the rules are up.
set -eu
case ${1:-} in
setup)
  update-alternatives --set iptables /usr/sbin/iptables-legacy
  update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy
  mkdir -p /etc/iptables
  cat > /etc/iptables/rules.v4 <<'R'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name SSH --rsource
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 6 --name SSH --rsource -j DROP
-A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT
-A INPUT -p icmp -j ACCEPT
COMMIT
R
  cat > /etc/iptables/rules.v6 <<'R'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name SSH6 --rsource
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 6 --name SSH6 --rsource -j DROP
-A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT
COMMIT
R
  cat > /etc/modprobe.d/hardening.conf <<'M'
# Local hardening: modules we do not want.
blacklist xt_recent
M
  ;;
check)
  echo "== alternatives"; update-alternatives --query iptables | grep -E '^(Value|Best)'
  echo "== netfilter modules"; grep -E '^(ip_tables|ip6_tables|iptable_filter|ip6table_filter|nf_tables|x_tables|xt_[a-z_]+) ' /proc/modules || echo "(none)"
  echo "== iptables-legacy-save"; iptables-legacy-save && echo rc=0 || echo "rc=$?"
  echo "== ip6tables-legacy-save"; ip6tables-legacy-save && echo rc=0 || echo "rc=$?"
  echo "== iptables-nft-save"; iptables-nft-save && echo rc=0 || echo "rc=$?"
  echo "== modprobe -n -v ipt_recent (alias, dry run)"; modprobe -n -v ipt_recent && echo rc=0 || echo "rc=$?"
  systemctl status netfilter-persistent --no-pager || true
  ;;
esac
