#!/usr/bin/env bash
# explain.sh — show the query plan of every list filter of the CLI as the store
# (internal/sqlstore) sends it, on SQLite (EXPLAIN QUERY PLAN, sqlite3 CLI) or
# PostgreSQL (EXPLAIN (ANALYZE, COSTS OFF), psql). Run it on a database filled by
# `epicevents demo` (docs/performance.md, "Query plans").
#
# usage: scripts/explain.sh sqlite PATH
#        scripts/explain.sh postgres URL
# The SQL below is copied from internal/sqlstore (clients.go, contracts.go,
# events.go, list.go); keep them in step. Parameters are inlined as literals.
set -euo pipefail
engine=$1 target=$2

CLIENT='SELECT c.id, c.first_name, c.last_name, c.email, c.phone, c.company_name,
  c.sales_contact_id, s.first_name || '"' '"' || s.last_name, c.created_at, c.updated_at, c.version
  FROM clients c JOIN employees s ON s.id = c.sales_contact_id'
CONTRACT='SELECT k.id, k.client_id, cl.first_name || '"' '"' || cl.last_name,
  k.sales_contact_id, s.first_name || '"' '"' || s.last_name, k.total_amount, k.amount_due,
  k.signed, k.signed_at, k.created_at, k.updated_at, k.version
  FROM contracts k JOIN clients cl ON cl.id = k.client_id JOIN employees s ON s.id = k.sales_contact_id'
EVENT='SELECT v.id, v.name, v.contract_id, cl.id, cl.first_name || '"' '"' || cl.last_name,
  cl.email, cl.phone, v.start_at, v.end_at, v.support_contact_id,
  sp.first_name || '"' '"' || sp.last_name, v.location, v.attendees, v.notes,
  v.created_at, v.updated_at, k.sales_contact_id, v.version
  FROM events v JOIN contracts k ON k.id = v.contract_id JOIN clients cl ON cl.id = k.client_id
  LEFT JOIN employees sp ON sp.id = v.support_contact_id'
NAMES='ORDER BY c.last_name, c.first_name, c.id LIMIT 101'
NEWEST='ORDER BY k.created_at DESC, k.id DESC LIMIT 101'
BYSTART='ORDER BY v.start_at, v.id LIMIT 101'

