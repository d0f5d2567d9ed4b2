#!/bin/bash
# module-probes: ground truth for "which kernel modules does inserting this rule load?". For every probe
# in module-probes.tsv (scripts/gen-module-probes.mjs) and every backend it names, the check hook
# restores the one-rule table into a fresh network namespace, diffs /proc/modules before and after,
# deletes the namespace and unloads what the probe loaded, so each probe starts from the same state.
# Output (check.log): KERNEL, BASELINE, then one PROBE line per (probe, backend):
#   PROBE <id> <backend> <restore exit status> <modules loaded, comma-separated> <leftover> <first stderr line>
# nflab-data: module-probes.tsv
# nflab-data: lab-modules.sh
set -u
case ${1:-} in
setup)
  # Nothing may load netfilter modules at boot: the baseline must be the bare kernel.
  systemctl disable netfilter-persistent.service 2>/dev/null || true
  rm -f /etc/iptables/rules.v4 /etc/iptables/rules.v6 /etc/iptables/ipsets
  ;;
check)
  here=$(dirname "$(readlink -f "$0")")
  probes=$here/module-probes.tsv
  . "$here/lab-modules.sh"
  restore_cmd() { # family backend
    case $1/$2 in
    ipv4/nft) echo iptables-nft-restore ;;
    ipv4/legacy) echo iptables-legacy-restore ;;
    ipv6/nft) echo ip6tables-nft-restore ;;
    ipv6/legacy) echo ip6tables-legacy-restore ;;
    esac
  }
  echo "KERNEL	$(uname -r)"
  echo "IPTABLES	$(iptables --version)"
  baseline=$(mods | tr '\n' ',')
  echo "BASELINE	$baseline"
  grep -v '^#' "$probes" | while IFS=$'\t' read -r id src family backends table chain pre rule; do
    for backend in ${backends//,/ }; do
      echo "module-probes: $id $backend" >/dev/kmsg 2>/dev/null || true
      before=$(mods)
      ip netns add nfprobe </dev/null
      case $pre in
      ipset:*)
        spec=${pre#ipset:}
        # ipset:NAME:TYPE[ ARGS]
        ip netns exec nfprobe ipset create ${spec%%:*} ${spec#*:} </dev/null 2>/dev/null
        ;;
      esac
      {
        if [ "$pre" = helper:ftp ]; then
          printf '*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 21 -j CT --helper ftp\nCOMMIT\n'
        fi
        printf '*%s\n:%s ACCEPT [0:0]\n' "$table" "$chain"
        [ "$rule" = - ] || printf -- '-A %s %s\n' "$chain" "$rule"
        printf 'COMMIT\n'
      } >/tmp/probe.rules
      err=$(ip netns exec nfprobe "$(restore_cmd "$family" "$backend")" </tmp/probe.rules 2>&1 >/dev/null)
      rc=$?
      after=$(mods)
      ip netns del nfprobe
      new=$(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')
      left=$(unload $new)
      printf 'PROBE\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$backend" "$rc" \
        "$(echo $new | tr ' ' ',')" "$(echo $left | tr ' ' ',')" "$(echo "$err" | head -n1)"
    done
  done
  echo "END	$(mods | tr '\n' ',')"
  ;;
esac
