#!/bin/sh
# nfdoctor-collect.sh: take a read-only snapshot of what nfdoctor needs to explain why a Linux firewall
# did not come up, on a host that may have no Node (POSIX sh; tested under dash and busybox sh).
#
#   sh nfdoctor-collect.sh [-o FILE] [--root DIR]
#
#   -o FILE     write the snapshot there (default: ./nfdoctor-<hostname>-<UTC time>.tar.gz)
#   --root DIR  read the files of a root filesystem mounted at DIR (a rescued disk, a chroot) as if DIR
#               were /; symlinks resolve inside DIR. Commands describe the running host, so none runs.
#
# What it copies: only the files named in the fact table below (rules files, module and unit config,
# /proc status files, kernel module indexes; never .ko files, never anything else), directory listings
# and symlink targets for the directories it names, and the output of the commands it names. Run it as
# root for a complete picture; as another user it records what it could not read.
#
# Read-only: it loads no module and changes no table. A command that could make the kernel autoload a
# module (iptables-nft-save, ipset, iptables-legacy-save ...) runs only when that cannot happen; otherwise
# the snapshot records that it was skipped, and why. nfdoctor reads the result with `--snapshot FILE`.
#
# Layout (schema 1): manifest.json; root/<path> file copies; files.tsv (path, status, reason) for every
# file looked at; dirs.tsv (path, status, reason) and listings.tsv (dir, name, type, symlink target);
# links.tsv (symlink path, target) for every symlink met while resolving; commands/<id>.stdout|.stderr.
set -u

COLLECTOR_VERSION=0.1.0
SCHEMA_VERSION=1
MAX_FILE_BYTES=8388608
MAX_OUTPUT_BYTES=33554432
MAX_DIR_ENTRIES=10000

PATH=${PATH:-}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
LC_ALL=C
export LC_ALL
TAB=$(printf '\t')
NL='
'

die() {
  printf 'nfdoctor-collect: %s\n' "$*" >&2
  exit 2
}

usage() {
  sed -n '4,8p' "$0" 2>/dev/null | sed 's/^# \{0,1\}//'
}

OUT=
ROOT=
ROOTMODE=0
while [ $# -gt 0 ]; do
  case $1 in
    -o | --output)
      [ $# -ge 2 ] || die "$1 needs a file name"
      OUT=$2
      shift 2
      ;;
    --output=*)
      OUT=${1#--output=}
      shift
      ;;
    --root)
      [ $# -ge 2 ] || die "--root needs a directory"
      ROOT=$2
      ROOTMODE=1
      shift 2
      ;;
    --root=*)
      ROOT=${1#--root=}
      ROOTMODE=1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument: $1 (usage: nfdoctor-collect.sh [-o FILE] [--root DIR])" ;;
  esac
done

if [ "$ROOTMODE" = 1 ]; then
  [ -d "$ROOT" ] || die "--root $ROOT: not a directory"
  # An empty mount point (the disk not mounted yet) would be collected as a host with nothing configured.
  [ -d "$ROOT/etc" ] || die "--root $ROOT: has no etc/ directory: not a system's root filesystem (is the disk mounted there?)"
  ROOT=$(cd "$ROOT" && pwd -P) || die "--root $ROOT: cannot enter"
fi
# R prefixes every path read from the target tree; empty for the live host and for --root /.
R=$ROOT
[ "$R" = / ] && R=

have() { command -v "$1" >/dev/null 2>&1; }
for t in tar gzip sort awk; do
  have "$t" || die "needs $t"
done

HOSTNAME_=$(uname -n 2>/dev/null || echo unknown)
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
if [ -z "$OUT" ]; then
  safe_host=$(printf '%s' "$HOSTNAME_" | tr -c 'A-Za-z0-9._-' '_')
  OUT=nfdoctor-$safe_host-$(date -u +%Y%m%dT%H%M%SZ).tar.gz
fi
case $OUT in
  /*) ;;
  *) OUT=$(pwd)/$OUT ;;
esac

umask 077
if have mktemp; then
  STAGE=$(mktemp -d "${TMPDIR:-/tmp}/nfdoctor-collect.XXXXXX") || die "cannot create a temporary directory"
else
  STAGE=${TMPDIR:-/tmp}/nfdoctor-collect.$$
  mkdir "$STAGE" || die "cannot create $STAGE"
fi
trap 'rm -rf "$STAGE"' EXIT
trap 'exit 130' INT TERM HUP
SNAP=$STAGE/snap
mkdir "$SNAP" "$SNAP/root" "$SNAP/commands" || die "cannot write to $STAGE"
: >"$SNAP/files.tsv"
: >"$SNAP/dirs.tsv"
: >"$SNAP/listings.tsv"
: >"$STAGE/links.raw"
: >"$STAGE/commands.tsv"
: >"$STAGE/warnings.txt"

warn() {
  printf 'nfdoctor-collect: %s\n' "$*" >&2
  printf '%s\n' "$*" >>"$STAGE/warnings.txt"
}

HAVE_READLINK=0
have readlink && HAVE_READLINK=1
HAVE_HEAD_C=0
printf 'ab' | head -c 1 >/dev/null 2>&1 && HAVE_HEAD_C=1
TIMEOUT_STYLE=none
if timeout -k 1 5 true >/dev/null 2>&1; then
  TIMEOUT_STYLE=k
elif timeout 5 true >/dev/null 2>&1; then
  TIMEOUT_STYLE=plain
fi

# first N bytes of stdin (everything when head -c is missing; the caller checks the size)
cap() {
  if [ "$HAVE_HEAD_C" = 1 ]; then head -c "$1"; else cat; fi
}

# symlink targets already read, as "<NL>path<TAB>target" records (saves a fork per repeated lookup)
LINK_CACHE=$NL
cached_link() {
  case $LINK_CACHE in
    *"$NL$1$TAB"*)
      _cl_rest=${LINK_CACHE#*"$NL$1$TAB"}
      LINK_TARGET=${_cl_rest%%"$NL"*}
      return 0
      ;;
  esac
  LINK_TARGET=$(read_link "$2")
  LINK_CACHE=$LINK_CACHE$1$TAB$LINK_TARGET$NL
}

read_link() {
  if [ "$HAVE_READLINK" = 1 ]; then
    readlink "$1"
  else
    ls -ld "$1" | sed 's/^.* -> //'
  fi
}

# one name we can record in a TSV line
bad_name() {
  case $1 in
    *"$TAB"* | *"$NL"*) return 0 ;;
  esac
  return 1
}

RECORD_LINKS=1
record_link() {
  [ "$RECORD_LINKS" = 1 ] || return 0
  if bad_name "$2"; then
    warn "symlink $1 has a target with a tab or newline; not recorded"
    return 0
  fi
  printf '%s\t%s\n' "$1" "$2" >>"$STAGE/links.raw"
}

# lexical normalisation with chroot semantics: /a/./b/../c -> /a/c, /.. -> /
normalize() {
  _n_todo=$1
  _n_done=
  while [ -n "$_n_todo" ]; do
    case $_n_todo in
      */*)
        _n_c=${_n_todo%%/*}
        _n_todo=${_n_todo#*/}
        ;;
      *)
        _n_c=$_n_todo
        _n_todo=
        ;;
    esac
    case $_n_c in
      '' | .) ;;
      ..) _n_done=${_n_done%/*} ;;
      *) _n_done=$_n_done/$_n_c ;;
    esac
  done
  NORM=${_n_done:-/}
}

# resolve PATH inside the root as if it were / (symlinks restart at the root, never leave it).
# Sets RES to the canonical path; returns 1 with RES_ERR=loop|denied when it cannot.
resolve() {
  _todo=$1
  _done=
  _hops=0
  RES_ERR=
  while :; do
    while :; do
      case $_todo in
        /*) _todo=${_todo#/} ;;
        *) break ;;
      esac
    done
    [ -n "$_todo" ] || break
    case $_todo in
      */*)
        _c=${_todo%%/*}
        _todo=${_todo#*/}
        ;;
      *)
        _c=$_todo
        _todo=
        ;;
    esac
    case $_c in
      .) continue ;;
      ..)
        _done=${_done%/*}
        continue
        ;;
    esac
    _p=$_done/$_c
    # /proc/self names whoever looks; every reader keeps it as a directory so paths stay stable
    case $_p in
      /proc/self | /proc/thread-self)
        _done=$_p
        continue
        ;;
    esac
    if [ -L "$R$_p" ]; then
      _hops=$((_hops + 1))
      if [ "$_hops" -gt 40 ]; then
        RES=$_p
        RES_ERR=loop
        return 1
      fi
      cached_link "$_p" "$R$_p"
      _t=$LINK_TARGET
      record_link "$_p" "$_t"
      case $_t in
        /*) _done= ;;
      esac
      if [ -n "$_todo" ]; then _todo=$_t/$_todo; else _todo=$_t; fi
      continue
    fi
    if [ ! -e "$R$_p" ]; then
      _par=${_done:-/}
      if [ -d "$R$_par" ] && [ ! -x "$R$_par" ]; then
        RES=$_p
        RES_ERR=denied
        return 1
      fi
      normalize "$_p/$_todo"
      RES=$NORM
      return 0
    fi
    _done=$_p
    if [ -n "$_todo" ] && [ ! -d "$R$_p" ]; then
      normalize "$_p/$_todo"
      RES=$NORM
      return 0
    fi
  done
  RES=${_done:-/}
  return 0
}

file_fact() {
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$SNAP/files.tsv"
}

dir_fact() {
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$SNAP/dirs.tsv"
}

SEEN_FILES=
seen_file() {
  case "$NL$SEEN_FILES" in
    *"$NL$1$NL"*) return 0 ;;
  esac
  SEEN_FILES=$SEEN_FILES$1$NL
  return 1
}

# does the (expanded) fact table name this canonical file path?
registry_names() {
  _rn_dir=${1%/*}
  _rn_name=${1##*/}
  [ -n "$_rn_dir" ] || _rn_dir=/
  while IFS=$TAB read -r _rk _ri _ra _rb; do
    case $_rk in
      file) [ "$_ra" = "$1" ] && return 0 ;;
      glob)
        if [ "$_ra" = "$_rn_dir" ]; then
          # shellcheck disable=SC2254
          case $_rn_name in
            $_rb) return 0 ;;
          esac
        fi
        ;;
    esac
  done <"$STAGE/table.expanded"
  return 1
}

