#!/bin/bash
# Sourced by lab scenarios that measure module loading (module-probes.sh, guard-modprobe-cost.sh); they name it
# in a "# nflab-data: lab-modules.sh" line so that the lab copies it beside them.
mods() { cut -d' ' -f1 /proc/modules | sort; }
# unload MODULE...: prints what could not be unloaded. /proc/modules lists the newest module first, so unloading
# in its order removes users before what they use.
unload() {
  local want=" $* " pass m left
  for pass in $(seq 1 40); do
    left=
    for m in $(cut -d' ' -f1 /proc/modules); do
      case $want in *" $m "*) rmmod "$m" 2>/dev/null || left="$left $m" ;; esac
    done
    [ -z "$left" ] && return 0
    sleep 0.1
  done
  echo "$left"
}
