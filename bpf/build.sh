#!/usr/bin/env bash
# Compiles every SRCDIR/*.bpf.c into OUTDIR/NAME.bpf.o (clang -O2 -g -target bpf: BTF for CO-RE).
# Called by Maven: bpf/ into the jar under /bpf, bpf/test/ into the test classpath.
# Usage: build.sh OUTDIR [SRCDIR]   (SRCDIR defaults to bpf/)
set -euo pipefail
inc="$(cd "$(dirname "$0")" && pwd)/include"
out="${1:?usage: build.sh OUTDIR [SRCDIR]}"
src="$(cd "${2:-$(dirname "$0")}" && pwd)"
mkdir -p "$out"
CLANG="${CLANG:-$(command -v clang || command -v clang-16 || command -v clang-14 || true)}"
[ -n "$CLANG" ] || { echo "bpf/build.sh: clang not found (apt-get install clang)" >&2; exit 1; }
arch_inc="/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
for c in "$src"/*.bpf.c; do
  o="$out/$(basename "${c%.c}").o"
  if [ -f "$o" ] && [ -z "$(find "$c" "$inc" -newer "$o" -print -quit)" ]; then continue; fi
  "$CLANG" -O2 -g -target bpf ${BPF_CFLAGS:-} -D__TARGET_ARCH_x86 -Wall -Werror -Wno-unused-function \
    -I "$inc" -I "$arch_inc" -c "$c" -o "$o"
done
