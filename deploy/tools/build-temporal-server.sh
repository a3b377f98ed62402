#!/usr/bin/env bash
# Builds the Temporal server (MIT) from the Go module proxy into .tools/temporal-server/:
#   temporal-server     the server itself (cmd/server), run with a config file for PostgreSQL
#   temporal-sql-tool   its schema tool (cmd/tools/sql), which creates and upgrades the schema
#   schema/             the PostgreSQL schema files that ship in the module source, copied out of
#                       the module cache so the schema tool can be pointed at them
# for the tests that run darkroom's production roles against a production Temporal server rather
# than the dev server the Temporal CLI embeds. Cached: does nothing when the version stamp matches
# (delete .tools/temporal-server to rebuild).
#
# The server module asks for a newer Go than Debian or most machines have; the go command fetches
# that toolchain from the module proxy by itself when GOTOOLCHAIN names it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT_DIR="${TEMPORAL_SERVER_DIR:-$ROOT/.tools/temporal-server}"
VERSION="${TEMPORAL_SERVER_VERSION:-v1.32.2}"
TOOLCHAIN="${TEMPORAL_SERVER_GO_TOOLCHAIN:-go1.27.3}"
STAMP="$OUT_DIR/version"

if [[ -x "$OUT_DIR/temporal-server" && -x "$OUT_DIR/temporal-sql-tool" && -d "$OUT_DIR/schema/postgresql" \
      && "$(cat "$STAMP" 2>/dev/null)" == "$VERSION" ]]; then
  echo "temporal-server: $OUT_DIR already holds $VERSION"
  exit 0
fi

GO="${GO:-$(command -v go || true)}"
[[ -n "$GO" ]] || { [[ -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go; }
[[ -n "$GO" && -x "$GO" ]] || {
  echo "temporal-server: Go is needed to build it (Debian: apt-get install golang-go; or https://go.dev/dl/); then rerun $0" >&2
  exit 1
}
go_minor="$("$GO" env GOVERSION | sed -nE 's/^go1\.([0-9]+).*/\1/p')"
if [[ -z "$go_minor" || "$go_minor" -lt 21 ]]; then
  # Too old to switch toolchains itself (Debian 12 ships 1.19), but it can download the toolchain,
  # which the module proxy serves as the module golang.org/toolchain.
  echo "temporal-server: $("$GO" version) is too old to switch toolchains; downloading $TOOLCHAIN from the module proxy"
  arch="$("$GO" env GOARCH)"
  dir="$(cd "${TMPDIR:-/tmp}" && GOFLAGS=-mod=mod "$GO" mod download -json "golang.org/toolchain@v0.0.1-$TOOLCHAIN.linux-$arch" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')"
  [[ -n "$dir" && -f "$dir/bin/go" ]] || { echo "temporal-server: could not download the $TOOLCHAIN toolchain" >&2; exit 1; }
  # Module zips drop file modes; the toolchain's own unpacker restores them the same way.
  chmod -R u+w "$dir" && chmod +x "$dir"/bin/* "$dir"/pkg/tool/*/*
  GO="$dir/bin/go"
  export GOTOOLCHAIN=local
else
  export GOTOOLCHAIN="$TOOLCHAIN"
fi

start=$(date +%s)
echo "temporal-server: building $VERSION with $TOOLCHAIN (several minutes the first time)"
work="$(mktemp -d "${TMPDIR:-/tmp}/darkroom-temporal-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# `go install pkg@version` builds in module mode outside any module, exactly as the server's own
# go.mod pins its dependencies (it has no replace directives).
(cd "$work" && GOBIN="$work/bin" GOFLAGS=-mod=mod CGO_ENABLED=0 "$GO" install -trimpath -ldflags="-s -w" \
  "go.temporal.io/server/cmd/server@$VERSION" "go.temporal.io/server/cmd/tools/sql@$VERSION")
src="$(cd "$work" && GOFLAGS=-mod=mod "$GO" mod download -json "go.temporal.io/server@$VERSION" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')"
[[ -n "$src" && -d "$src/schema/postgresql" ]] || { echo "temporal-server: schema files not found in the module source ($src)" >&2; exit 1; }

rm -rf "$OUT_DIR.partial"
mkdir -p "$OUT_DIR.partial/schema"
mv "$work/bin/server" "$OUT_DIR.partial/temporal-server"
mv "$work/bin/sql" "$OUT_DIR.partial/temporal-sql-tool"
cp -r "$src/schema/postgresql" "$OUT_DIR.partial/schema/postgresql"
chmod -R u+w "$OUT_DIR.partial/schema"
echo "$VERSION" >"$OUT_DIR.partial/version"
rm -rf "$OUT_DIR"
mv "$OUT_DIR.partial" "$OUT_DIR"
echo "temporal-server: built $VERSION into $OUT_DIR in $(( $(date +%s) - start ))s"
