#!/bin/bash
# blacklisted-module: a hardening file in /etc/modprobe.d says `blacklist xt_recent` (the usual CIS-style way
# to "disable" a module), and rules.v4 and rules.v6 use -m recent. modprobe.d(5): a blacklist makes modprobe
# ignore the module's aliases, not its name. The kernel asks for an xtables match by alias (x_tables.c
# xt_request_find_match: request_module("%st_%s", xt_prefix[af], name), i.e. ipt_recent / ip6t_recent), so
# the prediction written before this ran: the blacklist stops the load at boot, netfilter-persistent fails
# both families at their first -m recent line, and `modprobe xt_recent` by name still loads it.
# Stock bookworm otherwise (iptables-nft, IPTABLES_TEST_RULESET=yes).
#
# The check hook then does what an administrator does on finding the firewall down: `modprobe xt_recent`
# and a restart of netfilter-persistent, which brings the rules up until the next boot. A second snapshot
# (out/by-hand/) and diagnosis show that state; with NFLAB_FIX the fix runs on it, and the verify boot shows
# whether the rules now survive a reboot.
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
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 6 --name SSH --rsource -j DROP
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
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name SSH6 --rsource
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 6 --name SSH6 --rsource -j DROP
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
R
  cat > /etc/modprobe.d/hardening.conf <<'M'
# Local hardening: modules we do not want.
blacklist xt_recent
M
  ;;
check)
  echo "== netfilter modules"; grep -E '^(nf_tables|nft_compat|x_tables|xt_[a-z_]+) ' /proc/modules || echo "(none)"
  echo "== iptables-save"; iptables-save && echo rc=0 || echo "rc=$?"
  echo "== ip6tables-save"; ip6tables-save && echo rc=0 || echo "rc=$?"
  echo "== modprobe -n -v ipt_recent (alias, dry run)"; modprobe -n -v ipt_recent && echo rc=0 || echo "rc=$?"
  echo "== modprobe -n -v xt_recent (name, dry run)"; modprobe -n -v xt_recent && echo rc=0 || echo "rc=$?"
  systemctl status netfilter-persistent --no-pager || true
  echo "== by hand: modprobe xt_recent, restart netfilter-persistent"
  modprobe -v xt_recent && echo rc=0 || echo "rc=$?"
  systemctl restart netfilter-persistent && echo rc=0 || echo "rc=$?"
  iptables-save | grep -c -- '^-A' || true
  ip6tables-save | grep -c -- '^-A' || true
  mkdir -p out/by-hand
  if [ -f collector.sh ]; then (cd /tmp && sh "$OLDPWD/collector.sh" -o "$OLDPWD/out/by-hand/snapshot.tar.gz") > out/by-hand/collector.log 2>&1; fi
  if [ -f nfdoctor.cjs ]; then (cd /tmp && node "$OLDPWD/nfdoctor.cjs" diagnose --format json) > out/by-hand/diagnose.out 2> out/by-hand/diagnose.err || echo "diagnose rc=$?"; fi
  ;;
esac
