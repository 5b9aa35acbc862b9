#!/bin/sh
# Generate configure and Makefile.in from a checkout.
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf --install --force --warnings=all
