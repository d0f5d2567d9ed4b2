#!/bin/bash
# ipset-family: the administrator reuses the IPv4 blocklist in rules.v6. /etc/iptables/ipsets creates
# `blocklist` as hash:net without a family (ipset(8): inet by default); rules.v4 and rules.v6 both drop
# `-m set --match-set blocklist src`. ip6tables asks the kernel for the set's family while it parses the rule
# (libxt_set.h get_set_byname) and refuses an IPv4 set. Predictions written before this ran:
#   - the ipset plugin restores the set, rules.v4 loads (5 rules live);
#   - rules.v6 fails already in netfilter-persistent's --test pass: "The protocol family of set blocklist is
#     IPv4, which is not applicable." and "Error occurred at line: 7", then "IPv6 rules failed test load. New
#     rules NOT loaded": no IPv6 rule live, INPUT policy ACCEPT, and the unit stays active;
#   - nfdoctor names rules.v6 line 7 and the ipsets line that creates the set, before the boot (NFLAB_PRE)
#     and after it (the silent failure's root).
# Result (2026-12-03, 121 s): all held.
set -eu
case ${1:-} in
setup)
  mkdir -p /etc/iptables
  cat > /etc/iptables/ipsets <<'R'
create blocklist hash:net hashsize 1024 maxelem 65536
add blocklist 192.0.2.0/24
R
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
  cat > /etc/iptables/rules.v6 <<'R'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m set --match-set blocklist src -j DROP
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
COMMIT
R
  ;;
check)
  echo "== ipset save"; ipset save && echo rc=0 || echo "rc=$?"
  echo "== ip6tables-save"; ip6tables-save && echo rc=0 || echo "rc=$?"
  echo "== ip6tables-restore --test"; ip6tables-restore --test < /etc/iptables/rules.v6 2>&1 && echo rc=0 || echo "rc=$?"
  systemctl status netfilter-persistent --no-pager || true
  ;;
esac
