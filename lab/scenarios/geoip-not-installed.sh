#!/bin/bash
# geoip-not-installed: rules.v4 copied from a host with xtables-addons drops two countries with
# `-m geoip --src-cc CN,RU` (line 6). This image has neither the userspace extension (libxt_geoip.so, package
# xtables-addons-common) nor the module (xt_geoip, built by xtables-addons-dkms). Predictions written before
# this ran:
#   - netfilter-persistent's --test pass fails at line 6 with "Couldn't load match `geoip':No such file or
#     directory", prints "IPv4 rules failed test load. New rules NOT loaded", and the unit stays active: no
#     IPv4 rule is live (INPUT policy DROP never set);
#   - nfdoctor, before the boot (NFLAB_PRE) and after it, names line 6 and both missing pieces: the userspace
#     library and the module, with the packages that provide them (xtables-addons-common,
#     xtables-addons-dkms).
# Result (2026-12-03, 129 s): reality as predicted, and nfdoctor named line 6 and both pieces before and after
# the boot. But its tree had two roots (module and library) and the module's fix said to reinstall
# linux-image: fixed so that one root (xtables-addons) carries the library under it and installs
# xtables-addons-dkms with the kernel's headers.
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
-A INPUT -m geoip --src-cc CN,RU -j DROP
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
R
  ;;
check)
  echo "== iptables-save"; iptables-save && echo rc=0 || echo "rc=$?"
  echo "== ls xtables"; ls /usr/lib/x86_64-linux-gnu/xtables/ | grep -i geoip || echo "no libxt_geoip"
  echo "== modprobe -n -v xt_geoip"; modprobe -n -v xt_geoip 2>&1 && echo rc=0 || echo "rc=$?"
  systemctl status netfilter-persistent --no-pager || true
  ;;
esac
