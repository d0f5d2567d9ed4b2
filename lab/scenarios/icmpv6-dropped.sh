#!/bin/bash
# icmpv6-dropped: rules.v6 made from rules.v4 with the addresses changed to IPv6 but `-A INPUT -p icmp -j ACCEPT`
# kept, INPUT policy DROP, no ICMPv6 rule. Prediction written before this ran: both files load (the unit is
# active, 4 IPv6 rules live: ip6tables-restore says nothing about -p icmp); `ip6tables -S INPUT` shows
# `-p icmp`; nfdoctor: rules/icmpv6-dropped warns at rules.v6 line 7 with the INPUT policy line 2, and no
# loader finding (nothing failed).
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
-A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p icmp -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
R
  sed -e 's#192.0.2.0/24#2001:db8::/32#' /etc/iptables/rules.v4 > /etc/iptables/rules.v6
  ;;
check)
  echo "== ip6tables -S INPUT"; ip6tables -S INPUT && echo rc=0 || echo "rc=$?"
  echo "== ip -6 addr"; ip -6 addr || true
  systemctl status netfilter-persistent --no-pager || true
  ;;
esac
