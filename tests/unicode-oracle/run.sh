#!/bin/sh
# tests/unicode-oracle/run.sh: compares src/email.c with email-validator 2.3.0 itself (pydantic's EmailStr
# wrapper around it, idna doing the IDNA) on generated addresses; prints the number of differences and the first
# few. Not part of make check: it needs a Python with pydantic 2 and idna 3 installed, and email-validator 2.3.0's
# source (its repository at tag v2.3.0, folder email_validator/) in EMAIL_VALIDATOR_SRC's folder.
#   EMAIL_VALIDATOR_SRC=/path/holding/email_validator tests/unicode-oracle/run.sh [SEED] [COUNT]
# Run after make (it links libgatehouse.a).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seed=${1:-1} count=${2:-20000}
work=$(mktemp -d /tmp/gatehouse-oracle.XXXXXX)
trap 'rm -rf "$work"' EXIT
cc -O1 -D_GNU_SOURCE -o "$work/cside" "$here/cside.c" "$top/libgatehouse.a" -lidn2 -lunistring
{ python3 "$here/gen.py" "$seed" "$count"; python3 "$here/gen2.py" "$seed" "$count"; } >"$work/in.hex"
python3 "$here/oracle.py" <"$work/in.hex" >"$work/py.out"
"$work/cside" <"$work/in.hex" >"$work/c.out"
paste "$work/in.hex" "$work/py.out" "$work/c.out" >"$work/all.tsv"
n=$(awk -F'\t' '$2 != $4 || $3 != $5' "$work/all.tsv" | wc -l)
echo "$(wc -l <"$work/in.hex") addresses, $n differences"
awk -F'\t' '$2 != $4 || $3 != $5' "$work/all.tsv" | head -n 10 | python3 -c '
import sys
for line in sys.stdin:
    h, pk, pv, ck, cv = line.rstrip("\n").split("\t")
    print(repr(bytes.fromhex(h).decode()), "\n  email-validator:", pk, bytes.fromhex(pv).decode(),
          "\n  email.c:        ", ck, bytes.fromhex(cv).decode())'
[ "$n" -eq 0 ]