# copy one file the fact table names, recording what happened
collect_file() {
  _cf=$1
  bad_name "$_cf" && return 0
  # a symlink as the last component: its target must be named by the table too (no secrets via links)
  _cf_parent=${_cf%/*}
  _cf_name=${_cf##*/}
  _cf_link=0
  if resolve "${_cf_parent:-/}"; then
    _cf_rp=$RES
    [ "$_cf_rp" = / ] && _cf_rp=
    [ -L "$R$_cf_rp/$_cf_name" ] && _cf_link=1
  fi
  if ! resolve "$_cf"; then
    if [ "$RES_ERR" = loop ]; then
      seen_file "$_cf" || file_fact "$_cf" error "too many levels of symbolic links at $RES"
    else
      seen_file "$_cf" || file_fact "$_cf" permission-denied "permission denied at $RES"
    fi
    return 0
  fi
  _cc=$RES
  seen_file "$_cc" && return 0
  if [ "$_cc" = /dev/null ]; then
    # a masked unit or a disabled config file; /dev/null exists on every host even if not under --root
    file_fact "$_cc" not-a-file "$_cf resolves to /dev/null"
    return 0
  fi
  if [ ! -e "$R$_cc" ] && [ ! -L "$R$_cc" ]; then
    file_fact "$_cc" absent "no such file: $_cc"
    return 0
  fi
  if [ -d "$R$_cc" ]; then
    file_fact "$_cc" not-a-file "$_cc is a directory"
    return 0
  fi
  if [ ! -f "$R$_cc" ]; then
    file_fact "$_cc" not-a-file "$_cc is not a regular file (device, fifo or socket)"
    return 0
  fi
  if [ "$_cf_link" = 1 ] && ! registry_names "$_cc"; then
    file_fact "$_cc" not-collected "$_cf is a symlink to $_cc, which the fact registry does not name"
    return 0
  fi
  case $_cc in
    *.ko | *.ko.*)
      file_fact "$_cc" not-collected "kernel module objects are never collected"
      return 0
      ;;
  esac
  if [ ! -r "$R$_cc" ]; then
    file_fact "$_cc" permission-denied "permission denied: $_cc"
    return 0
  fi
  mkdir -p "$SNAP/root${_cc%/*}" || {
    file_fact "$_cc" error "cannot write the copy"
    return 0
  }
  if ! cap $((MAX_FILE_BYTES + 1)) <"$R$_cc" >"$SNAP/root$_cc" 2>/dev/null; then
    rm -f "$SNAP/root$_cc"
    file_fact "$_cc" permission-denied "permission denied: $_cc"
    return 0
  fi
  _sz=$(($(wc -c <"$SNAP/root$_cc")))
  if [ "$_sz" -gt "$MAX_FILE_BYTES" ]; then
    rm -f "$SNAP/root$_cc"
    file_fact "$_cc" too-large "$_cc is larger than $MAX_FILE_BYTES bytes"
    return 0
  fi
  file_fact "$_cc" ok ""
}

SEEN_DIRS=
LISTED_DIRS=
# list one directory (names, types, symlink targets); sets LISTED to its canonical path when listed
list_dir() {
  LISTED=
  bad_name "$1" && return 1
  if ! resolve "$1"; then
    if [ "$RES_ERR" = loop ]; then
      dir_fact "$1" error "too many levels of symbolic links at $RES"
    else
      dir_fact "$1" permission-denied "permission denied at $RES"
    fi
    return 1
  fi
  _ld=$RES
  case "$NL$SEEN_DIRS" in
    *"$NL$_ld$NL"*)
      case "$NL$LISTED_DIRS" in
        *"$NL$_ld$NL"*) ;;
        *) return 1 ;;
      esac
      LISTED=$_ld
      return 0
      ;;
  esac
  SEEN_DIRS=$SEEN_DIRS$_ld$NL
  if [ ! -e "$R$_ld" ]; then
    dir_fact "$_ld" absent "no such directory: $_ld"
    return 1
  fi
  if [ ! -d "$R$_ld" ]; then
    dir_fact "$_ld" not-a-file "$_ld is not a directory"
    return 1
  fi
  if [ ! -r "$R$_ld" ] || [ ! -x "$R$_ld" ]; then
    dir_fact "$_ld" permission-denied "permission denied: $_ld"
    return 1
  fi
  _lb=$R$_ld
  [ "$_ld" = / ] && _lb=$R
  : >"$STAGE/listing.tmp"
  _count=0
  for _e in "$_lb"/* "$_lb"/.[!.]* "$_lb"/..?*; do
    [ -e "$_e" ] || [ -L "$_e" ] || continue
    _n=${_e##*/}
    if bad_name "$_n"; then
      warn "$_ld: an entry name holds a tab or newline; not recorded"
      continue
    fi
    _tg=
    if [ -L "$_e" ]; then
      _ty=symlink
      _tg=$(read_link "$_e")
      bad_name "$_tg" && _tg=
    elif [ -d "$_e" ]; then
      _ty=dir
    elif [ -f "$_e" ]; then
      _ty=file
    else
      _ty=other
    fi
    printf '%s\t%s\t%s\t%s\n' "$_ld" "$_n" "$_ty" "$_tg" >>"$STAGE/listing.tmp"
    _count=$((_count + 1))
  done
  if [ "$_count" -gt "$MAX_DIR_ENTRIES" ]; then
    dir_fact "$_ld" too-large "$_ld has more than $MAX_DIR_ENTRIES entries"
    return 1
  fi
  cat "$STAGE/listing.tmp" >>"$SNAP/listings.tsv"
  dir_fact "$_ld" ok ""
  LISTED_DIRS=$LISTED_DIRS$_ld$NL
  LISTED=$_ld
  return 0
}

