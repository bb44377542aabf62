#!/usr/bin/env bash
# Makes a gdb available for pagelab's gdb-stub tests and prints the command to run it, idempotently.
#   1. gdb on PATH, if it runs (unless PAGELAB_GDB_FROM_DEPS=1);
#   2. else .deps/gdb/bin/gdb: Debian's gdb-minimal package (no Python) and those of its libraries
#      this system lacks, downloaded with apt into a private lists folder (the system's own apt
#      sources, so the same release) and unpacked; a wrapper sets LD_LIBRARY_PATH. Nothing
#      system-wide changes;
#   3. if that gdb does not run, and only as root: apt-get install -y gdb (system-wide).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEST="$PAGELAB_DEPS/gdb"
WRAPPER="$DEST/bin/gdb"
STAMP="$DEST/.complete"
mkdir -p "$PAGELAB_DEPS"

runs() {
  "$1" -nx -batch -ex 'show version' >/dev/null 2>&1
}

system_gdb() {
  [ "${PAGELAB_GDB_FROM_DEPS:-0}" != 1 ] || return 1
  local g
  g=$(command -v gdb 2>/dev/null) || return 1
  runs "$g" || return 1
  echo "$g"
}

download_gdb_minimal() {
  command -v apt-get >/dev/null || return 1
  local work="$PAGELAB_DEPS/apt-gdb"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  local opts=(-o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Debug::NoLocking=1"
              -o "APT::Sandbox::User=root" -qq)
  echo "pagelab set-up: downloading gdb-minimal into $DEST" >&2
  apt-get "${opts[@]}" update >&2 || return 1
  (cd "$work/debs" && rm -f ./*.deb && apt-get "${opts[@]}" download gdb-minimal >&2) || return 1
  rm -rf "$DEST" && mkdir -p "$DEST/root" "$DEST/bin"
  dpkg-deb -x "$work"/debs/gdb-minimal_*.deb "$DEST/root"
  # The libraries this system lacks, from the same release (never libc itself).
  if ldd "$DEST/root/usr/bin/gdb" | grep -q 'not found'; then
    local deps deb
    deps=$(apt-cache "${opts[@]}" depends gdb-minimal | awk '/^ *Depends:/ {print $2}' | grep -v '^libc6$' | sort -u)
    (cd "$work/debs" && apt-get "${opts[@]}" download $deps >&2) || return 1
    for deb in "$work"/debs/*.deb; do
      case "$(basename "$deb")" in gdb-minimal_*) continue ;; esac
      dpkg-deb -x "$deb" "$DEST/root"
    done
  fi
  cat > "$WRAPPER" <<'WRAP'
#!/bin/sh
# gdb-minimal unpacked by scripts/setup-gdb.sh, with the libraries this system lacked.
root=$(cd "$(dirname "$0")/../root" && pwd)
LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  exec "$root/usr/bin/gdb" "$@"
WRAP
  chmod +x "$WRAPPER"
  runs "$WRAPPER" || return 1
  echo "gdb-minimal" > "$STAMP"
}

install_system_gdb() {
  [ "$(id -u)" = 0 ] || return 1
  echo "pagelab set-up: gdb-minimal from .deps does not run here; installing gdb with apt-get (as root)" >&2
  apt-get -qq update >&2 && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y gdb >&2 || return 1
  command -v gdb
}

main() {
  exec 9>"$PAGELAB_DEPS/gdb.lock"
  flock 9
  system_gdb && return 0
  if [ -f "$STAMP" ] && runs "$WRAPPER"; then
    echo "$WRAPPER"
    return 0
  fi
  if download_gdb_minimal; then
    echo "$WRAPPER"
    return 0
  fi
  install_system_gdb || die "no gdb: gdb-minimal could not be downloaded or does not run, and apt-get install gdb
needs root. Install gdb (Debian: apt-get install gdb)."
}

main "$@"
