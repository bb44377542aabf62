#!/usr/bin/env bash
# Makes tmux available for the shell's pseudo-terminal test, idempotently; prints its path.
# The system's tmux is used when there is one. Otherwise Debian's tmux package and its libraries
# (libevent-core, libutempter) are downloaded with apt, using a private sources list and lists
# folder for this system's own release and mirror, and unpacked under .deps/tmux with a wrapper
# that points the loader at them. Nothing system-wide is changed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEST="$PAGELAB_DEPS/tmux"
mkdir -p "$PAGELAB_DEPS"

download_tmux() {
  command -v apt-get >/dev/null || die "tmux is missing and apt-get is not available to fetch it; install tmux"
  local mirror codename keyring work
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list*; cannot download tmux"
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || die "cannot tell this system's Debian release from /etc/os-release"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || die "$keyring is missing; cannot verify Debian packages"
  work="$PAGELAB_DEPS/apt-tmux"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  echo "deb [signed-by=$keyring] $mirror $codename main" > "$work/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
              -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
              -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -qq)
  echo "pagelab set-up: downloading tmux ($codename) into $DEST" >&2
  apt-get "${opts[@]}" update >&2 || die "apt-get update against $codename failed"
  local libevent
  libevent=$(apt-cache "${opts[@]}" depends tmux | awk '/Depends: libevent-core/ {print $2; exit}')
  (cd "$work/debs" && rm -f ./*.deb && apt-get "${opts[@]}" download tmux "${libevent:-libevent-core-2.1-7}" \
      libutempter0 >&2) || die "apt-get download tmux failed"
  rm -rf "$DEST" && mkdir -p "$DEST/root" "$DEST/bin"
  local deb
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$DEST/root"; done
  cat > "$DEST/bin/tmux" <<WRAP
#!/bin/sh
LD_LIBRARY_PATH="$DEST/root/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$DEST/root/usr/bin/tmux" "\$@"
WRAP
  chmod +x "$DEST/bin/tmux"
  "$DEST/bin/tmux" -V >/dev/null || die "the downloaded tmux does not run"
}

main() {
  exec 9>"$PAGELAB_DEPS/tmux.lock"
  flock 9
  if [ "${PAGELAB_TMUX_DOWNLOAD:-0}" != 1 ] && command -v tmux >/dev/null; then
    command -v tmux
    return
  fi
  [ -x "$DEST/bin/tmux" ] || download_tmux
  echo "$DEST/bin/tmux"
}

main "$@"
