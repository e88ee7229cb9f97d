-- The statements of scripts/load/floor -pg, for pgbench -M prepared: two
-- trivial round trips, as the floor server runs for each request.
\set one 1
SELECT :one::int;
SELECT :one::int;
