#!/usr/bin/env bash
# bench-cli.sh — time whole `epicevents` processes on a database filled by
# `epicevents demo` (the figures of BENCHMARKS.md). Public tools only: hyperfine and /usr/bin/time.
#
# usage: scripts/bench-cli.sh NAME DATABASE_URL CLIENTS [BINARY]
#   NAME          a label, also the scratch EPICEVENTS_HOME (/tmp/epicevents-bench/NAME)
#   DATABASE_URL  sqlite:PATH or postgres://… of an EMPTY database (it is filled)
#   CLIENTS       the size given to `demo --clients`
#   BINARY        the epicevents binary (default: ./epicevents, built by `go build ./cmd/epicevents`)
#
# It runs init, times `demo --clients CLIENTS` once with /usr/bin/time -v, logs
# in as the demo's SALES employee Bill Boquet with --password-stdin (keyring off,
# scratch home), then times each list command with hyperfine (3 warm-up runs,
# at least 20 timed runs) and the 100,000-row CSV export with /usr/bin/time -v.
# Results go to /tmp/epicevents-bench/NAME/*.json and a summary on stdout.
set -euo pipefail
name=$1 url=$2 clients=$3 bin=${4:-./epicevents}
bin=$(readlink -f "$bin")
out=/tmp/epicevents-bench/$name
rm -rf "$out" && mkdir -p "$out"
export EPICEVENTS_HOME=$out/home EPICEVENTS_KEYRING=off EPICEVENTS_DATABASE_URL=$url TZ=UTC
unset EPICEVENTS_SERVER

echo 'correct-horse-battery-staple-1' | "$bin" init --email ada@epicevents.example \
    --first-name Ada --last-name Lovelace --password-stdin >/dev/null 2>&1
/usr/bin/time -v "$bin" demo --clients "$clients" >"$out/demo.creds" 2>"$out/demo.time"
demo_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/demo.time")
echo "demo --clients $clients: $demo_s (wall clock, m:ss)"

awk '/bill\.boquet@/ {print $NF}' "$out/demo.creds" |
    "$bin" login --email bill.boquet@epicevents.example --password-stdin >/dev/null 2>&1

mid=$(( clients / 2 + 1 ))
from=$(date -u -d '+30 days' +%F) to=$(date -u -d '+36 days' +%F)
hyperfine -N --warmup 3 --min-runs 20 --export-json "$out/lists.json" \
    -n 'clients list' "$bin clients list" \
    -n 'clients list --search casey' "$bin clients list --search casey" \
    -n 'clients list --mine' "$bin clients list --mine" \
    -n 'contracts list --unsigned' "$bin contracts list --unsigned" \
    -n 'contracts list --unpaid' "$bin contracts list --unpaid" \
    -n 'events list --without-support' "$bin events list --without-support" \
    -n "events list --from $from --to $to" "$bin events list --from $from --to $to" \
    -n "clients show $mid" "$bin clients show $mid" \
    -n 'clients list --search marchand (common)' "$bin clients list --search marchand" \
    -n "clients list --search 'kevin casey'" "$bin clients list --search 'kevin casey'" \
    -n "clients list --search 'amelie martin'" "$bin clients list --search 'amelie martin'" \
    -n "clients list --search 'jacky 12345'" "$bin clients list --search 'jacky 12345'" \
    -n 'events list --mine (SALES)' "$bin events list --mine" \
    -n 'version (process start)' "$bin version" \
    >"$out/hyperfine.txt" 2>&1 || { cat "$out/hyperfine.txt"; exit 1; }
python3 - "$out/lists.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f'{r["command"]:<45} median {r["median"]*1000:7.1f} ms   mean {r["mean"]*1000:7.1f} ms ± {r["stddev"]*1000:5.1f}')
PY

if [ "$clients" -ge 100000 ]; then
    for i in 1 2 3; do
        /usr/bin/time -v "$bin" clients list --limit 100000 -o csv >/dev/null 2>"$out/csv$i.time" || true
        awk -F': ' -v i=$i '/Elapsed \(wall clock\)/ {t=$2} /Maximum resident set size/ {m=$2}
            END {printf "clients list --limit 100000 -o csv, run %d: %s (m:ss), max RSS %.1f MiB\n", i, t, m/1024}' "$out/csv$i.time"
    done
fi
