#!/bin/bash
# geoip-corrupt: geoip-healthy with CN.iv4 cut to 7 bytes (a copy or download that stopped short: not a whole
# 8-byte range). Run lab/geoip-data.sh first.
# nflab-data: geoip-healthy.sh
# nflab-data: geoip-no-database.sh
# nflab-data: geoip-data/xt_geoip.ko
# nflab-data: geoip-data/libxt_geoip.so
# nflab-data: geoip-data/RU.iv4
# nflab-data: geoip-data/full/RU.iv6
# nflab-data: geoip-data/full/CN.iv4
# nflab-data: geoip-data/full/CN.iv6
# Predictions written before this ran:
#   - the IPv4 test load reads RU.iv4, then fails on CN.iv4: "iptables-restore v1.8.9 (nf_tables): Database
#     file /usr/share/xt_geoip/CN.iv4 seems to be corrupted", exit 1, no "Error occurred at line"; "IPv4 rules
#     failed test load. New rules NOT loaded"; rules.v6 loads (RU.iv6 whole, CN.iv6 empty): 4 IPv6 rules live;
#   - nfdoctor on the host (NFLAB_PRE before the boot, and after it): geoip-database `corrupt` for CN.iv4,
#     rules.v4 line 6, 7 bytes; after the boot the silent test-load failure hangs under it.
# Result (2026-12-03, 90 s, tcg): all held (the message word for word, rc 1, 4 IPv6 rules live).
set -eu
here=$(dirname "$(readlink -f "$0")")
case ${1:-} in
setup)
  bash "$here/geoip-healthy.sh" setup
  head -c 7 "$here/CN.iv4" > /usr/share/xt_geoip/CN.iv4
  ;;
check)
  echo "== ls /usr/share/xt_geoip"; ls -l /usr/share/xt_geoip
  echo "== iptables-save"; iptables-save && echo rc=0 || echo "rc=$?"
  echo "== ip6tables-save | grep -c -- -A"; ip6tables-save | grep -c -- '-A' || true
  echo "== unshare --net iptables-restore --test rules.v4"
  unshare --net iptables-restore --test /etc/iptables/rules.v4 2>&1 && echo rc=0 || echo "rc=$?"
  ;;
esac
