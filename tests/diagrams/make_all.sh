#!/bin/sh
# Regenerate every course diagram into nbs/images/ (each script recomputes its numbers with cleangpt and
# asserts them), then check each SVG parses and screenshot it with headless Chromium into /tmp/cleangpt_diagrams/.
# Run from anywhere: sh tests/diagrams/make_all.sh
set -e
cd "$(dirname "$0")/../.."
for f in tests/diagrams/d[0-9]*.py; do python "$f"; done
python tests/diagrams/render.py
