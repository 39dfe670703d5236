#!/usr/bin/env bash
# Install the real OpenWhisk clients the compatibility tests drive (the `openwhisk` npm client)
# into a cache directory, once. Prints the directory on the last line.
set -euo pipefail
DIR="${WHISK_CACHE_DIR:-$HOME/.cache/whisk}/npm-clients"
VERSION="${WHISK_OPENWHISK_NPM_VERSION:-3.21.9}"
mkdir -p "$DIR"
if [[ ! -f "$DIR/node_modules/openwhisk/package.json" ]] \
    || ! grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/openwhisk/package.json"; then
    echo "npm-clients.sh: installing openwhisk@$VERSION into $DIR" >&2
    (cd "$DIR" && [[ -f package.json ]] || echo '{"private": true}' > "$DIR/package.json")
    (cd "$DIR" && npm install --no-audit --no-fund --silent "openwhisk@$VERSION" >&2)
fi
echo "$DIR"
