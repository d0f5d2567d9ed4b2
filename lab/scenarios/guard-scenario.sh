#!/bin/bash
# guard-NAME (symlinks to this file): the lab's NAME scenario unchanged (its own setup and check hooks), with
# the boot guard's evidence recorded first on the broken boot and `nfdoctor guard release` after it
# (guard-check.sh). The lab writes the run's name to ./name; NAME is that without "guard-".
# Run: NFLAB_NFDOCTOR=$PWD/dist/nfdoctor.cjs NFLAB_PRE="guard install --fail-closed --allow 10.0.2.0/24:22
#        --textfile /var/lib/prometheus/node-exporter" ./run-scenario.sh /path/to/lab/scenarios/guard-NAME.sh
# nflab-data: scenarios/missing-xt-recent.sh
# nflab-data: scenarios/ipset-missing-set.sh
# nflab-data: scenarios/healthy.sh
# nflab-data: scenarios/modules-load-fails-requires.sh
# nflab-data: guard-check.sh
set -u
scenario=$(cat ./name); scenario=${scenario#guard-}
case ${1:-} in
setup) bash "./$scenario.sh" setup ;;
check)
  . ./guard-check.sh
  guard_evidence
  guard_release
  guard_timing
  echo; echo "== the scenario's own check ($scenario)"
  bash "./$scenario.sh" check
  ;;
esac
