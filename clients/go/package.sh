#!/usr/bin/env bash
# Packages the module as a release, after `go generate ./...`: writes OUT as
# a module proxy (the GOPROXY protocol's files) that serves
# reel.dev/reel/clients/go at vVERSION (the repository's VERSION) with the
# generated stubs in it, which git does not hold:
#
#   OUT/reel.dev/reel/clients/go/@v/list, vVERSION.info, vVERSION.mod, vVERSION.zip
#
# Served as it is (file://OUT or over HTTP), `go get
# reel.dev/reel/clients/go@vVERSION` downloads the module from it
# (README.md, "Depend on it").
#
#   clients/go/package.sh OUT
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: clients/go/package.sh OUT" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
module=$(sed -n 's/^module[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$here/go.mod")
version=v$(tr -d '[:space:]' <"$here/../../VERSION")
if ! grep -qx "const Version = \"${version#v}\"" "$here/reel/version.go" 2>/dev/null ||
  ! compgen -G "$here/*/*.pb.go" >/dev/null; then
  echo "package.sh: no stubs of VERSION ${version#v}: run go generate ./... first" >&2
  exit 1
fi
at=$out/$module/@v  # (a module path with capitals would need the proxy's !escaping)
mkdir -p "$at"
cp "$here/go.mod" "$at/$version.mod"
printf '{"Version":"%s","Time":"%s"}\n' "$version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$at/$version.info"
touch "$at/list"
{ grep -vx -- "$version" "$at/list" || true; echo "$version"; } >"$at/list.new"
mv "$at/list.new" "$at/list"

# The zip: every file of the module under MODULE@VERSION/, as the go command
# lays one out; not the workspace (go.work, gen/), nor folders that are
# modules of their own. The repository's LICENSE comes along, as the go
# command does for a module in a subfolder without one.
/usr/bin/python3 - "$here" "$module@$version" "$at/$version.zip" <<'PYTHON'
import os, sys, zipfile

root, prefix, target = sys.argv[1:]
entries = {}
for folder, folders, files in os.walk(root):
    relative = os.path.relpath(folder, root)
    if relative != "." and ("go.mod" in files or relative.split(os.sep)[0] == "gen"):
        folders[:] = []
        continue
    folders[:] = [f for f in folders if f not in (".git", "vendor")]
    for name in files:
        if relative == "." and name in ("go.work", "go.work.sum"):
            continue
        path = os.path.normpath(os.path.join(relative, name))
        entries[path.replace(os.sep, "/")] = os.path.join(folder, name)
license_file = os.path.join(root, "..", "..", "LICENSE")
if "LICENSE" not in entries and os.path.isfile(license_file):
    entries["LICENSE"] = license_file
with zipfile.ZipFile(target + ".tmp", "w", zipfile.ZIP_DEFLATED) as archive:
    for name in sorted(entries):
        info = zipfile.ZipInfo(prefix + "/" + name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(entries[name], "rb") as source:
            archive.writestr(info, source.read())
os.replace(target + ".tmp", target)
print(f"go module: {prefix} ({len(entries)} files) in {os.path.dirname(target)}")
PYTHON
