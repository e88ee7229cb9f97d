#!/usr/bin/env bash
# run.sh — the API against the database's own speed: `serve` should sustain at
# least 60% of pgbench's throughput on the same statements (BENCHMARKS.md).
#
# usage: scripts/load/run.sh [CLIENTS] [DURATION]
#   CLIENTS   size of the demo data (default 10000: clients, contracts, events each)
#   DURATION  of each case at each concurrency (default 10s)
# environment:
#   PGBASE    server URL without a database (default postgres://postgres@127.0.0.1:5432)
#   LOAD_DB   use this existing database, already filled by `demo`, instead of
#             creating (and dropping) a scratch one; its demo output must be in
#             LOAD_CREDS (the file `demo` printed the passwords to)
#   CONC      concurrencies (default "1 8 32")
#   CASES     cases (default "clients contracts-unsigned events-without-support
#             client-show"; each names scripts/pgbench/CASE.sql and a case of
#             the load program)
#   KEEP      when set, keep the scratch folder (logs, TSV files) and say where
#   LOAD_TOOL what drives the API (default go): `go`, the Go load program
#             (scripts/load), or `wrk` (Debian's wrk 4.1.0, which this script
#             does not install: apt-get install wrk): in C like pgbench, it
#             takes far less of the CPU that the server, PostgreSQL and pgbench
#             share. wrk runs -t min(2, conc) -c conc --latency with
#             scripts/load/wrk.lua (client-show's random ids, the results), on
#             the load program's paths, with a token that curl logs in for
#             before each case; its errors are answers with a status > 399 and
#             socket errors, its CPU time is bash's `time` of it, the server's
#             /proc/PID/stat before and after, its peak memory VmHWM
#   EPICEVENTS  the binary (default: built from ./cmd/epicevents into the scratch folder)
#
# It creates a scratch PostgreSQL database, runs `init` and `demo --clients
# CLIENTS`, starts `epicevents serve` on it (EPICEVENTS_JWT_SECRET set, as in
# production), then for each case and concurrency runs the Go load program
# (scripts/load), or wrk with LOAD_TOOL=wrk, against the server, and pgbench
# with the script of the same case (scripts/pgbench/CASE.sql: the very
# statements the server runs for that request, session check included) at the
# same concurrency, -M prepared -j 2, for the same duration. It prints a table
# of both and their ratio, the CPU time per request of the server, of the load
# program (or wrk), and of the PostgreSQL backends (for the API and for
# pgbench: /proc/PID/stat of this database's client backends), and the
# server's peak resident memory. Everything it made is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
clients=${1:-10000} dur=${2:-10s}
pgbase=${PGBASE:-postgres://postgres@127.0.0.1:5432}
conc=${CONC:-1 8 32}
cases=${CASES:-clients contracts-unsigned events-without-support client-show}
tool=${LOAD_TOOL:-go}
# wrk_path CASE: the path of the load program's case CASE
wrk_path() {
    case $1 in
        clients) echo '/api/v1/clients?limit=100' ;;
        clients-mine) echo '/api/v1/clients?mine=true&limit=100' ;;
        contracts-unsigned) echo '/api/v1/contracts?unsigned=true&limit=100' ;;
        events-without-support) echo '/api/v1/events?without_support=true&limit=100' ;;
        client-show) echo '/api/v1/clients/1' ;; # the id: wrk.lua's, per request
        *) echo "run.sh: no case $1 for wrk" >&2; return 1 ;;
    esac
}
case $tool in
go) ;;
wrk)
    command -v wrk >/dev/null || { echo "run.sh: LOAD_TOOL=wrk, but wrk is not installed: apt-get install wrk" >&2; exit 1; }
    command -v curl >/dev/null || { echo "run.sh: LOAD_TOOL=wrk logs in with curl, which is not installed: apt-get install curl" >&2; exit 1; }
    for c in $cases; do wrk_path "$c" >/dev/null || exit 1; done
    ;;
