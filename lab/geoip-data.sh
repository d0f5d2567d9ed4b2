#!/bin/bash
# Builds the files lab scenario geoip-no-database installs into the VM (lab/scenarios/geoip-data/, not in git):
#   xt_geoip.ko    Debian's xtables-addons-dkms source, built against the lab kernel's headers (as DKMS would)
#   libxt_geoip.so from Debian's xtables-addons-common
#   RU.iv4         xt_geoip_build -D of a one-line db-ip style CSV (a real build, tiny input: the VM has no network)
#   full/          a whole database as xt_geoip_build writes it from three rows (RU and CN IPv4, RU IPv6): RU.iv4,
#                  RU.iv6, CN.iv4 and an empty CN.iv6 (every country gets both files), for geoip-healthy
# Needs root (installs linux-headers-<lab kernel>, gcc, libtext-csv-xs-perl and libnet-cidr-lite-perl with apt)
# and a built lab image (/var/tmp/nflab/kernel.version). Packages come from this machine's apt sources.
set -euo pipefail
HERE=$(dirname "$(readlink -f "$0")")
OUT=$HERE/scenarios/geoip-data
RELEASE=$(cat "${NFLAB_STATE:-/var/tmp/nflab}/kernel.version")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "linux-headers-$RELEASE" gcc make libtext-csv-xs-perl libnet-cidr-lite-perl >/dev/null
cd "$WORK"
# apt-get download runs as _apt where it can write; a root-owned scratch directory makes it fall back to root.
apt-get download -qq xtables-addons-common xtables-addons-dkms 2>/dev/null
dpkg-deb -x xtables-addons-common_*.deb common
dpkg-deb -x xtables-addons-dkms_*.deb dkms
src=$(echo "$WORK"/dkms/usr/src/xtables-addons-*)
# dkms.conf's MAKE line, for the one module this scenario needs.
make -s -C "/usr/src/linux-headers-$RELEASE" M="$src/extensions" XA_ABSTOPSRCDIR="$src" XA_TOPSRCDIR="$src" \
  modules -j"$(nproc)" >/dev/null 2>&1
mkdir -p "$OUT" db
strip --strip-debug -o "$OUT/xt_geoip.ko" "$src/extensions/xt_geoip.ko"
cp common/usr/lib/x86_64-linux-gnu/xtables/libxt_geoip.so "$OUT/"
# db-ip Country Lite rows: first address, last address, country.
printf '5.8.0.0,5.8.255.255,RU\n' > dbip-country-lite.csv
perl common/usr/libexec/xtables-addons/xt_geoip_build -q -D db -i dbip-country-lite.csv
cp db/RU.iv4 "$OUT/"
mkdir -p "$OUT/full" full
printf '5.8.0.0,5.8.255.255,RU\n1.0.1.0,1.0.3.255,CN\n2a00:1fa0::,2a00:1fa0:ffff:ffff:ffff:ffff:ffff:ffff,RU\n' \
  > dbip-country-lite.csv
perl common/usr/libexec/xtables-addons/xt_geoip_build -q -D full -i dbip-country-lite.csv
cp full/* "$OUT/full/"
modinfo -F vermagic "$OUT/xt_geoip.ko"
ls -lR "$OUT"