collect_glob() {
  list_dir "$1" || return 0
  _gd=$LISTED
  _gp=$2
  # the names come from this directory's own rows of the listing
  grep -F -e "$_gd$TAB" "$SNAP/listings.tsv" >"$STAGE/glob.tmp" 2>/dev/null
  while IFS=$TAB read -r _gdir _gname _gtype _gtarget; do
    [ "$_gdir" = "$_gd" ] || continue
    [ "$_gtype" = dir ] && continue
    # shellcheck disable=SC2254
    case $_gname in
      $_gp) ;;
      *) continue ;;
    esac
    if [ "$_gd" = / ]; then collect_file "/$_gname"; else collect_file "$_gd/$_gname"; fi
  done <"$STAGE/glob.tmp"
  return 0
}

# ---------------------------------------------------------------- preconditions (live host only)
# The same decisions as src/sources/preconditions.ts.
REL=$(uname -r 2>/dev/null || echo unknown)
WHY=

config_symbol() {
  case $1 in
    nf_tables) echo CONFIG_NF_TABLES ;;
    ip_set) echo CONFIG_IP_SET ;;
  esac
}

# may a tool that needs module $1 run without loading anything?
mod_safe() {
  _m=$1
  if [ ! -e /proc/self/stat ]; then
    WHY="/proc is not mounted: cannot tell whether $_m is loaded"
    return 1
  fi
  if [ ! -e /proc/modules ]; then
    WHY="the kernel has no loadable module support (/proc/modules absent): nothing can be autoloaded"
    return 0
  fi
  if grep -q "^$_m " /proc/modules 2>/dev/null; then
    WHY="$_m is loaded"
    return 0
  fi
  if [ -d "/sys/module/$_m" ]; then
    WHY="$_m is built in (/sys/module/$_m)"
    return 0
  fi
  if grep -q "/$_m\\.ko\$" "/lib/modules/$REL/modules.builtin" 2>/dev/null; then
    WHY="$_m is built in (modules.builtin)"
    return 0
  fi
  if [ "$(cat /proc/sys/kernel/modules_disabled 2>/dev/null)" = 1 ]; then
    WHY="module loading is disabled (kernel.modules_disabled=1): nothing can be loaded"
    return 0
  fi
  _sym=$(config_symbol "$_m")
  if [ -n "$_sym" ]; then
    if [ -r "/boot/config-$REL" ]; then
      if grep -q -x -e "$_sym=y" "/boot/config-$REL" 2>/dev/null; then
        WHY="$_m is built in ($_sym=y)"
        return 0
      fi
    elif [ -r /proc/config.gz ]; then
      if gzip -dc /proc/config.gz 2>/dev/null | grep -q -x -e "$_sym=y"; then
        WHY="$_m is built in ($_sym=y)"
        return 0
      fi
    fi
  fi
  WHY="$_m is neither loaded nor built in; the command could autoload it"
  return 1
}

proc_file_exists() {
  if [ -e "$1" ]; then
    WHY="$1 exists"
    return 0
  fi
  WHY="$1 is absent ($2 not active); the command would load it"
  return 1
}

# nft | legacy | none: the backend of the iptables/ip6tables found in PATH, from the binary it resolves to
xt_variant() {
  _xb=$(command -v "$1" 2>/dev/null) || {
    echo none
    return 0
  }
  case $_xb in
    /*) ;;
    *)
      echo none
      return 0
      ;;
  esac
  _xr=$R
  R=
  RECORD_LINKS=0
  resolve "$_xb"
  RECORD_LINKS=1
  R=$_xr
  case ${RES##*/} in
    *nft*) echo nft ;;
    *) echo legacy ;;
  esac
}

# precondition NAME: 0 when the command may run; WHY says why not
precondition() {
  case $1 in
    systemd)
      if [ -d /run/systemd/system ]; then return 0; fi
      WHY="systemd is not running as PID 1 (/run/systemd/system is absent)"
      return 1
      ;;
    nf_tables | ip_set) mod_safe "$1" ;;
    ip_tables) proc_file_exists /proc/net/ip_tables_names ip_tables ;;
    ip6_tables) proc_file_exists /proc/net/ip6_tables_names ip6_tables ;;
    iptables-variant)
      if [ "$(xt_variant iptables)" = nft ]; then mod_safe nf_tables; else return 0; fi
      ;;
    iptables-backend | ip6tables-backend)
      if [ "$1" = ip6tables-backend ]; then _xt=ip6tables; else _xt=iptables; fi
      case $(xt_variant "$_xt") in
        nft) mod_safe nf_tables ;;
        none) return 0 ;;
        *)
          if [ "$_xt" = ip6tables ]; then
            proc_file_exists /proc/net/ip6_tables_names ip6_tables
          else
            proc_file_exists /proc/net/ip_tables_names ip_tables
          fi
          ;;
      esac
      ;;
    *)
      WHY="unknown precondition $1"
      return 1
      ;;
  esac
}

# ---------------------------------------------------------------- commands
CMD_ARGV=
cmd_fact() {
  # id, status, exit code (or -), reason, argv (words separated by spaces)
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$CMD_ARGV" >>"$STAGE/commands.tsv"
}

# Whether the root has the directory $1 (relative), reached without a symbolic link on the way and holding
# none two levels down (journal files sit in a subdirectory): a link could lead out of the root, to this
# machine's own journal or package database.
root_db_dir() {
  _rd=$ROOT
  for _part in $(printf '%s' "$1" | tr / ' '); do
    _rd=$_rd/$_part
    [ -L "$_rd" ] && return 1
  done
  [ -d "$_rd" ] || return 1
  [ -z "$(find "$_rd" -maxdepth 2 -type l 2>/dev/null | head -n 1)" ]
}

