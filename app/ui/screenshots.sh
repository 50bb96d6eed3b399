#!/usr/bin/env bash
# Renders every panel of a fresh demo store to PNG at 100% and 200% scale, under Xvfb, with the real
# `berth gui --screenshot` mode: the pictures in README.md ("Screens") come from here.
#   app/ui/screenshots.sh BUILD_DIR [OUT_DIR]      (default OUT_DIR: assets/screenshots)
# PANELS="offers case" app/ui/screenshots.sh BUILD_DIR renders only those. `offers` (the match view with its
# offers) and `case` (the case log) come after some casework done through the CLI on the same referral:
# the package offered to three homes, one decline, one acceptance, a call and a chase reminder.
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
panels=${PANELS:-huddle referral match plan capacity voids sync settings offers case}
mkdir -p "$out"
shoot() {  # shoot NAME PANEL
  for scale in 1 2; do
    file="$out/$1@${scale}x.png"
    xvfb-run -a -s "-screen 0 $((1280 * scale + 64))x$((800 * scale + 64))x24" \
      "$berth" --store "$work/store" --passphrase-file "$work/pass" gui --screenshot "$file" --frames 3 \
      --panel "$2" --scale "$scale" ${referral:+--referral "$referral"}
    echo "wrote $file"
  done
}
for panel in huddle referral match plan capacity voids sync settings; do
  [[ " $panels " == *" $panel "* ]] && shoot "$panel" "$panel"
done
if [[ " $panels " == *" offers "* || " $panels " == *" case "* ]]; then
  cli() { "$berth" --store "$work/store" --passphrase-file "$work/pass" --as broker.ahmed "$@"; }
  homes=$(cli match "$referral" --json | python3 -c '
import json, sys
seen = []
for c in json.load(sys.stdin)["candidates"]:
    if c["kind"] == "bed" and c["provider_id"] not in [s.split(":")[0] for s in seen]:
        seen.append(c["provider_id"] + ":" + c["bed_id"])
print(" ".join(seen[:3]))')
  # shellcheck disable=SC2086
  offers=$(cli offer "$referral" $homes --json | python3 -c 'import json,sys; print(" ".join(o["offer_id"] for o in json.load(sys.stdin)))')
  read -r first second _ <<<"$offers"
  cli decline "$second" --reason not_compatible >/dev/null
  cli accept "$first" >/dev/null
  cli referral note "$referral" --kind call "rang the home: they can assess on the ward tomorrow" >/dev/null
  cli referral note "$referral" --kind reminder --due "$(date -u +%F)" "chase the funding panel" >/dev/null
  [[ " $panels " == *" offers "* ]] && shoot offers match
  [[ " $panels " == *" case "* ]] && shoot case case
fi
