#!/bin/bash
# blacklist-name-vs-alias: modprobe.d(5) says a blacklist only hides a module's aliases. Whether it matters
# depends on the name the kernel asks for, which differs per extension:
#   - `-j CT --helper ftp` asks by alias (nf_conntrack_helper.c: request_module("nfct-helper-%s"), the alias
#     MODULE_ALIAS_NFCT_HELPER gives nf_conntrack_ftp), so `blacklist nf_conntrack_ftp` should stop it;
#   - `-m string --algo bm` asks by the real name (lib/textsearch.c: request_module("ts_%s")), so
#     `blacklist ts_bm` should not.
# The prediction written before this ran: rules.v6 (its raw table has the CT --helper ftp line) fails at
# boot, rules.v4 (the string match) loads, and ts_bm gets loaded despite its blacklist line. (A first run
# had both rules in rules.v4: one nf_tables transaction, so the CT failure kept the string rule from ever
# being checked, and ts_bm was never asked for.)
# NFLAB_PRE="diagnose --format json" records what nfdoctor predicted on the setup boot, before the reboot.
# For `fix --apply --yes` (NFLAB_FIX, 2026-12-03), written before it ran: the fix comments out the
# nf_conntrack_ftp line only and leaves `blacklist ts_bm` (harmless for a name request), restarts
# netfilter-persistent, and rules.v6 loads at once; after the reboot the system is running, both files are
# live (v4 3 rules, v6 3), nf_conntrack_ftp and ts_bm are in /proc/modules, and nfdoctor finds nothing.
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
-A INPUT -p tcp -m tcp --dport 80 -m string --string "/wp-login.php" --algo bm -j DROP
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
R
  cat > /etc/iptables/rules.v6 <<'R'
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
R
  cat > /etc/modprobe.d/hardening.conf <<'M'
# Local hardening: modules we do not want.
blacklist nf_conntrack_ftp
blacklist ts_bm
M
  ;;
check)
  echo "== netfilter modules"; grep -E '^(nf_conntrack_ftp|ts_bm|xt_string|xt_CT|nf_tables|nft_compat) ' /proc/modules || echo "(none)"
  echo "== iptables-save"; iptables-save && echo rc=0 || echo "rc=$?"
  echo "== ip6tables-save"; ip6tables-save && echo rc=0 || echo "rc=$?"
  echo "== modprobe -n -v nfct-helper-ftp (alias, dry run)"; modprobe -n -v nfct-helper-ftp && echo rc=0 || echo "rc=$?"
  echo "== modprobe -n -v ts_bm (name, dry run)"; modprobe -n -v ts_bm && echo rc=0 || echo "rc=$?"
  systemctl status netfilter-persistent --no-pager || true
  ;;
esac
