#!/usr/bin/env bash
# The book (docs/, mdBook): builds it into target/book and checks every link in it
# (tests/support/check_book_links.py: relative links and #fragments, links into the
# repository; external links are listed, not fetched). tests/run.sh runs it; it runs on its own
# too: `bash tests/book.sh`.
#
# mdbook comes from crates.io, pinned, installed into target/tools (without its `serve` and
# `watch` features, which the build does not need).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

mdbook_version=0.4.52
mdbook=target/tools/bin/mdbook
if ! "$mdbook" --version 2>/dev/null | grep -qx "mdbook v$mdbook_version"; then
  echo "installing mdbook $mdbook_version into target/tools: it compiles for several minutes, once"
  cargo install mdbook --locked --version "$mdbook_version" --no-default-features --features search \
    --root target/tools --quiet
fi
rm -rf target/book
"$mdbook" build docs
python3 tests/support/check_book_links.py --book target/book --src docs