run_cmd() {
  _id=$1
  _pre=$2
  _to=$3
  shift 3
  CMD_ARGV=$*
  if [ "$ROOTMODE" = 1 ]; then
    case $_id in
      journal.*)
        # The one output a stopped system keeps: its persistent journal, read with this machine's journalctl
        # (--directory; "-b" is "-b -0", the last boot there).
        if ! root_db_dir var/log/journal; then
          cmd_fact "$_id" not-available - "--root $ROOT: no persistent journal (/var/log/journal is missing, or a symbolic link is on the way or in it)"
          return 0
        fi
        shift
        if [ "$1" = -b ] && [ "$2" != -1 ]; then
          shift
          set -- journalctl "--directory=$ROOT/var/log/journal" -b -0 "$@"
        else
          set -- journalctl "--directory=$ROOT/var/log/journal" "$@"
        fi
        CMD_ARGV=$*
        ;;
      dpkg-query)
        # The root's package database, read by this machine's dpkg-query (--admindir).
        if ! root_db_dir var/lib/dpkg; then
          cmd_fact "$_id" not-available - "--root $ROOT: no dpkg database (/var/lib/dpkg is missing, or a symbolic link is on the way or in it)"
          return 0
        fi
        shift
        set -- dpkg-query "--admindir=$ROOT/var/lib/dpkg" "$@"
        CMD_ARGV=$*
        ;;
      *)
        cmd_fact "$_id" not-available - "--root $ROOT: commands describe a running host, and none runs on a mounted root"
        return 0
        ;;
    esac
  fi
  if [ "$_pre" != - ] && ! precondition "$_pre"; then
    cmd_fact "$_id" skipped - "not run: $*: $WHY"
    return 0
  fi
  if ! have "$1"; then
    cmd_fact "$_id" missing - "$1: command not found"
    return 0
  fi
  _o=$SNAP/commands/$_id.stdout
  _e=$SNAP/commands/$_id.stderr
  _x=$STAGE/exit.$_id
  echo 255 >"$_x"
  (
    LANG=C
    SYSTEMD_COLORS=0
    SYSTEMD_PAGER=
    SYSTEMD_LESS=
    PAGER=cat
    export LANG SYSTEMD_COLORS SYSTEMD_PAGER SYSTEMD_LESS PAGER
    {
      case $TIMEOUT_STYLE in
        k) timeout -k 2 "$_to" "$@" </dev/null 2>"$_e" ;;
        plain) timeout "$_to" "$@" </dev/null 2>"$_e" ;;
        *) "$@" </dev/null 2>"$_e" ;;
      esac
      echo $? >"$_x"
    } | cap "$MAX_OUTPUT_BYTES" >"$_o"
  )
  read -r _rc <"$_x" || _rc=255
  _osz=$(($(wc -c <"$_o")))
  _esz=$(($(wc -c <"$_e")))
  if [ "$_esz" -gt "$MAX_OUTPUT_BYTES" ]; then
    cap "$MAX_OUTPUT_BYTES" <"$_e" >"$_e.cut" && mv "$_e.cut" "$_e"
  fi
  if [ "$_osz" -ge "$MAX_OUTPUT_BYTES" ]; then
    cmd_fact "$_id" error "$_rc" "output exceeded $MAX_OUTPUT_BYTES bytes and was cut"
    return 0
  fi
  case $_rc in
    0) cmd_fact "$_id" ok 0 "" ;;
    124) cmd_fact "$_id" timeout - "no answer within ${_to}s; killed" ;;
    137 | 143)
      if [ "$TIMEOUT_STYLE" = none ]; then
        cmd_fact "$_id" exit-nonzero "$_rc" "exit status $_rc"
      else
        cmd_fact "$_id" timeout - "no answer within ${_to}s; killed"
      fi
      ;;
    126) cmd_fact "$_id" permission-denied - "$1: permission denied" ;;
    127) cmd_fact "$_id" missing - "$1: command not found" ;;
    *) cmd_fact "$_id" exit-nonzero "$_rc" "exit status $_rc" ;;
  esac
}

