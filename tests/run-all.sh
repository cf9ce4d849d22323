#!/bin/sh
# tests/run-all.sh: the test command of README.md and CI: packages, a release build and an
# AddressSanitizer/UBSan build, and `meson test` in both.
set -eu
cd "$(dirname "$0")/.."
sh setup.sh --deps
[ -d build ] || meson setup build
meson compile -C build
meson test -C build --print-errorlogs --num-processes 2
[ -d build-asan ] || CC=clang meson setup build-asan -Dbuildtype=debugoptimized \
  -Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true
meson compile -C build-asan
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite slow
