#!/bin/sh
# test_neon_qemu.sh: cross-compiles the scalar + NEON kernels, the dispatch and test_kernels.c
# for aarch64 (static) and runs them under qemu-aarch64; fails unless the NEON path was tested.
# usage: test_neon_qemu.sh CROSS_GCC QEMU_AARCH64 SOURCE_ROOT BUILD_DIR
set -eu
CC=$1 QEMU=$2 SRC=$3 OUT=$4
K=$SRC/engine/kernels
BIN=$OUT/test_kernels_aarch64
"$CC" -std=c11 -O2 -static -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
  -I"$K" -I"$SRC/engine/include" \
  "$K/kernels_scalar.c" "$K/kernels_dispatch.c" "$K/bconv3x3_neon.c" "$K/pack_neon.c" \
  "$SRC/tests/engine/kernels/test_kernels.c" -lm -o "$BIN"
LOG=$OUT/test_kernels_aarch64.log
rc=0
"$QEMU" "$BIN" --require neon >"$LOG" 2>&1 || rc=$?
cat "$LOG"
grep -q '^tested ISAs:.* neon' "$LOG" || { echo "NEON path was not exercised"; exit 1; }
exit $rc