# ---------------------------------------------------------------- the fact table
fact_table() {
  cat <<'FACTS'
# BEGIN FACT TABLE (rendered from src/sources/registry.ts; do not edit)
file	os-release	/etc/os-release
file	os-release	/usr/lib/os-release
file	hostname	/etc/hostname
file	distro-release	/etc/debian_version
file	distro-release	/etc/redhat-release
file	distro-release	/etc/alpine-release
file	distro-release	/etc/arch-release
glob	boot	/boot	config-*
dir	lib-modules	/lib/modules
dir	lib-modules	/usr/lib/modules
file	modules-index	/lib/modules/{release}/modules.dep
file	modules-index	/lib/modules/{release}/modules.alias
file	modules-index	/lib/modules/{release}/modules.softdep
file	modules-index	/lib/modules/{release}/modules.weakdep
file	modules-index	/lib/modules/{release}/modules.builtin
file	modules-index	/lib/modules/{release}/modules.builtin.modinfo
file	modules-index	/usr/lib/modules/{release}/modules.dep
file	modules-index	/usr/lib/modules/{release}/modules.alias
file	modules-index	/usr/lib/modules/{release}/modules.softdep
file	modules-index	/usr/lib/modules/{release}/modules.weakdep
file	modules-index	/usr/lib/modules/{release}/modules.builtin
file	modules-index	/usr/lib/modules/{release}/modules.builtin.modinfo
dir	modules-tree	/lib/modules/{release}
dir	modules-tree	/usr/lib/modules/{release}
file	proc	/proc/modules
file	proc	/proc/cmdline
file	proc	/proc/version
file	proc	/proc/config.gz
file	proc	/proc/1/comm
file	proc	/proc/sys/kernel/modules_disabled
file	proc	/proc/sys/kernel/modprobe
file	proc	/proc/sys/kernel/tainted
file	proc	/proc/net/ip_tables_names
file	proc	/proc/net/ip_tables_matches
file	proc	/proc/net/ip_tables_targets
file	proc	/proc/net/ip6_tables_names
file	proc	/proc/net/ip6_tables_matches
file	proc	/proc/net/ip6_tables_targets
dir	proc-dirs	/proc/net/netfilter
dir	proc-dirs	/sys/module
dir	proc-dirs	/run/systemd/system
file	rules.debian	/etc/iptables/rules.v4
file	rules.debian	/etc/iptables/rules.v6
file	rules.debian	/etc/iptables/ipsets
file	rules.arch	/etc/iptables/iptables.rules
file	rules.arch	/etc/iptables/ip6tables.rules
file	ipset.conf	/etc/ipset.conf
file	rules.alpine	/etc/iptables/rules-save
file	rules.alpine	/etc/iptables/rules6-save
file	rules.gentoo	/var/lib/iptables/rules-save
file	rules.gentoo	/var/lib/ip6tables/rules-save
file	rules.sysconfig	/etc/sysconfig/iptables
file	rules.sysconfig	/etc/sysconfig/ip6tables
file	rules.sysconfig	/etc/sysconfig/iptables-config
file	rules.sysconfig	/etc/sysconfig/ip6tables-config
file	rules.sysconfig	/etc/sysconfig/ipset
file	rules.sysconfig	/etc/sysconfig/ipset-config
file	rules.sysconfig	/etc/sysconfig/iptables.save
file	rules.sysconfig	/etc/sysconfig/ip6tables.save
dir	rules-dir	/etc/iptables
dir	xtables-dirs	/usr/lib/x86_64-linux-gnu/xtables
dir	xtables-dirs	/usr/lib/aarch64-linux-gnu/xtables
dir	xtables-dirs	/usr/lib/i386-linux-gnu/xtables
dir	xtables-dirs	/usr/lib/arm-linux-gnueabihf/xtables
dir	xtables-dirs	/usr/lib/powerpc64le-linux-gnu/xtables
dir	xtables-dirs	/usr/lib/s390x-linux-gnu/xtables
dir	xtables-dirs	/usr/lib/riscv64-linux-gnu/xtables
dir	xtables-dirs	/usr/lib64/xtables
dir	xtables-dirs	/usr/lib/xtables
dir	xtables-dirs	/lib64/xtables
dir	xtables-dirs	/lib/xtables
dir	geoip-database	/usr/share/xt_geoip
file	netfilter-persistent	/etc/default/netfilter-persistent
file	netfilter-persistent	/usr/sbin/netfilter-persistent
file	netfilter-persistent	/etc/init.d/netfilter-persistent
glob	netfilter-persistent-plugins	/usr/share/netfilter-persistent/plugins.d	*
file	init-scripts	/etc/init.d/iptables
file	init-scripts	/etc/init.d/ip6tables
file	init-scripts	/etc/init.d/ipset
file	init-scripts	/etc/init.d/iptables-persistent
file	init-scripts	/etc/init.d/nftables
file	init-scripts	/etc/conf.d/iptables
file	init-scripts	/etc/conf.d/ip6tables
file	init-scripts	/etc/conf.d/modules
file	init-scripts	/etc/default/iptables
file	grub	/boot/grub/grubenv
file	grub	/boot/grub/grub.cfg
file	grub	/boot/grub2/grubenv
file	grub	/boot/grub2/grub.cfg
file	grub	/etc/default/grub
glob	local-units	/etc/systemd/system	*.service
glob	local-unit-dropins	/etc/systemd/system.control/{unit}.d	*.conf
glob	local-unit-dropins	/run/systemd/system.control/{unit}.d	*.conf
glob	local-unit-dropins	/run/systemd/transient/{unit}.d	*.conf
glob	local-unit-dropins	/etc/systemd/system/{unit}.d	*.conf
glob	local-unit-dropins	/run/systemd/system/{unit}.d	*.conf
glob	local-unit-dropins	/usr/local/lib/systemd/system/{unit}.d	*.conf
glob	local-unit-dropins	/usr/lib/systemd/system/{unit}.d	*.conf
glob	local-unit-dropins	/lib/systemd/system/{unit}.d	*.conf
file	boot-scripts	/etc/rc.local
glob	ifupdown-scripts	/etc/network/if-pre-up.d	*
glob	ifupdown-scripts	/etc/network/if-up.d	*
dir	init-links	/etc/rcS.d
dir	init-links	/etc/rc2.d
dir	init-links	/etc/rc3.d
dir	init-links	/etc/runlevels/sysinit
dir	init-links	/etc/runlevels/boot
dir	init-links	/etc/runlevels/default
file	unit.netfilter-persistent	/etc/systemd/system.control/netfilter-persistent.service
file	unit.netfilter-persistent	/run/systemd/system.control/netfilter-persistent.service
file	unit.netfilter-persistent	/run/systemd/transient/netfilter-persistent.service
file	unit.netfilter-persistent	/etc/systemd/system/netfilter-persistent.service
file	unit.netfilter-persistent	/run/systemd/system/netfilter-persistent.service
file	unit.netfilter-persistent	/usr/local/lib/systemd/system/netfilter-persistent.service
file	unit.netfilter-persistent	/usr/lib/systemd/system/netfilter-persistent.service
file	unit.netfilter-persistent	/lib/systemd/system/netfilter-persistent.service
glob	unit-dropins.netfilter-persistent	/etc/systemd/system.control/netfilter-persistent.service.d	*.conf
glob	unit-dropins.netfilter-persistent	/run/systemd/system.control/netfilter-persistent.service.d	*.conf
glob	unit-dropins.netfilter-persistent	/run/systemd/transient/netfilter-persistent.service.d	*.conf
glob	unit-dropins.netfilter-persistent	/etc/systemd/system/netfilter-persistent.service.d	*.conf
glob	unit-dropins.netfilter-persistent	/run/systemd/system/netfilter-persistent.service.d	*.conf
glob	unit-dropins.netfilter-persistent	/usr/local/lib/systemd/system/netfilter-persistent.service.d	*.conf
glob	unit-dropins.netfilter-persistent	/usr/lib/systemd/system/netfilter-persistent.service.d	*.conf
glob	unit-dropins.netfilter-persistent	/lib/systemd/system/netfilter-persistent.service.d	*.conf
file	unit.iptables	/etc/systemd/system.control/iptables.service
file	unit.iptables	/run/systemd/system.control/iptables.service
file	unit.iptables	/run/systemd/transient/iptables.service
file	unit.iptables	/etc/systemd/system/iptables.service
file	unit.iptables	/run/systemd/system/iptables.service
file	unit.iptables	/usr/local/lib/systemd/system/iptables.service
file	unit.iptables	/usr/lib/systemd/system/iptables.service
file	unit.iptables	/lib/systemd/system/iptables.service
glob	unit-dropins.iptables	/etc/systemd/system.control/iptables.service.d	*.conf
glob	unit-dropins.iptables	/run/systemd/system.control/iptables.service.d	*.conf
glob	unit-dropins.iptables	/run/systemd/transient/iptables.service.d	*.conf
glob	unit-dropins.iptables	/etc/systemd/system/iptables.service.d	*.conf
glob	unit-dropins.iptables	/run/systemd/system/iptables.service.d	*.conf
glob	unit-dropins.iptables	/usr/local/lib/systemd/system/iptables.service.d	*.conf
glob	unit-dropins.iptables	/usr/lib/systemd/system/iptables.service.d	*.conf
glob	unit-dropins.iptables	/lib/systemd/system/iptables.service.d	*.conf
file	unit.ip6tables	/etc/systemd/system.control/ip6tables.service
file	unit.ip6tables	/run/systemd/system.control/ip6tables.service
file	unit.ip6tables	/run/systemd/transient/ip6tables.service
file	unit.ip6tables	/etc/systemd/system/ip6tables.service
file	unit.ip6tables	/run/systemd/system/ip6tables.service
file	unit.ip6tables	/usr/local/lib/systemd/system/ip6tables.service
file	unit.ip6tables	/usr/lib/systemd/system/ip6tables.service
file	unit.ip6tables	/lib/systemd/system/ip6tables.service
glob	unit-dropins.ip6tables	/etc/systemd/system.control/ip6tables.service.d	*.conf
glob	unit-dropins.ip6tables	/run/systemd/system.control/ip6tables.service.d	*.conf
glob	unit-dropins.ip6tables	/run/systemd/transient/ip6tables.service.d	*.conf
glob	unit-dropins.ip6tables	/etc/systemd/system/ip6tables.service.d	*.conf
glob	unit-dropins.ip6tables	/run/systemd/system/ip6tables.service.d	*.conf
glob	unit-dropins.ip6tables	/usr/local/lib/systemd/system/ip6tables.service.d	*.conf
glob	unit-dropins.ip6tables	/usr/lib/systemd/system/ip6tables.service.d	*.conf
glob	unit-dropins.ip6tables	/lib/systemd/system/ip6tables.service.d	*.conf
file	unit.ipset	/etc/systemd/system.control/ipset.service
file	unit.ipset	/run/systemd/system.control/ipset.service
file	unit.ipset	/run/systemd/transient/ipset.service
file	unit.ipset	/etc/systemd/system/ipset.service
file	unit.ipset	/run/systemd/system/ipset.service
file	unit.ipset	/usr/local/lib/systemd/system/ipset.service
file	unit.ipset	/usr/lib/systemd/system/ipset.service
file	unit.ipset	/lib/systemd/system/ipset.service
glob	unit-dropins.ipset	/etc/systemd/system.control/ipset.service.d	*.conf
glob	unit-dropins.ipset	/run/systemd/system.control/ipset.service.d	*.conf
glob	unit-dropins.ipset	/run/systemd/transient/ipset.service.d	*.conf
glob	unit-dropins.ipset	/etc/systemd/system/ipset.service.d	*.conf
glob	unit-dropins.ipset	/run/systemd/system/ipset.service.d	*.conf
glob	unit-dropins.ipset	/usr/local/lib/systemd/system/ipset.service.d	*.conf
glob	unit-dropins.ipset	/usr/lib/systemd/system/ipset.service.d	*.conf
glob	unit-dropins.ipset	/lib/systemd/system/ipset.service.d	*.conf
file	unit.nftables	/etc/systemd/system.control/nftables.service
file	unit.nftables	/run/systemd/system.control/nftables.service
file	unit.nftables	/run/systemd/transient/nftables.service
file	unit.nftables	/etc/systemd/system/nftables.service
file	unit.nftables	/run/systemd/system/nftables.service
file	unit.nftables	/usr/local/lib/systemd/system/nftables.service
file	unit.nftables	/usr/lib/systemd/system/nftables.service
file	unit.nftables	/lib/systemd/system/nftables.service
glob	unit-dropins.nftables	/etc/systemd/system.control/nftables.service.d	*.conf
glob	unit-dropins.nftables	/run/systemd/system.control/nftables.service.d	*.conf
glob	unit-dropins.nftables	/run/systemd/transient/nftables.service.d	*.conf
glob	unit-dropins.nftables	/etc/systemd/system/nftables.service.d	*.conf
glob	unit-dropins.nftables	/run/systemd/system/nftables.service.d	*.conf
glob	unit-dropins.nftables	/usr/local/lib/systemd/system/nftables.service.d	*.conf
glob	unit-dropins.nftables	/usr/lib/systemd/system/nftables.service.d	*.conf
glob	unit-dropins.nftables	/lib/systemd/system/nftables.service.d	*.conf
file	unit.firewalld	/etc/systemd/system.control/firewalld.service
file	unit.firewalld	/run/systemd/system.control/firewalld.service
file	unit.firewalld	/run/systemd/transient/firewalld.service
file	unit.firewalld	/etc/systemd/system/firewalld.service
file	unit.firewalld	/run/systemd/system/firewalld.service
file	unit.firewalld	/usr/local/lib/systemd/system/firewalld.service
file	unit.firewalld	/usr/lib/systemd/system/firewalld.service
file	unit.firewalld	/lib/systemd/system/firewalld.service
glob	unit-dropins.firewalld	/etc/systemd/system.control/firewalld.service.d	*.conf
glob	unit-dropins.firewalld	/run/systemd/system.control/firewalld.service.d	*.conf
glob	unit-dropins.firewalld	/run/systemd/transient/firewalld.service.d	*.conf
glob	unit-dropins.firewalld	/etc/systemd/system/firewalld.service.d	*.conf
glob	unit-dropins.firewalld	/run/systemd/system/firewalld.service.d	*.conf
glob	unit-dropins.firewalld	/usr/local/lib/systemd/system/firewalld.service.d	*.conf
glob	unit-dropins.firewalld	/usr/lib/systemd/system/firewalld.service.d	*.conf
glob	unit-dropins.firewalld	/lib/systemd/system/firewalld.service.d	*.conf
file	unit.ufw	/etc/systemd/system.control/ufw.service
file	unit.ufw	/run/systemd/system.control/ufw.service
file	unit.ufw	/run/systemd/transient/ufw.service
file	unit.ufw	/etc/systemd/system/ufw.service
file	unit.ufw	/run/systemd/system/ufw.service
file	unit.ufw	/usr/local/lib/systemd/system/ufw.service
file	unit.ufw	/usr/lib/systemd/system/ufw.service
file	unit.ufw	/lib/systemd/system/ufw.service
glob	unit-dropins.ufw	/etc/systemd/system.control/ufw.service.d	*.conf
glob	unit-dropins.ufw	/run/systemd/system.control/ufw.service.d	*.conf
glob	unit-dropins.ufw	/run/systemd/transient/ufw.service.d	*.conf
glob	unit-dropins.ufw	/etc/systemd/system/ufw.service.d	*.conf
glob	unit-dropins.ufw	/run/systemd/system/ufw.service.d	*.conf
glob	unit-dropins.ufw	/usr/local/lib/systemd/system/ufw.service.d	*.conf
glob	unit-dropins.ufw	/usr/lib/systemd/system/ufw.service.d	*.conf
glob	unit-dropins.ufw	/lib/systemd/system/ufw.service.d	*.conf
file	unit.systemd-modules-load	/etc/systemd/system.control/systemd-modules-load.service
file	unit.systemd-modules-load	/run/systemd/system.control/systemd-modules-load.service
file	unit.systemd-modules-load	/run/systemd/transient/systemd-modules-load.service
file	unit.systemd-modules-load	/etc/systemd/system/systemd-modules-load.service
file	unit.systemd-modules-load	/run/systemd/system/systemd-modules-load.service
file	unit.systemd-modules-load	/usr/local/lib/systemd/system/systemd-modules-load.service
file	unit.systemd-modules-load	/usr/lib/systemd/system/systemd-modules-load.service
file	unit.systemd-modules-load	/lib/systemd/system/systemd-modules-load.service
glob	unit-dropins.systemd-modules-load	/etc/systemd/system.control/systemd-modules-load.service.d	*.conf
glob	unit-dropins.systemd-modules-load	/run/systemd/system.control/systemd-modules-load.service.d	*.conf
glob	unit-dropins.systemd-modules-load	/run/systemd/transient/systemd-modules-load.service.d	*.conf
glob	unit-dropins.systemd-modules-load	/etc/systemd/system/systemd-modules-load.service.d	*.conf
glob	unit-dropins.systemd-modules-load	/run/systemd/system/systemd-modules-load.service.d	*.conf
glob	unit-dropins.systemd-modules-load	/usr/local/lib/systemd/system/systemd-modules-load.service.d	*.conf
glob	unit-dropins.systemd-modules-load	/usr/lib/systemd/system/systemd-modules-load.service.d	*.conf
glob	unit-dropins.systemd-modules-load	/lib/systemd/system/systemd-modules-load.service.d	*.conf
file	unit.systemd-sysctl	/etc/systemd/system.control/systemd-sysctl.service
file	unit.systemd-sysctl	/run/systemd/system.control/systemd-sysctl.service
file	unit.systemd-sysctl	/run/systemd/transient/systemd-sysctl.service
file	unit.systemd-sysctl	/etc/systemd/system/systemd-sysctl.service
file	unit.systemd-sysctl	/run/systemd/system/systemd-sysctl.service
file	unit.systemd-sysctl	/usr/local/lib/systemd/system/systemd-sysctl.service
file	unit.systemd-sysctl	/usr/lib/systemd/system/systemd-sysctl.service
file	unit.systemd-sysctl	/lib/systemd/system/systemd-sysctl.service
glob	unit-dropins.systemd-sysctl	/etc/systemd/system.control/systemd-sysctl.service.d	*.conf
glob	unit-dropins.systemd-sysctl	/run/systemd/system.control/systemd-sysctl.service.d	*.conf
glob	unit-dropins.systemd-sysctl	/run/systemd/transient/systemd-sysctl.service.d	*.conf
glob	unit-dropins.systemd-sysctl	/etc/systemd/system/systemd-sysctl.service.d	*.conf
glob	unit-dropins.systemd-sysctl	/run/systemd/system/systemd-sysctl.service.d	*.conf
glob	unit-dropins.systemd-sysctl	/usr/local/lib/systemd/system/systemd-sysctl.service.d	*.conf
glob	unit-dropins.systemd-sysctl	/usr/lib/systemd/system/systemd-sysctl.service.d	*.conf
glob	unit-dropins.systemd-sysctl	/lib/systemd/system/systemd-sysctl.service.d	*.conf
glob	unit-dropins.all-services	/etc/systemd/system.control/service.d	*.conf
glob	unit-dropins.all-services	/run/systemd/system.control/service.d	*.conf
glob	unit-dropins.all-services	/run/systemd/transient/service.d	*.conf
glob	unit-dropins.all-services	/etc/systemd/system/service.d	*.conf
glob	unit-dropins.all-services	/run/systemd/system/service.d	*.conf
glob	unit-dropins.all-services	/usr/local/lib/systemd/system/service.d	*.conf
glob	unit-dropins.all-services	/usr/lib/systemd/system/service.d	*.conf
glob	unit-dropins.all-services	/lib/systemd/system/service.d	*.conf
dir	unit-dirs	/etc/systemd/system
dir	unit-dirs	/etc/systemd/system/multi-user.target.wants
dir	unit-dirs	/etc/systemd/system/sysinit.target.wants
dir	unit-dirs	/etc/systemd/system/basic.target.wants
dir	unit-dirs	/etc/systemd/system/network-pre.target.wants
dir	unit-dirs	/etc/systemd/system/network.target.wants
file	modules	/etc/modules
file	modules	/etc/modprobe.conf
glob	modules-load.d	/etc/modules-load.d	*.conf
glob	modules-load.d	/run/modules-load.d	*.conf
glob	modules-load.d	/usr/local/lib/modules-load.d	*.conf
glob	modules-load.d	/usr/lib/modules-load.d	*.conf
glob	modules-load.d	/lib/modules-load.d	*.conf
glob	modprobe.d	/etc/modprobe.d	*.conf
glob	modprobe.d	/run/modprobe.d	*.conf
glob	modprobe.d	/usr/local/lib/modprobe.d	*.conf
glob	modprobe.d	/usr/lib/modprobe.d	*.conf
glob	modprobe.d	/lib/modprobe.d	*.conf
file	sysctl	/etc/sysctl.conf
glob	sysctl.d	/etc/sysctl.d	*.conf
glob	sysctl.d	/run/sysctl.d	*.conf
glob	sysctl.d	/usr/local/lib/sysctl.d	*.conf
glob	sysctl.d	/usr/lib/sysctl.d	*.conf
glob	sysctl.d	/lib/sysctl.d	*.conf
cmd	uname-r	-	5	uname -r
cmd	uname-a	-	5	uname -a
cmd	iptables-version	iptables-variant	10	iptables --version
cmd	update-alternatives.iptables	-	10	update-alternatives --query iptables
cmd	update-alternatives.ip6tables	-	10	update-alternatives --query ip6tables
cmd	iptables-save.default	iptables-backend	10	iptables-save
cmd	iptables-save.nft	nf_tables	10	iptables-nft-save
cmd	iptables-save.legacy	ip_tables	10	iptables-legacy-save
cmd	ip6tables-save.default	ip6tables-backend	10	ip6tables-save
cmd	ip6tables-save.nft	nf_tables	10	ip6tables-nft-save
cmd	ip6tables-save.legacy	ip6_tables	10	ip6tables-legacy-save
cmd	nft-list-ruleset	nf_tables	10	nft list ruleset
cmd	ipset-save	ip_set	10	ipset save
cmd	systemctl.failed	systemd	10	systemctl --failed --no-pager
cmd	systemctl.is-system-running	systemd	10	systemctl is-system-running
cmd	systemctl.show.netfilter-persistent	systemd	10	systemctl show netfilter-persistent.service --no-pager
cmd	systemctl.status.netfilter-persistent	systemd	10	systemctl status netfilter-persistent.service --no-pager --full --lines=50
cmd	systemctl.is-enabled.netfilter-persistent	systemd	10	systemctl is-enabled netfilter-persistent.service
cmd	systemctl.show.iptables	systemd	10	systemctl show iptables.service --no-pager
cmd	systemctl.status.iptables	systemd	10	systemctl status iptables.service --no-pager --full --lines=50
cmd	systemctl.is-enabled.iptables	systemd	10	systemctl is-enabled iptables.service
cmd	systemctl.show.ip6tables	systemd	10	systemctl show ip6tables.service --no-pager
cmd	systemctl.status.ip6tables	systemd	10	systemctl status ip6tables.service --no-pager --full --lines=50
cmd	systemctl.is-enabled.ip6tables	systemd	10	systemctl is-enabled ip6tables.service
cmd	systemctl.show.ipset	systemd	10	systemctl show ipset.service --no-pager
cmd	systemctl.status.ipset	systemd	10	systemctl status ipset.service --no-pager --full --lines=50
cmd	systemctl.is-enabled.ipset	systemd	10	systemctl is-enabled ipset.service
cmd	systemctl.show.nftables	systemd	10	systemctl show nftables.service --no-pager
cmd	systemctl.status.nftables	systemd	10	systemctl status nftables.service --no-pager --full --lines=50
cmd	systemctl.is-enabled.nftables	systemd	10	systemctl is-enabled nftables.service
cmd	systemctl.show.firewalld	systemd	10	systemctl show firewalld.service --no-pager
cmd	systemctl.status.firewalld	systemd	10	systemctl status firewalld.service --no-pager --full --lines=50
cmd	systemctl.is-enabled.firewalld	systemd	10	systemctl is-enabled firewalld.service
cmd	systemctl.show.ufw	systemd	10	systemctl show ufw.service --no-pager
cmd	systemctl.status.ufw	systemd	10	systemctl status ufw.service --no-pager --full --lines=50
cmd	systemctl.is-enabled.ufw	systemd	10	systemctl is-enabled ufw.service
cmd	systemctl.show.systemd-modules-load	systemd	10	systemctl show systemd-modules-load.service --no-pager
cmd	systemctl.status.systemd-modules-load	systemd	10	systemctl status systemd-modules-load.service --no-pager --full --lines=50
cmd	systemctl.is-enabled.systemd-modules-load	systemd	10	systemctl is-enabled systemd-modules-load.service
cmd	systemctl.show.systemd-sysctl	systemd	10	systemctl show systemd-sysctl.service --no-pager
cmd	systemctl.status.systemd-sysctl	systemd	10	systemctl status systemd-sysctl.service --no-pager --full --lines=50
cmd	systemctl.is-enabled.systemd-sysctl	systemd	10	systemctl is-enabled systemd-sysctl.service
cmd	journal.boot	-	30	journalctl -b -o json --no-pager _SYSTEMD_UNIT=netfilter-persistent.service + UNIT=netfilter-persistent.service + _SYSTEMD_UNIT=iptables.service + UNIT=iptables.service + _SYSTEMD_UNIT=ip6tables.service + UNIT=ip6tables.service + _SYSTEMD_UNIT=ipset.service + UNIT=ipset.service + _SYSTEMD_UNIT=nftables.service + UNIT=nftables.service + _SYSTEMD_UNIT=firewalld.service + UNIT=firewalld.service + _SYSTEMD_UNIT=ufw.service + UNIT=ufw.service + _SYSTEMD_UNIT=systemd-modules-load.service + UNIT=systemd-modules-load.service + _SYSTEMD_UNIT=systemd-sysctl.service + UNIT=systemd-sysctl.service + SYSLOG_IDENTIFIER=systemd-modules-load + SYSLOG_IDENTIFIER=systemd-sysctl + SYSLOG_IDENTIFIER=netfilter-persistent + SYSLOG_IDENTIFIER=iptables.init + SYSLOG_IDENTIFIER=iptables + SYSLOG_IDENTIFIER=ip6tables + SYSLOG_IDENTIFIER=iptables-restore + SYSLOG_IDENTIFIER=ip6tables-restore + SYSLOG_IDENTIFIER=ipset + SYSLOG_IDENTIFIER=firewalld + SYSLOG_IDENTIFIER=ufw + SYSLOG_IDENTIFIER=audit + _TRANSPORT=kernel + _TRANSPORT=audit
cmd	journal.prev-boot	-	30	journalctl -b -1 -o json --no-pager _SYSTEMD_UNIT=netfilter-persistent.service + UNIT=netfilter-persistent.service + _SYSTEMD_UNIT=iptables.service + UNIT=iptables.service + _SYSTEMD_UNIT=ip6tables.service + UNIT=ip6tables.service + _SYSTEMD_UNIT=ipset.service + UNIT=ipset.service + _SYSTEMD_UNIT=nftables.service + UNIT=nftables.service + _SYSTEMD_UNIT=firewalld.service + UNIT=firewalld.service + _SYSTEMD_UNIT=ufw.service + UNIT=ufw.service + _SYSTEMD_UNIT=systemd-modules-load.service + UNIT=systemd-modules-load.service + _SYSTEMD_UNIT=systemd-sysctl.service + UNIT=systemd-sysctl.service + SYSLOG_IDENTIFIER=systemd-modules-load + SYSLOG_IDENTIFIER=systemd-sysctl + SYSLOG_IDENTIFIER=netfilter-persistent + SYSLOG_IDENTIFIER=iptables.init + SYSLOG_IDENTIFIER=iptables + SYSLOG_IDENTIFIER=ip6tables + SYSLOG_IDENTIFIER=iptables-restore + SYSLOG_IDENTIFIER=ip6tables-restore + SYSLOG_IDENTIFIER=ipset + SYSLOG_IDENTIFIER=firewalld + SYSLOG_IDENTIFIER=ufw + SYSLOG_IDENTIFIER=audit + _TRANSPORT=kernel + _TRANSPORT=audit
cmd	journal.list-boots	-	10	journalctl --list-boots --no-pager
cmd	systemd-detect-virt	-	10	systemd-detect-virt
cmd	dpkg-query	-	10	dpkg-query -W -f=${binary:Package}\t${Version}\t${db:Status-Abbrev}\n iptables netfilter-persistent iptables-persistent ipset ipset-persistent nftables kmod systemd firewalld ufw xtables-addons-common linux-image-*
cmd	rpm-q	-	10	rpm -q iptables iptables-legacy iptables-nft iptables-services iptables-nft-services ipset ipset-service nftables kmod systemd firewalld kernel kernel-core
# END FACT TABLE
FACTS
}

