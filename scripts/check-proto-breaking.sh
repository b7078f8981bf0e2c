#!/usr/bin/env bash
# Contract discipline: fails when proto/ is incompatible with the last
# published contract, which proto/buf.image.txtpb records (a buf
# image in text form, so a change to it reads as a diff in review). The rules
# are buf.yaml's `breaking` section (FILE): a changed field number, type or
# name, a removed field, enum value, message, RPC or file, ... An incompatible
# change belongs in a new version package (reel.catalog.v2 beside v1), which
# adds files and breaks nothing.
#
#   scripts/check-proto-breaking.sh            # check (the test command runs it)
#   scripts/check-proto-breaking.sh --update   # record proto/ as the baseline
#
# A compatible change (a new field, RPC or package) passes `buf breaking` but
# leaves the baseline behind, so the check fails until the baseline is updated
# with --update and committed with the change: the next check then protects
# the new fields too.
set -euo pipefail
cd "$(dirname "$0")/.."
BASELINE=proto/buf.image.txtpb
BUF=tools/buf/node_modules/.bin/buf
if [[ ! -x $BUF ]]; then
  (cd tools/buf && npm ci --no-audit --no-fund --loglevel=error)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd proto && "../$BUF" build --exclude-source-info -o "$tmp/current.txtpb")

if [[ ${1:-} == --update ]]; then
  cp "$tmp/current.txtpb" "$BASELINE"
  echo "buf breaking: recorded proto/ as the published contract in $BASELINE (commit it)"
  exit 0
fi
if [[ ! -f $BASELINE ]]; then
  echo "buf breaking: no baseline at $BASELINE; record one with $0 --update" >&2
  exit 1
fi
if ! (cd proto && "../$BUF" breaking --against "../$BASELINE"); then
  cat >&2 <<MSG
buf breaking: proto/ is incompatible with the published contract ($BASELINE).
  Make the change in a new version package (e.g. reel.catalog.v2) instead. Only
  if every client has agreed to the break, record it with: $0 --update
MSG
  exit 1
fi
if ! cmp -s "$tmp/current.txtpb" "$BASELINE"; then
  echo "buf breaking: proto/ changed compatibly, but $BASELINE still records the" \
    "previous contract: run $0 --update and commit the result with the change" >&2
  exit 1
fi
echo "buf breaking: proto/ is compatible with the published contract ($BASELINE)"