if [ "$engine" = sqlite ]; then
    t() { echo "'$(date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ)'"; }
    plus=+
    searchq() { # extra condition, then the words (ASCII and lower case here: already folded)
        local extra=$1 m="" cond="" w i
        shift
        for w; do for ((i = 0; i + 3 <= ${#w}; i++)); do m+="\"${w:i:3}\" "; done; done
        [ -n "$m" ] && cond="c.id IN (SELECT rowid FROM clients_fts WHERE clients_fts MATCH '${m% }') AND "
        for w; do cond+="instr(c.search_text, '$w') > 0 AND "; done
        echo "$CLIENT WHERE $extra${cond% AND } $NAMES"
    }
    run() { printf '\n### %s\n\n```\n' "$1"; sqlite3 "$target" "EXPLAIN QUERY PLAN $2"; printf '```\n'; }
else
    t() { echo "'$(date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ)'::timestamptz"; }
    plus=
    searchq() { # extra condition, then the words: the MATERIALIZED steps of listClientsPostgres
        local extra=$1 cond="" w
        shift
        for w; do
            if [ ${#w} -ge 3 ]; then cond+="c.search_text LIKE '%$w%' ESCAPE '\\' AND "; else cond+="strpos(c.search_text, '$w') > 0 AND "; fi
        done
        cond+=$extra
        echo "WITH m AS MATERIALIZED (SELECT c.id, c.last_name, c.first_name FROM clients c WHERE ${cond% AND }), p AS MATERIALIZED (SELECT id FROM m ORDER BY last_name, first_name, id LIMIT 101) $CLIENT WHERE c.id IN (SELECT id FROM p) $NAMES"
    }
    run() { printf '\n### %s\n\n```\n' "$1"; psql -X -q -At "$target" -c "EXPLAIN (ANALYZE, COSTS OFF) $2"; printf '```\n'; }
fi
sales=2 support=7 client=500001 contract=500001 event=500001
day=$(t '+30 days 00:00') day_end=$(t '+36 days 23:59:59') now=$(t 'now')

run 'clients list' "$CLIENT $NAMES"
run 'clients list (next page, after a cursor)' "$CLIENT WHERE (c.last_name, c.first_name, c.id) > ('Martin', 'Emma', 400000) $NAMES"
run 'clients list --mine / --sales-contact' "$CLIENT WHERE c.sales_contact_id = $sales $NAMES"
run 'clients list --search casey (rare)' "$(searchq '' casey)"
run 'clients list --search marchand (a common last name: 1 client in 90)' "$(searchq '' marchand)"
run "clients list --search 'kevin casey' (two words)" "$(searchq '' casey kevin)"
run "clients list --search 'amelie martin' (two common names)" "$(searchq '' amelie martin)"
run "clients list --search 'jacky 12345' (a name and phone digits)" "$(searchq '' 12345 jacky)"
run 'clients list --mine --search casey' "$(searchq "$plus""c.sales_contact_id = $sales AND " casey)"
run "clients list --search 'ca' (words of 1–2 characters only: no trigram, the name order walked)" "$CLIENT WHERE $(if [ "$engine" = sqlite ]; then echo "instr(c.search_text, 'ca') > 0"; else echo "strpos(c.search_text, 'ca') > 0"; fi) $NAMES"
run 'clients show ID' "$CLIENT WHERE c.id = $client"
run 'contracts list' "$CONTRACT $NEWEST"
run 'contracts list (next page)' "$CONTRACT WHERE (k.created_at, k.id) < ($now, 400000) $NEWEST"
run 'contracts list --unsigned' "$CONTRACT WHERE NOT k.signed $NEWEST"
run 'contracts list --unpaid' "$CONTRACT WHERE k.amount_due > 0 $NEWEST"
run 'contracts list --unsigned --unpaid' "$CONTRACT WHERE NOT k.signed AND k.amount_due > 0 $NEWEST"
run 'contracts list --mine' "$CONTRACT WHERE k.sales_contact_id = $sales $NEWEST"
run 'contracts list --mine --unsigned --unpaid' "$CONTRACT WHERE NOT k.signed AND k.amount_due > 0 AND k.sales_contact_id = $sales $NEWEST"
run 'contracts list --client ID' "$CONTRACT WHERE k.client_id = $client $NEWEST"
run 'contracts show ID' "$CONTRACT WHERE k.id = $contract"
run 'events list' "$EVENT $BYSTART"
run 'events list (next page)' "$EVENT WHERE (v.start_at, v.id) > ($now, 400000) $BYSTART"
run 'events list --without-support' "$EVENT WHERE v.support_contact_id IS NULL $BYSTART"
run 'events list --mine (SUPPORT)' "$EVENT WHERE v.support_contact_id = $support $BYSTART"
run 'events list --mine (SALES)' "$EVENT WHERE "$plus"k.sales_contact_id = $sales $BYSTART"
run 'events list --contract ID' "$EVENT WHERE v.contract_id = $contract $BYSTART"
run 'events list --client ID' "$EVENT WHERE k.client_id = $client $BYSTART"
run 'events list --client ID --without-support' "$EVENT WHERE "$plus"v.support_contact_id IS NULL AND k.client_id = $client $BYSTART"
run 'events list --from D --to D (a week)' "$EVENT WHERE v.start_at >= $day AND v.start_at <= $day_end $BYSTART"
run 'events list --without-support --from D --to D' "$EVENT WHERE v.support_contact_id IS NULL AND v.start_at >= $day AND v.start_at <= $day_end $BYSTART"
run 'events list --mine (SUPPORT) --from D' "$EVENT WHERE v.support_contact_id = $support AND v.start_at >= $day $BYSTART"
run 'events show ID' "$EVENT WHERE v.id = $event"
