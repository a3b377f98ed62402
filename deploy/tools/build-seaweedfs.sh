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
  echo "seaweedfs: Go is needed to build it (Debian: apt-get install golang-go; or https://go.dev/dl/); then rerun $0" >&2
  exit 1
}
# Go 1.21+ fetches the newer toolchain SeaweedFS wants by itself (GOTOOLCHAIN=auto; Debian's Go
# defaults to local). An older Go (Debian 12 ships 1.19) cannot, but can still download that
# toolchain, which the module proxy serves as the module golang.org/toolchain.
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
TOOLCHAIN="${SEAWEEDFS_GO_TOOLCHAIN:-go1.26.8}"
go_minor="$("$GO" env GOVERSION | sed -nE 's/^go1\.([0-9]+).*/\1/p')"
if [[ -z "$go_minor" || "$go_minor" -lt 21 ]]; then
  echo "seaweedfs: $("$GO" version) is too old to switch toolchains; downloading $TOOLCHAIN from the module proxy"
  arch="$("$GO" env GOARCH)"
  dir="$(cd "${TMPDIR:-/tmp}" && GOFLAGS=-mod=mod "$GO" mod download -json "golang.org/toolchain@v0.0.1-$TOOLCHAIN.linux-$arch" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')"
  [[ -n "$dir" && -f "$dir/bin/go" ]] || { echo "seaweedfs: could not download the $TOOLCHAIN toolchain" >&2; exit 1; }
  # Module zips drop file modes; the toolchain's own unpacker restores them the same way.
  chmod -R u+w "$dir" && chmod +x "$dir"/bin/* "$dir"/pkg/tool/*/*
  GO="$dir/bin/go"
  export GOTOOLCHAIN=local
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/darkroom-weed-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
cat >go.mod <<MOD
module darkroom.local/weedbuild

go 1.26.6

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