fact_table | grep -v '^#' >"$STAGE/table.tsv"

# kernel releases that {release} stands for: the running one first (live host), then every module tree
# (the kernels a reboot may start; nfdoctor checks the saved rules against them before the reboot)
: >"$STAGE/releases"
[ "$ROOTMODE" = 1 ] || printf '%s\n' "$REL" >"$STAGE/releases"
for _lm in /lib/modules /usr/lib/modules; do
  RECORD_LINKS=0
  resolve "$_lm" || continue
  RECORD_LINKS=1
  for _rd in "$R$RES"/*; do
    [ -d "$_rd" ] || continue
    _rn=${_rd##*/}
    bad_name "$_rn" && continue
    grep -q -F -x -e "$_rn" "$STAGE/releases" || printf '%s\n' "$_rn" >>"$STAGE/releases"
  done
done
RECORD_LINKS=1

# the units an administrator wrote, that {unit} stands for: every *.service in /etc/systemd/system
: >"$STAGE/units"
RECORD_LINKS=0
if resolve /etc/systemd/system; then
  for _uf in "$R$RES"/*.service; do
    [ -f "$_uf" ] || continue
    _un=${_uf##*/}
    bad_name "$_un" && continue
    printf '%s\n' "$_un" >>"$STAGE/units"
  done
