#!/usr/bin/env bash
# Re-vendor the pinned browser runtime (React, ReactDOM, Babel standalone) into frontend/vendor/.
# Reproducible: exact versions, installed into a throw-away directory, copied under versioned
# names, then the sha384 SRI hashes are printed. Paste any changed hash into frontend/index.html
# (the <script integrity> attributes and the BABEL_SRI constant in the loader) and README.md.
#
#   bash frontend/vendor/vendor.sh            # re-vendor and print hashes
#   bash frontend/vendor/vendor.sh --check    # only print the hashes of the files on disk
set -euo pipefail

REACT_VERSION=18.3.1
REACT_DOM_VERSION=18.3.1
BABEL_VERSION=7.29.10   # stay on the 7.x line: 8.x is a breaking major, not validated here

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

sri() { node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha384-"+c.createHash("sha384").update(f.readFileSync(process.argv[1])).digest("base64"))' "$1"; }

print_hashes() {
  for f in "react-${REACT_VERSION}.production.min.js" \
           "react-dom-${REACT_DOM_VERSION}.production.min.js" \
           "babel-standalone-${BABEL_VERSION}.min.js"; do
    printf '%-45s %9s bytes  %s\n' "$f" "$(wc -c < "$HERE/$f" | tr -d ' ')" "$(sri "$HERE/$f")"
  done
}

if [[ "${1:-}" == "--check" ]]; then print_hashes; exit 0; fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts --save-exact \
  "react@${REACT_VERSION}" "react-dom@${REACT_DOM_VERSION}" "@babel/standalone@${BABEL_VERSION}" >/dev/null

# Sanity: the installed versions are the pinned ones.
node -e '
const want = {react: process.argv[1], "react-dom": process.argv[2], "@babel/standalone": process.argv[3]};
for (const [n, v] of Object.entries(want)) {
  const got = require("./node_modules/" + n + "/package.json").version;
  if (got !== v) { console.error(n + ": wanted " + v + ", got " + got); process.exit(1); }
}' "$REACT_VERSION" "$REACT_DOM_VERSION" "$BABEL_VERSION"


cp "node_modules/react/umd/react.production.min.js"         "$HERE/react-${REACT_VERSION}.production.min.js"
cp "node_modules/react-dom/umd/react-dom.production.min.js" "$HERE/react-dom-${REACT_DOM_VERSION}.production.min.js"
cp "node_modules/@babel/standalone/babel.min.js"            "$HERE/babel-standalone-${BABEL_VERSION}.min.js"


print_hashes
