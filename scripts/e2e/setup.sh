#!/usr/bin/env bash
# Installs what the offline end-to-end tests need, once per machine (idempotent, no prompts):
#   - Debian packages: chromium (the browser that drives the workbench), libkrb5-dev (headers for VS Code's
#     kerberos module), ripgrep (stands in for @vscode/ripgrep's GitHub download);
#   - code-server (a real VS Code workbench + node extension host, from npm) into a cache folder.
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/driver-guard-e2e"
PREFIX="$CACHE/code-server-$CODE_SERVER_VERSION"

say() { printf 'e2e-setup: %s\n' "$*"; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
command -v krb5-config >/dev/null 2>&1 || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

healthy() {
  [ -x "$PREFIX/node_modules/.bin/code-server" ] &&
  [ -e "$PREFIX/node_modules/code-server/lib/vscode/node_modules.asar" ] &&
  [ -n "$(find "$PREFIX/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin" -name rg 2>/dev/null | head -n 1)" ]
}

if healthy; then
  say "code-server $CODE_SERVER_VERSION ready in $PREFIX"
  exit 0
fi

say "installing code-server $CODE_SERVER_VERSION into $PREFIX (about a minute)"
rm -rf "$PREFIX"
mkdir -p "$PREFIX"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache already holds the tarball: seed it with
# Debian's rg. Package version and release tag are read from the package code-server depends on.
(cd "$work" && npm pack --silent "code-server@$CODE_SERVER_VERSION" >/dev/null && tar xzf code-server-*.tgz)
# The exact @vscode/ripgrep version code-server's nested install will use comes from its shrinkwrap.
ripgrep_spec="@vscode/ripgrep@$(node -e '
  const lock = require(process.argv[1]);
  process.stdout.write(lock.packages["node_modules/@vscode/ripgrep"].version);
' "$work/package/lib/vscode/npm-shrinkwrap.json")"
(cd "$work" && npm pack --silent "$ripgrep_spec" >/dev/null && mkdir rgpkg && tar xzf vscode-ripgrep-*.tgz -C rgpkg)
ripgrep_version="$(node -p 'require(process.argv[1]).version' "$work/rgpkg/package/package.json")"
ripgrep_tag="$(grep -oE "VERSION = '[^']+'" "$work/rgpkg/package/lib/postinstall.js" | head -n1 | sed -E "s/VERSION = '([^']+)'/\1/")"
[ -n "$ripgrep_tag" ] || ripgrep_tag="$(grep -oE "v[0-9]+\.[0-9]+\.[0-9]+-[0-9]+" "$work/rgpkg/package/lib/postinstall.js" | head -n1)"
tmpdir="$(node -p 'require("os").tmpdir()')"
ripgrep_cache="$tmpdir/vscode-ripgrep-cache-$ripgrep_version"
mkdir -p "$ripgrep_cache" "$work/rgbin"
cp "$(command -v rg)" "$work/rgbin/rg"
for arch in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  tar -czf "$ripgrep_cache/ripgrep-$ripgrep_tag-$arch.tar.gz" -C "$work/rgbin" rg
done
say "seeded ripgrep $ripgrep_tag cache for @vscode/ripgrep $ripgrep_version"

cd "$PREFIX"
printf '{ "name": "driver-guard-e2e-code-server", "private": true }\n' > package.json
# --unsafe-perm: code-server's postinstall refuses root without it; npm_config_yes: node-pty runs `npx node-gyp`.
npm_config_yes=true PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --unsafe-perm \
  "code-server@$CODE_SERVER_VERSION" > "$PREFIX/install.log" 2>&1 || {
  say "code-server install failed; last lines of $PREFIX/install.log:"
  tail -n 30 "$PREFIX/install.log"
  exit 1
}
if ! healthy; then
  say "code-server installed but its postinstall did not finish (see $PREFIX/install.log)"
  tail -n 30 "$PREFIX/install.log"
  exit 1
fi
say "code-server $CODE_SERVER_VERSION ready"
