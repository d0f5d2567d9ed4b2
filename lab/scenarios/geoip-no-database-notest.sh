#!/bin/bash
# geoip-no-database-notest: geoip-no-database with netfilter-persistent's test load switched off for IPv4
# (IPTABLES_TEST_RULESET commented out in /etc/default/netfilter-persistent), so the IPv4 plugin restores
# rules.v4 directly, as iptables.service on RHEL does. Run lab/geoip-data.sh first.
# nflab-data: geoip-no-database.sh
# nflab-data: geoip-data/xt_geoip.ko
# nflab-data: geoip-data/libxt_geoip.so
# nflab-data: geoip-data/RU.iv4
# Predictions written before this ran:
#   - the IPv4 restore fails with the same two lines ("Could not open /usr/share/xt_geoip/CN.iv4", "Could not
#     read geoip database") and no line number; the plugin exits 1 and netfilter-persistent.service fails;
#     rules.v6 still fails its test load on RU.iv6;
#   - nfdoctor: two roots, CN.iv4 and RU.iv6; under CN.iv4 the restore failure (restore-failed, found through
#     the journal's file name: rules.v4 line 6), under that the failed unit.
# Result (2026-12-03, 101 s, tcg): as predicted, reality and nfdoctor.
set -eu
here=$(dirname "$(readlink -f "$0")")
case ${1:-} in
setup)
  bash "$here/geoip-no-database.sh" setup
  sed -i 's/^IPTABLES_TEST_RULESET=yes/#IPTABLES_TEST_RULESET=yes/' /etc/default/netfilter-persistent
  ;;
check)
  echo "== iptables-save"; iptables-save && echo rc=0 || echo "rc=$?"
  systemctl status netfilter-persistent --no-pager || true
  ;;
esac
