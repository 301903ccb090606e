#!/usr/bin/env bash
# The Debian package: builds it with cargo-deb (installed when missing), installs it with
# dpkg, checks that every tool, man page and completion landed where Debian keeps them and
# works from there, and removes the package again so it does not shadow target/ binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dpkg >/dev/null || { echo "no dpkg here: skipping the Debian package check"; exit 0; }
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
apt_install() {
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
# man-db for `man -w`, bash-completion for the completion check.
need=()
command -v man >/dev/null || need+=(man-db)
[ -r /usr/share/bash-completion/bash_completion ] || need+=(bash-completion)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} ..."
  apt_install "${need[@]}"
fi
if ! cargo deb --version >/dev/null 2>&1; then
  echo "installing cargo-deb ..."
  start=$(date +%s)
  cargo install --locked --quiet cargo-deb
  echo "cargo-deb installed in $(($(date +%s) - start)) s"
fi

start=$(date +%s)
deb=$(cargo deb --locked --quiet | tail -1)
echo "built $deb in $(($(date +%s) - start)) s"
[ -f "$deb" ] || { echo "FAIL: cargo deb wrote no package"; exit 1; }

passed=0 failed=0
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then
    passed=$((passed + 1))
  else
    echo "FAIL: $what"
    failed=$((failed + 1))
  fi
}

# What the package holds, before it is installed: every binary, man page and completion of
# this checkout (so a tool added later cannot be left out), gzipped man pages.
contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
for src in src/bin/cast-*.rs; do
  name=$(basename "$src" .rs)
  check "$name is not in usr/bin" grep -qx "/usr/bin/$name" <<<"$contents"
  check "$name.1 is not in man1" grep -qx "/usr/share/man/man1/$name.1.gz" <<<"$contents"
  check "$name's bash completion is missing" \
    grep -qx "/usr/share/bash-completion/completions/$name.bash" <<<"$contents"
  check "$name's zsh completion is missing" \
    grep -qx "/usr/share/zsh/vendor-completions/_$name" <<<"$contents"
  check "$name's fish completion is missing" \
    grep -qx "/usr/share/fish/vendor_completions.d/$name.fish" <<<"$contents"
done
for f in /usr/share/man/man7/castkit.7.gz /usr/share/doc/castkit/README.md \
  /usr/share/doc/castkit/LICENSE-MIT /usr/share/doc/castkit/LICENSE-APACHE \
  /usr/share/doc/castkit/copyright; do
  check "$f is not in the package" grep -qx "$f" <<<"$contents"
done

# Installed: the tools run from /usr/bin, man finds the pages, bash completes.
$SUDO dpkg -i "$deb" >/dev/null
trap '$SUDO dpkg -r castkit >/dev/null 2>&1 || true' EXIT
check "cast-idle --version from /usr/bin" sh -c '/usr/bin/cast-idle --version | grep -q "^cast-idle "'
check "man -w cast-idle" sh -c 'man -w cast-idle | grep -q "^/usr/share/man/man1/cast-idle.1.gz$"'
check "man -w 7 castkit" sh -c 'man -w 7 castkit | grep -q "^/usr/share/man/man7/castkit.7.gz$"'
check "man renders cast-cut's page" sh -c 'MANWIDTH=200 man cast-cut 2>/dev/null | grep -qE -- "--from +T"'
# bash-completion loads a command's completion on first use, from the package's directory.
check "bash loads cast-idle's completion and completes its options" bash -c '
  source /usr/share/bash-completion/bash_completion
  _completion_loader cast-idle
  func=$(complete -p cast-idle | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
  [ -n "$func" ] || exit 1
  COMP_WORDS=(cast-idle --); COMP_CWORD=1; COMP_LINE="cast-idle --"; COMP_POINT=${#COMP_LINE}
  "$func" cast-idle -- cast-idle
  printf "%s\n" "${COMPREPLY[@]}" | grep -qx -- --in-place'
$SUDO dpkg -r castkit >/dev/null
trap - EXIT
check "dpkg -r removed /usr/bin/cast-idle" test ! -e /usr/bin/cast-idle

echo "deb: $passed passed, $failed failed"
[ "$failed" = 0 ]
