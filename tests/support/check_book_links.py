#!/usr/bin/env python3
"""Checks the links of the built book (mdBook's HTML output), without the network.

    python3 tests/support/check_book_links.py --book target/book --src docs

Every relative `href` and `src` of every page must name a file of the book, and its `#fragment`
an `id` (or `name`) in that file. A link that leaves the book points into the repository: it is
resolved from the page's source file in `--src` and must name a file there (`../template.yaml`
from docs/ is the repository's template). External links (http, https, mailto) are not fetched:
they are listed at the end. Every Markdown page of `--src` must be a chapter of SUMMARY.md (a
page left out would be missing from the book). Exits 1, naming each broken link and the page it
is on, and each page left out.
"""

import argparse
import os
import re
import sys
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

# mdBook's own pages and assets, not written from docs/.
SKIPPED_PAGES = {"print.html", "404.html", "toc.html"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name"):
            if attrs.get(name):
                self.ids.add(attrs[name])
        for name in ("href", "src"):
            if attrs.get(name):
                self.links.append(attrs[name])


def parse(path, cache):
    if path not in cache:
        page = Page()
        with open(path, encoding="utf-8") as f:
            page.feed(f.read())
        cache[path] = page
    return cache[path]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--book", required=True, help="the built book (mdBook's build-dir)")
    parser.add_argument("--src", required=True, help="the book's source folder")
    args = parser.parse_args()
    book = os.path.realpath(args.book)
    src = os.path.realpath(args.src)
    repo = os.path.dirname(src)

    cache = {}
    broken, external, outside = [], set(), set()
    pages = 0
    for folder, _, files in os.walk(book):
        for name in sorted(files):
            if not name.endswith(".html") or (folder == book and name in SKIPPED_PAGES):
                continue
            path = os.path.join(folder, name)
            rel_page = os.path.relpath(path, book)
            pages += 1
            for link in parse(path, cache).links:
                parts = urlsplit(link)
                if parts.scheme or link.startswith("//"):
                    if parts.scheme in ("http", "https", "mailto"):
                        external.add(link)
                    continue
                target_path = unquote(parts.path)
                if target_path == "":
                    target = path
                else:
                    target = os.path.normpath(os.path.join(folder, target_path))
                if os.path.commonpath([target, book]) != book:
                    # Out of the book: the repository file the source page points at.
                    source_dir = os.path.join(src, os.path.dirname(rel_page))
                    in_repo = os.path.normpath(os.path.join(source_dir, target_path))
                    if os.path.commonpath([in_repo, repo]) != repo or not os.path.exists(in_repo):
                        broken.append(f"{rel_page}: {link} (outside the book, and no such file in the repository)")
                    else:
                        outside.add(os.path.relpath(in_repo, repo))
                    continue
                if os.path.isdir(target):
                    target = os.path.join(target, "index.html")
                if not os.path.exists(target):
                    broken.append(f"{rel_page}: {link} (no such file)")
                    continue
                fragment = unquote(parts.fragment)
                if fragment and target.endswith(".html") and fragment not in parse(target, cache).ids:
                    broken.append(f"{rel_page}: {link} (no id `{fragment}` in {os.path.relpath(target, book)})")

    with open(os.path.join(src, "SUMMARY.md"), encoding="utf-8") as f:
        chapters = {os.path.normpath(m) for m in re.findall(r"\]\(([^)#]+\.md)", f.read())}
    for folder, _, files in os.walk(src):
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(folder, name), src)
            if name.endswith(".md") and rel != "SUMMARY.md" and rel not in chapters:
                broken.append(f"{rel}: not a chapter of SUMMARY.md, so not in the book")

    if pages == 0:
        print(f"no pages under {args.book}: build the book first (mdbook build docs)")
        return 1
    if outside:
        print(f"{len(outside)} repository files linked from the book: " + ", ".join(sorted(outside)))
    if external:
        print(f"{len(external)} external links, not fetched:")
        for link in sorted(external):
            print(f"  {link}")
    if broken:
        print(f"{len(broken)} problems in the book:")
        for line in broken:
            print(f"  {line}")
        return 1
    print(f"book links: {pages} pages, every relative link and fragment resolves, every page of {args.src} is a chapter")
    return 0


if __name__ == "__main__":
    sys.exit(main())
