#!/usr/bin/env bash
# Installs the tools the benchmark compares against (Debian packages), when missing.
set -euo pipefail
missing=()
command -v flawfinder >/dev/null || missing+=(flawfinder)
command -v cppcheck >/dev/null || missing+=(cppcheck)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench/setup: installing ${missing[*]} with apt"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
