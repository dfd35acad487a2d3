#!/usr/bin/env bash
# Create .venv beside the checkout and install cmhash with every extra and its test tools ([dev]).
# PyTorch is pinned first: on these machines 2.13.0 is the CPU build that lies on disk.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
