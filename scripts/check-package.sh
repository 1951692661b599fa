#!/usr/bin/env bash
# Checks the package as users receive it: pack, lint the package (publint), check the types of
# every entry for import and require (@arethetypeswrong/cli), then install the tarball into a
# fresh project and use it from ESM and from CommonJS.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "packed $tarball"
npx --no-install publint --strict "$work/$tarball"
# Baileys ships ESM only; `require` of it works on Node >= 20.19 (our engines field), which attw cannot know.
npx --no-install attw --pack "$work/$tarball" --profile node16 --ignore-rules cjs-resolves-to-esm

app="$work/app"
mkdir -p "$app"
cp test/package/smoke.mjs test/package/smoke.cjs "$app/"
cd "$app"
printf '{ "name": "wafleet-smoke", "private": true }\n' > package.json
npm install --no-audit --no-fund --ignore-scripts --prefer-offline "$work/$tarball" >/dev/null
WAFLEET_LOG_LEVEL=warn node smoke.mjs
WAFLEET_LOG_LEVEL=warn node smoke.cjs
echo "package checks passed"
