#!/bin/bash
# next-kernel-missing-module: today's boot is fine, but a newer kernel is installed beside the running one
# and its module tree lacks xt_recent, which the saved rules use (-m recent): what an out-of-tree module not
# rebuilt for the new kernel, or a trimmed modules package, leaves behind. Nothing fails until the reboot into
# it. The newer kernel is the running one's files under a higher version (6.1.0-99-cloud-amd64): its image
# and config copied, its module tree copied without xt_recent.ko and indexed by the VM's own depmod. Issue 9:
# diagnose warns before the reboot, naming the kernel, the module and the rule lines. Stock bookworm otherwise.
set -eu
NEXT=6.1.0-99-cloud-amd64
case ${1:-} in
setup)
  mkdir -p /etc/iptables
  cat > /etc/iptables/rules.v4 <<'R'
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name SSH --rsource
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 6 --name SSH --rsource -j DROP
-A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT
-A INPUT -p icmp -j ACCEPT
COMMIT
R
  running=$(uname -r)
  for f in vmlinuz config System.map; do
    [ -e "/boot/$f-$running" ] && cp "/boot/$f-$running" "/boot/$f-$NEXT"
  done
  cp -a "/lib/modules/$running" "/lib/modules/$NEXT"
  find "/lib/modules/$NEXT" -name 'xt_recent.ko*' -delete
  depmod "$NEXT"
  ;;
check)
  uname -r; ls /boot; ls /lib/modules
  echo "== xt_recent per kernel"; for k in /lib/modules/*; do echo "$k: $(modinfo -k "${k##*/}" -n xt_recent 2>&1)"; done
  echo "== iptables-save"; iptables-save
  ;;
esac
