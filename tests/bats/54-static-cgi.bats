#!/usr/bin/env bats
# ./configure --enable-static: one self-contained CGI program for a shared host without libfcgi, json-c,
# libsodium or libxcrypt. Built here from the source tree, then served by Apache from the shipped .htaccess
# (apache.bash) with the same smoke sequence as every server.

load helpers
load smoke
load apache

setup_file() {
	pg_mode && return 0	# every test skips (setup)
	for lib in libfcgi libjson-c libsqlite3 libsodium libcrypt libz; do
		[ -n "$(find /usr/lib /usr/lib64 -name "$lib.a" 2>/dev/null | head -n 1)" ] ||
			skip "$lib.a is not installed (the -dev packages ship it)"
	done
	S=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-static.XXXXXX")
	export S
	# A copy of the sources (a git checkout's files less the ignored ones, or the whole unpacked tarball), built on its own.
	if [ "$(git -C "$GATEHOUSE_SRC" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$GATEHOUSE_SRC" && pwd -P)" ]; then
		git -C "$GATEHOUSE_SRC" ls-files -z -co --exclude-standard | (cd "$GATEHOUSE_SRC" && tar --null -T - -cf -) | tar -xf - -C "$S"
	else
		cp -a "$GATEHOUSE_SRC/." "$S/"
	fi
	(cd "$S" && { [ -x configure ] || autoreconf -fi; } && ./configure --enable-static &&
		make -j2 gatehouse gatehousectl) >"$S/build.log" 2>&1 || { tail -n 30 "$S/build.log" >&2; return 1; }
	command -v apache2 >/dev/null || [ -x /usr/sbin/apache2 ] || skip "apache2 is not installed"
	GATEHOUSECTL="$S/gatehousectl" start_apache "$S/gatehouse"
}

setup() {
	sqlite_only "the self-contained CGI program for a shared host links SQLite alone"
}

teardown_file() {
	pg_mode && return 0
	stop_apache
	[ -z "${S:-}" ] || rm -rf "$S"
}

@test "--enable-static: both programs need no shared library" {
	for p in gatehouse gatehousectl; do
		run ldd "$S/$p"
		[[ $output == *"not a dynamic executable"* ]] || { echo "$p: $output"; false; }
	done
}

@test "--enable-static: served as CGI by Apache from the shipped .htaccess: login, create, list, 404, 405, 413" {
	smoke_sequence "http://127.0.0.1:$APORT/api"
}

@test "--enable-static: the CGI program with an empty environment but the request's still answers" {
	out=$(env -i GATEWAY_INTERFACE=CGI/1.1 GATEHOUSE_CONFIG="$A/data/gatehouse.conf" REQUEST_METHOD=GET \
		SCRIPT_NAME=/api.cgi PATH_INFO=/auth/config/ "$S/gatehouse" </dev/null)
	[[ $out == "Status: 200"* ]] || { echo "$out"; false; }
}
