#!/usr/bin/env bats
# make install respects the administrator: programs in sbin, the configuration installed only where none
# exists and never removed, the annotated original always in the documentation, every path a reader sees taken
# from configure.

setup_file() {
	: "${GATEHOUSE_BIN:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
	DEST=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-install.XXXXXX")
	export DEST GATEHOUSE_BIN
	make -s -C "$GATEHOUSE_BIN" install DESTDIR="$DEST" >"$DEST.out1" 2>&1 || { cat "$DEST.out1" >&2; return 1; }
}
teardown_file() { rm -rf "$DEST" "$DEST".out*; }

sbin() { find "$DEST" -path "*/sbin/$1" -type f; }

@test "programs go to sbin, manuals to sections 5 and 8, examples and licence to the documentation" {
	[ -x "$(sbin gatehouse)" ]
	[ -x "$(sbin gatehousectl)" ]
	run find "$DEST" -path '*/bin/gatehouse*' -not -path '*/sbin/*'
	[ -z "$output" ]
	for f in man8/gatehouse.8 man8/gatehousectl.8 man5/gatehouse.conf.5 doc/gatehouse/LICENSE \
		doc/gatehouse/README.md doc/gatehouse/examples/gatehouse.conf doc/gatehouse/examples/nginx.conf.example; do
		[ -n "$(find "$DEST" -path "*/$f" -type f)" ] || { echo "$f not installed"; false; }
	done
}

@test "the paths in --help, the manuals and the installed files are the ones configure chose" {
	# --help names the default configuration; it was installed exactly there.
	conf=$("$(sbin gatehouse)" --help | sed -n 's/.*(default: \$GATEHOUSE_CONFIG or \(.*\))$/\1/p')
	[ -n "$conf" ]
	[ -f "$DEST$conf" ]
	run grep -rlI '@[a-z_]*@' "$DEST"
	[ -z "$output" ] || { echo "unsubstituted: $output"; false; }
	man8=$(find "$DEST" -path '*/man8/gatehouse.8')
	grep -q "^\.It Pa $conf\$" "$man8"
	db=$(sed -n 's/^#database = //p' "$DEST$conf")
	grep -q "^\.It Pa $db\$" "$man8"
	sock=$(sed -n 's/^[[:space:]]*server unix:\(.*\);$/\1/p' "$(find "$DEST" -name nginx.conf.example)")
	[ -n "$sock" ]
	grep -q "^\.It Pa $sock\$" "$man8"
	# No hard-coded system path anywhere a reader sees it, whatever the prefix.
	prefix=${conf%/etc/gatehouse.conf}
	if [ "$prefix" != "" ] && [ "$prefix" != /usr ]; then
		run grep -rnE '(^|[^a-z/])/(etc|run|var/lib)/gatehouse' "$man8" "$DEST$conf" \
			"$(find "$DEST" -name nginx.conf.example)" "$(find "$DEST" -path '*/man8/gatehousectl.8')" \
			"$(find "$DEST" -path '*/man5/gatehouse.conf.5')"
		[ -z "$output" ] || { echo "fixed system paths under prefix $prefix: $output"; false; }
	fi
}

@test "a second install keeps an edited configuration; uninstall leaves it" {
	conf=$("$(sbin gatehouse)" --help | sed -n 's/.*(default: \$GATEHOUSE_CONFIG or \(.*\))$/\1/p')
	cmp "$DEST$conf" "$(find "$DEST" -path '*/examples/gatehouse.conf')"
	printf 'hash_cost = 7\n' >>"$DEST$conf"
	edited=$(sha256sum <"$DEST$conf")
	run make -s -C "$GATEHOUSE_BIN" install DESTDIR="$DEST"
	[ "$status" -eq 0 ]
	[[ $output == *"keeping $DEST$conf"* ]]
	[ "$(sha256sum <"$DEST$conf")" = "$edited" ]
	run make -s -C "$GATEHOUSE_BIN" uninstall DESTDIR="$DEST"
	[ "$status" -eq 0 ]
	[ "$(sha256sum <"$DEST$conf")" = "$edited" ]
	[ -z "$(sbin gatehouse)" ]
	run find "$DEST" -type f
	[ "$output" = "$DEST$conf" ]
}