fi
RECORD_LINKS=1

# copies the table rows of file $3 to file $4, a row holding the placeholder $1 once per line of file $2
expand_rows() {
  : >"$4"
  while IFS= read -r _row; do
    case $_row in
      *"$1"*)
        while IFS= read -r _val; do
          _pre=${_row%%"$1"*}
          _post=${_row#*"$1"}
          printf '%s%s%s\n' "$_pre" "$_val" "$_post" >>"$4"
        done <"$2"
        ;;
      *) printf '%s\n' "$_row" >>"$4" ;;
    esac
  done <"$3"
}
expand_rows '{release}' "$STAGE/releases" "$STAGE/table.tsv" "$STAGE/table.release"
expand_rows '{unit}' "$STAGE/units" "$STAGE/table.release" "$STAGE/table.expanded"

# files and directories first (reading them has no side effect), then commands
while IFS=$TAB read -r _k _id _a _b; do
  case $_k in
    file) collect_file "$_a" ;;
    glob) collect_glob "$_a" "$_b" ;;
    dir) list_dir "$_a" >/dev/null || : ;;
  esac
done <"$STAGE/table.expanded"

while IFS=$TAB read -r _k _id _pre _to _argv; do
  [ "$_k" = cmd ] || continue
  _saved_ifs=$IFS
  IFS=' '
  set -f
  # shellcheck disable=SC2086
  set -- $_argv
  set +f
  IFS=$_saved_ifs
  run_cmd "$_id" "$_pre" "$_to" "$@"
