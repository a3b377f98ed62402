#!/usr/bin/env bash
# Builds SeaweedFS (an S3-compatible object store, Apache-2.0) from the Go module proxy into
# .tools/seaweedfs/weed, for the tests that run darkroom's S3 storage against a real server on
# loopback. Cached: does nothing when the binary is already there (delete it to rebuild).
#
# `go install …/weed@version` is refused because SeaweedFS's go.mod carries a `replace`, so the build
# goes through a throwaway module that requires SeaweedFS and repeats that replace.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT_DIR="$ROOT/.tools/seaweedfs"
OUT="$OUT_DIR/weed"
# No semver tags are published for SeaweedFS; pin the module proxy's pseudo-version.
VERSION="${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}"

if [[ -x "$OUT" ]]; then
  echo "seaweedfs: $OUT already built"
  exit 0
fi

GO="${GO:-$(command -v go || true)}"
[[ -n "$GO" ]] || { [[ -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go; }
[[ -n "$GO" && -x "$GO" ]] || {
  echo "seaweedfs: Go is needed to build it (https://go.dev/dl/, or Debian's golang-go if new enough); then rerun $0" >&2
  exit 1
}

# Debian's Go defaults to GOTOOLCHAIN=local; SeaweedFS may want a newer Go, which `auto` fetches.
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

work="$(mktemp -d "${TMPDIR:-/tmp}/darkroom-weed-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
cat >go.mod <<MOD
module darkroom.local/weedbuild

go 1.26

require github.com/seaweedfs/seaweedfs $VERSION

replace github.com/tyler-smith/go-bip39 => github.com/cosmos/go-bip39 v1.0.0
MOD
cat >tools.go <<'GO'
//go:build tools

package weedbuild

import _ "github.com/seaweedfs/seaweedfs/weed"
GO

start=$(date +%s)
echo "seaweedfs: building $VERSION with $("$GO" version) (a few minutes the first time)"
"$GO" mod tidy
mkdir -p "$OUT_DIR"
CGO_ENABLED=0 "$GO" build -trimpath -ldflags="-s -w" -o "$OUT.partial" github.com/seaweedfs/seaweedfs/weed
mv "$OUT.partial" "$OUT"
echo "seaweedfs: built $OUT in $(( $(date +%s) - start ))s"
