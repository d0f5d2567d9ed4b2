#!/bin/bash
# geoip-healthy: geoip-no-database with the database complete, as xt_geoip_build -s leaves it (RU.iv4, RU.iv6,
# CN.iv4 and an empty CN.iv6: the list has no IPv6 range for CN). rules.v4 and rules.v6 both drop
# `--src-cc RU,CN` at line 6. Run lab/geoip-data.sh first.
# nflab-data: geoip-no-database.sh
# nflab-data: geoip-data/xt_geoip.ko
# nflab-data: geoip-data/libxt_geoip.so
# nflab-data: geoip-data/RU.iv4
# nflab-data: geoip-data/full/RU.iv6
# nflab-data: geoip-data/full/CN.iv4
# nflab-data: geoip-data/full/CN.iv6
# Predictions written before this ran:
#   - both files load at boot (xt_geoip 3.23 takes an empty country file: geoip_add_node() allocates nothing
#     for size 0), 4 + 4 rules live, unit active, xt_geoip loaded;
#   - nfdoctor finds nothing wrong: no geoip-database finding (every file is there), no module or library
#     finding for the out-of-tree module in updates/dkms (loaded, tainted) or libxt_geoip.so.
# Result (2026-12-03, 117 s, tcg): the boot as predicted (4 + 4 rules live, the empty CN.iv6 taken). nfdoctor
# did not raise a problem, but reported "live ruleset differs (line 6)" twice as info: iptables-save prints
# `--source-country RU,CN` for `--src-cc`. The comparison now reads the geoip options as save prints them.
# Rerun (16:57, 100 s) after its setup was made to reuse geoip-no-database's: the same boot, 0 findings.
set -eu
here=$(dirname "$(readlink -f "$0")")
case ${1:-} in
setup)
  # geoip-no-database's host (module, library, RU.iv4, the rules), then the rest of the database.
  bash "$here/geoip-no-database.sh" setup
  for f in RU.iv6 CN.iv4 CN.iv6; do install -m 0644 "$here/$f" "/usr/share/xt_geoip/$f"; done
  sed -i 's/--src-cc RU -j DROP/--src-cc RU,CN -j DROP/' /etc/iptables/rules.v6
  ;;
check)
  echo "== iptables-save"; iptables-save && echo rc=0 || echo "rc=$?"
  echo "== ip6tables-save"; ip6tables-save && echo rc=0 || echo "rc=$?"
  echo "== ls /usr/share/xt_geoip"; ls -l /usr/share/xt_geoip
  echo "== lsmod geoip"; grep -w xt_geoip /proc/modules || echo "xt_geoip not loaded"
  systemctl status netfilter-persistent --no-pager || true
  ;;
esac
