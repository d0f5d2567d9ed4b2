#!/bin/bash
# recent-hitcount: an SSH brute-force rule with a generous threshold, `-m recent --update --seconds 600
# --hitcount 300`. xt_recent.c recent_mt_check() refuses a hitcount of XT_RECENT_MAX_NSTAMPS or more, which
# is 256 on Debian 12's Linux 6.1 (65536 since Linux 6.11), so the kernel refuses the rule when it is
# inserted: iptables-restore's userspace parse accepts it (--test passes), the commit fails.
# Prediction written before this ran: no IPv4 rule loaded (INPUT policy ACCEPT, not the file's DROP), the
# kernel log has "xt_recent: hitcount (300) is larger than allowed maximum (255)", netfilter-persistent is
# active and its journal says the IPv4 rules were NOT loaded; IPv6 rules load. nfdoctor (the bundle in the
# VM): the root is the saved rule at line 8 refused by the kernel 6.1 (recent match: hitcount (300) ...
# allowed maximum (255)), not the empty ruleset; exit 1.
# Outcome (first run, 72 s): the kernel line, the empty IPv4 ruleset, IPv6 loaded and nfdoctor's root as
# predicted; --test passed (rc=0). Wrong: netfilter-persistent is failed, not active: the test load passes,
# so the plugin restores, and that restore fails ("line 8: RULE_APPEND failed (Invalid argument)").
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
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name SSH --rsource
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 600 --hitcount 300 --name SSH --rsource -j DROP
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
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
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
R
  ;;
check)
  echo "== iptables-save"; iptables-save && echo rc=0 || echo "rc=$?"
  echo "== ip6tables-save"; ip6tables-save && echo rc=0 || echo "rc=$?"
  echo "== iptables-restore --test"; iptables-restore --test /etc/iptables/rules.v4 && echo rc=0 || echo "rc=$?"
  echo "== dmesg xt_recent"; dmesg | grep -i xt_recent || true
  systemctl status netfilter-persistent --no-pager || true
  journalctl -b -u netfilter-persistent --no-pager | tail -20 || true
  ;;
esac
