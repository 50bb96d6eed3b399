#!/usr/bin/env bash
# `make run`: opens Berth on the default store ($BERTH_STORE), creating the demo store first if there is
# none. Without a display it runs the headless equivalent and says so; it never waits for a window.
set -euo pipefail
build=${1:?build directory}
store=${BERTH_STORE:?}
berth="$build/app/berth"
pass_file=$(mktemp)
trap 'rm -f "$pass_file"' EXIT
# The demo store's passphrase is public: it holds only fictional people.
printf '%s\n' "${BERTH_PASSPHRASE:-demo passphrase}" > "$pass_file"

if [ ! -f "$store/berth.key" ]; then
  if "$berth" demo --help >/dev/null 2>&1; then
    echo "make run: creating the demo store in $store (passphrase: 'demo passphrase')"
    "$berth" --store "$store" --passphrase-file "$pass_file" demo
  else
    echo "make run: creating an empty store in $store (passphrase: 'demo passphrase')"
    "$berth" --store "$store" --passphrase-file "$pass_file" init
  fi
fi

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "make run: no display (DISPLAY is not set), so here is the headless equivalent:"
  if "$berth" report --help >/dev/null 2>&1; then
    exec "$berth" --store "$store" --passphrase-file "$pass_file" report queue
  fi
  exec "$berth" --store "$store" --passphrase-file "$pass_file" info
fi
exec "$berth" --store "$store" --passphrase-file "$pass_file" gui
