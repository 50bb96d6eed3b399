#!/usr/bin/env bash
# Renders every panel of a fresh demo store to PNG at 100% and 200% scale, under Xvfb, with the real
# `berth gui --screenshot` mode: the pictures in README.md ("Screens") come from here.
#   app/ui/screenshots.sh BUILD_DIR [OUT_DIR]      (default OUT_DIR: assets/screenshots)
set -euo pipefail
build=${1:?build directory, e.g. build/release}
out=${2:-assets/screenshots}
berth="$build/app/berth"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(umask 077 && printf 'demo passphrase\n' > "$work/pass")  # berth refuses a passphrase file others can read
"$berth" --store "$work/store" --passphrase-file "$work/pass" demo >/dev/null
# The match view shows the first referral the huddle plan places (one with options to explain).
referral=$("$berth" --store "$work/store" --passphrase-file "$work/pass" plan --json |
  python3 -c 'import json,sys; a=json.load(sys.stdin)["allocations"]; print(a[0]["referral_id"] if a else "")')
mkdir -p "$out"
for scale in 1 2; do
  for panel in huddle referral match plan capacity voids sync settings; do
    file="$out/$panel@${scale}x.png"
    xvfb-run -a -s "-screen 0 $((1280 * scale + 64))x$((800 * scale + 64))x24" \
      "$berth" --store "$work/store" --passphrase-file "$work/pass" gui --screenshot "$file" --frames 3 \
      --panel "$panel" --scale "$scale" ${referral:+--referral "$referral"}
    echo "wrote $file"
  done
done
