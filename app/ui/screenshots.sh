#!/usr/bin/env bash
# Renders every panel of a fresh demo store to PNG at 100% and 200% scale, under Xvfb, with the real
# `berth gui --screenshot` mode: the pictures in README.md ("Screens") come from here.
#   app/ui/screenshots.sh BUILD_DIR [OUT_DIR]      (default OUT_DIR: assets/screenshots)
# PANELS="offers case" app/ui/screenshots.sh BUILD_DIR renders only those; `contrast` renders the huddle board
# and the match view in the high contrast theme. `offers` (the match view with its
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
panels=${PANELS:-huddle referral match plan capacity voids sync settings contrast offers case}
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
  if [[ " $panels " == *" $panel "* ]]; then shoot "$panel" "$panel"; fi
done
# The high contrast theme (a preference of this device, never synced), on the board and the match view.
if [[ " $panels " == *" contrast "* ]]; then
  "$berth" --store "$work/store" --passphrase-file "$work/pass" settings set ui.theme high_contrast >/dev/null
  shoot huddle-high-contrast huddle
  shoot match-high-contrast match
  "$berth" --store "$work/store" --passphrase-file "$work/pass" settings set ui.theme light >/dev/null
fi
if [[ " $panels " == *" offers "* || " $panels " == *" case "* ]]; then
  cli() { "$berth" --store "$work/store" --passphrase-file "$work/pass" --as broker.ahmed "$@"; }
  # The first person the plan places who has beds in three homes: their package goes to all three.
  referral=""
  homes=""
  for id in $(cli plan --json | python3 -c 'import json,sys; print(" ".join(a["referral_id"] for a in json.load(sys.stdin)["allocations"]))'); do
    homes=$(cli match "$id" --json | python3 -c '
import json, sys
seen = {}
for c in json.load(sys.stdin)["candidates"]:
    if c["kind"] == "bed" and c["provider_id"] not in seen:
        seen[c["provider_id"]] = c["provider_id"] + ":" + c["bed_id"]
print(" ".join(list(seen.values())[:3]) if len(seen) >= 3 else "")')
    if [[ -n "$homes" ]]; then
      referral=$id
      break
    fi
  done
  # shellcheck disable=SC2086
  offers=$(cli offer "$referral" $homes --json | python3 -c 'import json,sys; print(" ".join(o["offer_id"] for o in json.load(sys.stdin)))')
  read -r first second _ <<<"$offers"
  cli decline "$second" --reason not_compatible >/dev/null
  cli accept "$first" >/dev/null
  cli referral note "$referral" --kind call "rang the home: they can assess on the ward tomorrow" >/dev/null
  cli referral note "$referral" --kind reminder --due "$(date -u +%F)" "chase the funding panel" >/dev/null
  if [[ " $panels " == *" offers "* ]]; then shoot offers match; fi
  if [[ " $panels " == *" case "* ]]; then shoot case case; fi
fi