*) echo "run.sh: LOAD_TOOL is go or wrk, not '$tool'" >&2; exit 1 ;;
esac
tmp=$(mktemp -d /tmp/epicevents-load.XXXXXX)
db=${LOAD_DB:-ee_load_$$}
serve_pid=
# shellcheck disable=SC2015 # each `|| true` is meant for the whole line
cleanup() {
    [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
    [ -z "${LOAD_DB:-}" ] && psql "$pgbase/postgres?sslmode=disable" -qc "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

bin=${EPICEVENTS:-$tmp/epicevents}
[ -z "${EPICEVENTS:-}" ] && go build -o "$bin" ./cmd/epicevents
[ "$tool" = go ] && go build -o "$tmp/load" ./scripts/load

export EPICEVENTS_HOME=$tmp/home EPICEVENTS_KEYRING=off TZ=UTC
export EPICEVENTS_DATABASE_URL="$pgbase/$db?sslmode=disable"
EPICEVENTS_JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
export EPICEVENTS_JWT_SECRET
unset EPICEVENTS_SERVER
mkdir -p "$EPICEVENTS_HOME"
creds=${LOAD_CREDS:-$tmp/demo.creds}
if [ -z "${LOAD_DB:-}" ]; then
    psql "$pgbase/postgres?sslmode=disable" -qc "CREATE DATABASE $db"
    echo 'correct-horse-battery-staple-1' | "$bin" init --email ada@epicevents.example \
        --first-name Ada --last-name Lovelace --password-stdin >/dev/null 2>&1
    "$bin" demo --clients "$clients" >"$creds" 2>&1
    psql "$EPICEVENTS_DATABASE_URL" -qc "VACUUM ANALYZE"
fi
awk '/bill\.boquet@/ {print $NF}' "$creds" >"$tmp/password"
maxid=$(psql "$EPICEVENTS_DATABASE_URL" -Atc "SELECT max(id) FROM clients")

"$bin" serve --addr 127.0.0.1:0 >"$tmp/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 50); do grep -q '^listening on' "$tmp/serve.log" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$tmp/serve.log")
[ -n "$url" ] || { cat "$tmp/serve.log"; exit 1; }
echo "serve (pid $serve_pid) on $url, database $db, $(psql "$EPICEVENTS_DATABASE_URL" -Atc 'SELECT count(*) FROM clients') clients"

: >"$tmp/api.tsv"; : >"$tmp/pgbench.tsv"
# CPU time of this database's client backends while a command runs: their pids
# are read once the command has connected, then /proc is read every 0.1 s
# (one awk for all of them), and the last reading of each is kept.
backends() {
    psql "$EPICEVENTS_DATABASE_URL" -Atc "SELECT pid FROM pg_stat_activity WHERE datname = current_database()
        AND backend_type = 'client backend' AND pid <> pg_backend_pid()" | tr '\n' ' '
}
# shellcheck disable=SC2046 # pids split on purpose
ticks() { [ $# -gt 0 ] && (cd /proc && awk '{split(FILENAME, f, "/"); print f[1], $14 + $15}' $(printf '%s/stat ' "$@") 2>/dev/null); }
# shellcheck disable=SC2046,SC2086 # pids split on purpose
pg_cpu_ms() { # pg_cpu_ms OUT CMD...: runs CMD (output to OUT); prints the backends' CPU ms
    local -A first=() last=()
    local p v pids job sum=0 out=$1
    shift
    while read -r p v; do first[$p]=$v; done < <(ticks $(backends))
    "$@" >"$out" 2>&1 & job=$!
    sleep 0.5; pids=$(backends)
    while kill -0 $job 2>/dev/null; do
        while read -r p v; do last[$p]=$v; done < <(ticks $pids)
        sleep 0.1
    done
    wait $job
    for p in $pids; do sum=$((sum + ${last[$p]:-0} - ${first[$p]:-0})); done
    echo $((sum * 10))
}
# login: an access token of the load program's employee (POST /api/v1/auth/login)
login() {
    python3 -c 'import json, sys; print(json.dumps({"email": sys.argv[1], "password": open(sys.argv[2]).readline().rstrip("\n")}))' \
        bill.boquet@epicevents.example "$tmp/password" |
        curl -fsS -H 'Content-Type: application/json' --data-binary @- "$url/api/v1/auth/login" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
# wrk_run CASE CONC TOKEN: what one run of the load program does, with wrk:
# appends the same line to api.tsv (case, concurrency, good answers, their
# rate, p50 and p99 ms, errors, server and wrk CPU ms per good answer) and the
# server's VmHWM; wrk's output to stdout.
wrk_run() {
    local c=$1 n=$2 path s0 s1 cpu args=() TIMEFORMAT='%3U %3S'
    path=$(wrk_path "$c") || return 1
    [ "$c" = client-show ] && args=(-- "$maxid")
    s0=$(awk '{print $14 + $15}' "/proc/$serve_pid/stat")
    cpu=$({ time wrk -t $((n < 2 ? n : 2)) -c "$n" -d "$dur" --timeout 30s --latency -H "Authorization: Bearer $3" \
        -s scripts/load/wrk.lua "$url$path" "${args[@]}" >"$tmp/wrk.out" 2>&1; } 2>&1) || { cat "$tmp/wrk.out"; return 1; }
    s1=$(awk '{print $14 + $15}' "/proc/$serve_pid/stat")
    cat "$tmp/wrk.out"
    # wrk-result requests duration_us p50_us p99_us status connect read write timeout
    awk -F '\t' -v c="$c" -v n="$n" -v srv="$((s1 - s0))" -v cpu="$cpu" '$1 == "wrk-result" {
        ok = $2 - $6; err = $6 + $7 + $8 + $9 + $10; split(cpu, t, " ")
        printf "%s\t%d\t%d\t%.1f\t%.2f\t%.2f\t%d\t%.3f\t%.3f\n", c, n, ok, ok / ($3 / 1e6), $4 / 1000, $5 / 1000, err,
            ok ? srv * 10 / ok : 0, ok ? (t[1] + t[2]) * 1000 / ok : 0
        found = 1
    } END { exit !found }' "$tmp/wrk.out" >>"$tmp/api.tsv" || { echo "run.sh: no result from wrk" >&2; return 1; }
    awk '$1 == "VmHWM:" {printf "peak_rss_mib\t%.1f\n", $2 / 1024}' "/proc/$serve_pid/status" >>"$tmp/api.tsv"
}
for c in $cases; do
    for n in $conc; do
        if [ "$tool" = wrk ]; then
            # A new token for each case: they last EPICEVENTS_ACCESS_TTL (15 min).
            token=$(login)
            [ -n "$token" ] || { echo "run.sh: no access token" >&2; exit 1; }
            lines=$(wc -l <"$tmp/api.tsv")
            api_ms=$(pg_cpu_ms "$tmp/load.out" wrk_run "$c" "$n" "$token")
            [ "$(wc -l <"$tmp/api.tsv")" -gt "$lines" ] || { cat "$tmp/load.out" >&2; exit 1; }
            if grep -q -e '^  Non-2xx' -e '^  Socket errors' "$tmp/load.out"; then
                echo "wrk: $c at $n: errors:" >&2
                grep -e '^  Non-2xx' -e '^  Socket errors' "$tmp/load.out" >&2
            fi
        else
            api_ms=$(pg_cpu_ms "$tmp/load.out" "$tmp/load" -url "$url" -password-file "$tmp/password" -pid "$serve_pid" -duration "$dur" \
                -c "$n" -cases "$c" -max-client-id "$maxid" -tsv "$tmp/api.tsv")
        fi
        # The session the server checks: the newest of the load's employee.
        sid=$(psql "$EPICEVENTS_DATABASE_URL" -Atc "SELECT max(id) FROM sessions WHERE employee_id = 2")
        pgb_ms=$(pg_cpu_ms "$tmp/pgbench.out" pgbench "$EPICEVENTS_DATABASE_URL" -n -M prepared -c "$n" -j 2 -T "${dur%s}" \
            -D sid="$sid" -D limit=101 -D nclients="$maxid" -f "scripts/pgbench/$c.sql")
        tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$tmp/pgbench.out")
        tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$tmp/pgbench.out")
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$n" "$tps" "$tx" "$pgb_ms" "$api_ms" >>"$tmp/pgbench.tsv"
    done
done

if [ "$tool" = wrk ]; then
    tool_desc="wrk ($( (wrk -v 2>&1 || true) | awk 'NR == 1 {print $2}'), -t min(2, conc), scripts/load/wrk.lua)"
else
    tool_desc="go (scripts/load)"
fi
python3 - "$tmp/api.tsv" "$tmp/pgbench.tsv" "$tool" "$tool_desc" <<'PY'
import sys
api, peak = {}, 0.0
print(f"load tool: {sys.argv[4]}")
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if f[0] == "peak_rss_mib":
        peak = max(peak, float(f[1])); continue
    api[(f[0], f[1])] = f
print(f'{"":<29}{"API (epicevents serve, " + sys.argv[3] + ")":^34}{"pgbench":^10}{"":8}{"CPU ms per request":^42}')
print(f'{"case":<24}{"conc":>5}{"req/s":>9}{"p50 ms":>9}{"p99 ms":>9}{"errors":>7}{"tps":>10}{"ratio":>8}'
      f'{"server":>9}{"load":>7}{"pg(API)":>9}{"pg(bench)":>10}')
for line in open(sys.argv[2]):
    c, n, tps, tx, pgb_ms, api_ms = line.split()
    a = api[(c, n)]
    rps, tps = float(a[3]), float(tps)
    ratio = rps / tps if tps else 0
    pg_api = float(api_ms) / int(a[2]) if int(a[2]) else 0
    pg_bench = float(pgb_ms) / int(tx) if int(tx) else 0
    flag = "" if ratio >= 0.6 else "  < 60%"
    print(f'{c:<24}{n:>5}{rps:>9.0f}{float(a[4]):>9.2f}{float(a[5]):>9.2f}{a[6]:>7}{tps:>10.0f}{ratio:>8.0%}'
          f'{float(a[7]):>9.3f}{float(a[8]):>7.3f}{pg_api:>9.3f}{pg_bench:>10.3f}{flag}')
print(f'server peak resident memory (VmHWM): {peak:.1f} MiB (target < 100 MB)')
PY
