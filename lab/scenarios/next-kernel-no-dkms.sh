#!/bin/bash
# next-kernel-no-dkms: geoip-healthy (xt_geoip built by DKMS into the running kernel's updates/dkms, its library,
# the whole database; the rules drop `--src-cc RU,CN`), plus a newer kernel installed the way apt leaves it when
# the new kernel's headers are not installed: DKMS cannot build xt_geoip for it, so its module tree has no
# updates/dkms. The newer kernel is the running one's files under 6.1.0-99-cloud-amd64 (image, config and
# module tree copied without updates/, indexed by the VM's own depmod). Run lab/geoip-data.sh first.
# nflab-data: geoip-healthy.sh
# nflab-data: geoip-no-database.sh
# nflab-data: geoip-data/xt_geoip.ko
# nflab-data: geoip-data/libxt_geoip.so
# nflab-data: geoip-data/RU.iv4
# nflab-data: geoip-data/full/RU.iv6
# nflab-data: geoip-data/full/CN.iv4
# nflab-data: geoip-data/full/CN.iv6
# Predictions written before this ran:
#   - today's boot is healthy: 4 + 4 rules live, xt_geoip loaded from updates/dkms;
#     `modinfo -k 6.1.0-99-cloud-amd64 xt_geoip` fails (not found);
#   - nfdoctor: no problem for this boot; kernel/next-boot warns that 6.1.0-99-cloud-amd64 (the newest, which
#     GRUB starts next unless told otherwise) has no xt_geoip for rules.v4 and rules.v6 line 6, an out-of-tree
#     module: install linux-headers-6.1.0-99-cloud-amd64 so DKMS builds it, before the reboot.
# Result (2026-12-03, 93 s, tcg): as predicted, reality and nfdoctor (no code change needed).
set -eu
NEXT=6.1.0-99-cloud-amd64
here=$(dirname "$(readlink -f "$0")")
case ${1:-} in
setup)
  bash "$here/geoip-healthy.sh" setup
  running=$(uname -r)
  for f in vmlinuz config System.map; do
    [ -e "/boot/$f-$running" ] && cp "/boot/$f-$running" "/boot/$f-$NEXT"
  done
  cp -a "/lib/modules/$running" "/lib/modules/$NEXT"
  rm -rf "/lib/modules/$NEXT/updates"
  depmod "$NEXT"
  ;;
check)
  uname -r; ls /boot; ls /lib/modules
  echo "== xt_geoip per kernel"; for k in /lib/modules/*; do echo "$k: $(modinfo -k "${k##*/}" -n xt_geoip 2>&1)"; done
  echo "== iptables-save"; iptables-save
  ;;
esac
