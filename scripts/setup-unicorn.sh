#!/usr/bin/env bash
# Makes libunicorn >= 2.1 (library and headers) available under .deps/unicorn, idempotently.
#   .deps/unicorn/lib/libunicorn.so.2   the library the Java binding and the C bench load
#   .deps/unicorn/include/unicorn/*.h   the headers the C bench compiles against
# A system libunicorn is used only if it reports >= 2.1 and its headers are installed. Otherwise
# Debian trixie's libunicorn2t64 + libunicorn-dev binary packages are downloaded with apt, using a
# private sources list and lists folder (the mirror is read from this system's apt configuration),
# and unpacked. Nothing system-wide is changed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEST="$PAGELAB_DEPS/unicorn"
STAMP="$DEST/.complete"
mkdir -p "$PAGELAB_DEPS"

# unicorn_version LIBRARY -> prints uc_version() as "major.minor.patch" (needs gcc).
unicorn_version() {
  local probe="$PAGELAB_DEPS/uc-version-probe"
  if [ ! -x "$probe" ]; then
    command -v gcc >/dev/null || die "gcc is needed to check libunicorn's version; install gcc"
    cat > "$probe.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    unsigned (*version)(unsigned *, unsigned *) = (unsigned (*)(unsigned *, unsigned *))dlsym(h, "uc_version");
    if (!version) return 1;
    unsigned v = version(0, 0);
    printf("%u.%u.%u\n", (v >> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff);
    return 0;
}
C
    gcc -O1 -o "$probe" "$probe.c" -ldl
  fi
  "$probe" "$1"
}

# at_least_2_1 VERSION -> success if VERSION is 2.1 or newer.
at_least_2_1() {
  local major minor
  IFS=. read -r major minor _ <<<"$1"
  [ "${major:-0}" -gt 2 ] || { [ "${major:-0}" -eq 2 ] && [ "${minor:-0}" -ge 1 ]; }
}

already_done() {
  [ -f "$STAMP" ] && [ -e "$DEST/lib/libunicorn.so.2" ] && [ -f "$DEST/include/unicorn/unicorn.h" ]
}

use_system_unicorn() {
  local lib v
  lib=$(/sbin/ldconfig -p 2>/dev/null | awk '/libunicorn\.so\.2 .*x86-64/ {print $NF; exit}')
  [ -n "$lib" ] && [ -f /usr/include/unicorn/unicorn.h ] || return 1
  v=$(unicorn_version "$lib") || return 1
  at_least_2_1 "$v" || { echo "pagelab set-up: system libunicorn is $v (< 2.1), not used" >&2; return 1; }
  mkdir -p "$DEST/lib" "$DEST/include"
  ln -sfn "$lib" "$DEST/lib/libunicorn.so.2"
  ln -sfn /usr/include/unicorn "$DEST/include/unicorn"
  echo "system $v" > "$STAMP"
}

download_trixie_packages() {
  command -v apt-get >/dev/null || die "libunicorn >= 2.1 is missing and apt-get is not available to fetch it.
Install Debian trixie's libunicorn2t64 and libunicorn-dev (2.1.x) yourself, or unpack them into $DEST."
  local mirror work keyring
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list*; cannot download libunicorn 2.1"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || die "$keyring is missing; cannot verify Debian packages"
  work="$PAGELAB_DEPS/apt"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  echo "deb [signed-by=$keyring] $mirror trixie main" > "$work/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
              -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
              -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -qq)
  echo "pagelab set-up: downloading libunicorn 2.1 (Debian trixie packages) into $DEST" >&2
  apt-get "${opts[@]}" update >&2 || die "apt-get update against the trixie suite failed"
  (cd "$work/debs" && rm -f ./*.deb && apt-get "${opts[@]}" download libunicorn2t64 libunicorn-dev >&2) \
    || die "apt-get download libunicorn2t64 libunicorn-dev failed"
  rm -rf "$work/root" && mkdir -p "$work/root"
  local deb
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  rm -rf "$DEST" && mkdir -p "$DEST/lib" "$DEST/include"
  cp -a "$work"/root/usr/lib/x86_64-linux-gnu/libunicorn.so.2* "$DEST/lib/"
  cp -a "$work/root/usr/include/unicorn" "$DEST/include/"
  local v
  v=$(unicorn_version "$DEST/lib/libunicorn.so.2") || die "the downloaded libunicorn does not load"
  at_least_2_1 "$v" || die "the downloaded libunicorn reports $v, older than 2.1"
  echo "trixie $v" > "$STAMP"
}

main() {
  exec 9>"$PAGELAB_DEPS/unicorn.lock"
  flock 9
  if ! already_done; then
    use_system_unicorn || download_trixie_packages
  fi
  echo "$DEST/lib/libunicorn.so.2"
}

main "$@"
