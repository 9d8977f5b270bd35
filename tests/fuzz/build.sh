#!/bin/sh
# tests/fuzz/build.sh [BUILD_DIR]: builds the libFuzzer harnesses with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer against the library sources (src/*.c and src/store/*.c except main.c, loop.c, ctl.c and ctl_ops.c). No autotools.
# BUILD_DIR defaults to build-fuzz/ at the top of the tree; CC (default clang) and EXTRA_CFLAGS may be set.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-${FUZZ_BUILD:-$top/build-fuzz}}
CC=${CC:-clang}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-std=c11 -g -O1 -D_GNU_SOURCE -I$top/src -Wall -Wextra -Wno-unused-parameter $SAN ${EXTRA_CFLAGS:-}"
PKGS="json-c sqlite3 libsodium libxcrypt libidn2"
DEPS_CFLAGS=$(pkg-config --cflags $PKGS)
DEPS_LIBS="$(pkg-config --libs $PKGS) -lunistring"

mkdir -p "$out/obj"
objs=""
for src in "$top"/src/*.c "$top"/src/store/*.c; do
	name=$(basename "$src" .c)
	case $name in main|loop|ctl|ctl_ops) continue ;; esac
	obj="$out/obj/$name.o"
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$top/src/gatehouse.h" -nt "$obj" ]; then
		echo "  CC       ${src#"$top"/}"
		$CC $CFLAGS -fsanitize=fuzzer-no-link $DEPS_CFLAGS -c "$src" -o "$obj"
	fi
	objs="$objs $obj"
done
echo "  CC       tests/fuzz/fuzz.c"
$CC $CFLAGS -fsanitize=fuzzer-no-link $DEPS_CFLAGS -c "$here/fuzz.c" -o "$out/obj/fuzz-common.o"
for h in "$here"/fuzz_*.c; do
	name=$(basename "$h" .c)
	echo "  CCLD     $name"
	$CC $CFLAGS -fsanitize=fuzzer $DEPS_CFLAGS "$h" "$out/obj/fuzz-common.o" $objs $DEPS_LIBS -o "$out/$name"
done
echo "build.sh: harnesses in $out"