done <"$STAGE/table.expanded"

sort -u "$STAGE/links.raw" >"$SNAP/links.tsv"

# ---------------------------------------------------------------- manifest.json
# One awk process writes it (JSON escaping per string in sh would cost a fork each).
NFD_COLLECTOR_VERSION=$COLLECTOR_VERSION
NFD_SCHEMA_VERSION=$SCHEMA_VERSION
NFD_TIME=$NOW
NFD_HOSTNAME=$HOSTNAME_
NFD_UNAME=$(uname -a 2>/dev/null || echo unknown)
NFD_UID=$(id -u 2>/dev/null || echo -1)
NFD_ROOT=$ROOT
NFD_ROOTMODE=$ROOTMODE
NFD_LIMITS="\"maxFileBytes\": $MAX_FILE_BYTES, \"maxOutputBytes\": $MAX_OUTPUT_BYTES, \"maxDirEntries\": $MAX_DIR_ENTRIES"
export NFD_COLLECTOR_VERSION NFD_SCHEMA_VERSION NFD_TIME NFD_HOSTNAME NFD_UNAME NFD_UID NFD_ROOT NFD_ROOTMODE NFD_LIMITS
awk -F '\t' '
function j(s) {
  gsub(/\\/, "\\\\", s)
  gsub(/"/, "\\\"", s)
  gsub(/\t/, "\\t", s)
  gsub(/[\001-\037\177]/, "", s)
  return "\"" s "\""
}
FILENAME == ARGV[1] { rel[++nrel] = $0; next }
FILENAME == ARGV[2] { cmd[++ncmd] = $0; next }
FILENAME == ARGV[3] { wrn[++nwrn] = $0; next }
END {
  E = "\n"
  out = "{" E
  out = out "  \"schemaVersion\": " (ENVIRON["NFD_SCHEMA_VERSION"] + 0) "," E
  out = out "  \"collector\": \"nfdoctor-collect.sh\"," E
  out = out "  \"collectorVersion\": " j(ENVIRON["NFD_COLLECTOR_VERSION"]) "," E
  out = out "  \"time\": " j(ENVIRON["NFD_TIME"]) "," E
  out = out "  \"hostname\": " j(ENVIRON["NFD_HOSTNAME"]) "," E
  out = out "  \"uname\": " j(ENVIRON["NFD_UNAME"]) "," E
  out = out "  \"root\": " (ENVIRON["NFD_ROOTMODE"] == "1" ? j(ENVIRON["NFD_ROOT"]) : "null") "," E
  out = out "  \"uid\": " (ENVIRON["NFD_UID"] + 0) "," E
  s = ""
  for (i = 1; i <= nrel; i++) s = s (i > 1 ? ", " : "") j(rel[i])
  out = out "  \"kernelReleases\": [" s "]," E
  out = out "  \"limits\": { " ENVIRON["NFD_LIMITS"] " }," E
  out = out "  \"commands\": ["
  for (i = 1; i <= ncmd; i++) {
    n = split(cmd[i], f, "\t")
    w = split(f[5], a, " ")
    av = ""
    for (k = 1; k <= w; k++) av = av (k > 1 ? "," : "") j(a[k])
    line = "    { \"id\": " j(f[1]) ", \"argv\": [" av "], \"status\": " j(f[2])
    if (f[3] != "-" && f[3] != "") line = line ", \"exitCode\": " (f[3] + 0)
    if (f[4] != "") line = line ", \"reason\": " j(f[4])
    out = out (i > 1 ? "," : "") E line " }"
  }
  out = out E "  ]," E
  out = out "  \"warnings\": ["
  for (i = 1; i <= nwrn; i++) out = out (i > 1 ? "," : "") E "    " j(wrn[i])
  out = out E "  ]" E "}"
  print out
}' "$STAGE/releases" "$STAGE/commands.tsv" "$STAGE/warnings.txt" >"$SNAP/manifest.json" ||
  die "cannot write manifest.json"

# ---------------------------------------------------------------- the archive
_tmp_out=$OUT.partial.$$
if ! (cd "$SNAP" && tar -cf - manifest.json files.tsv dirs.tsv listings.tsv links.tsv root commands) |
  gzip -c >"$_tmp_out"; then
  rm -f "$_tmp_out"
  die "cannot write $OUT"
fi
mv -f "$_tmp_out" "$OUT" || die "cannot write $OUT"
_files_ok=$(grep -c "${TAB}ok${TAB}" "$SNAP/files.tsv")
_cmds_ok=$(grep -c "${TAB}ok${TAB}" "$STAGE/commands.tsv")
_cmds=$(($(wc -l <"$STAGE/commands.tsv")))
printf 'nfdoctor-collect: wrote %s (%s files copied, %s of %s commands ok)\n' "$OUT" "$_files_ok" "$_cmds_ok" "$_cmds" >&2
exit 0
