#!/bin/sh
# Unpack the restatectl binary for one architecture from its npm package into DEST.
# Usage: fetch-restatectl.sh <docker TARGETARCH: amd64|arm64> <restatectl version> <dest file>
set -eu
target_arch="$1"
version="$2"
dest="$3"
case "$target_arch" in
  amd64) npm_arch=x64 ;;
  arm64) npm_arch=arm64 ;;
  *) echo "fetch-restatectl: unsupported architecture '$target_arch' (amd64 or arm64)" >&2; exit 1 ;;
esac
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "@restatedev/restatectl-linux-${npm_arch}@${version}" >/dev/null
tar -xzf "restatedev-restatectl-linux-${npm_arch}-${version}.tgz"
install -D -m 0755 package/bin/restatectl "$dest"
echo "fetch-restatectl: restatectl ${version} for linux-${npm_arch} -> ${dest}"
