#!/usr/bin/env bash
# Runs every fuzz target for a short time (FUZZTIME, 10s by default), one
# after the other, for CI. The seeds (f.Add and testdata/fuzz/<FuzzName>/)
# also run in every `go test ./...`; this finds new inputs. A failure leaves
# the input under <package>/testdata/fuzz/<FuzzName>/: commit it with
# the fix, so that it stays a regression test.
#
#   scripts/fuzz.sh                 # every target, 10 s each (about 3 minutes)
#   FUZZTIME=1m scripts/fuzz.sh FuzzCursor FuzzJWTVerify
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}
# Every package with a fuzz target, or only the targets named.
mapfile -t pkgs < <(grep -rl '^func Fuzz' --include='*_test.go' internal cmd | xargs -n1 dirname | sort -u | sed 's|^|./|')

failed=()
for pkg in "${pkgs[@]}"; do
	mapfile -t targets < <(go test -list '^Fuzz' "$pkg" | grep '^Fuzz')
	for t in "${targets[@]}"; do
		if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$t"; then
			continue
		fi
		echo "== $pkg $t ($fuzztime)"
		if ! go test "$pkg" -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime"; then
			failed+=("$pkg $t")
		fi
	done
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzzing found failures in: ${failed[*]}" >&2
	exit 1
fi
echo "every fuzz target ran $fuzztime without a failure"
