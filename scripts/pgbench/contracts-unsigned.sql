-- GET /api/v1/contracts?unsigned=true&limit=100
-- Run by scripts/load/run.sh: pgbench -M prepared -D sid=SESSION_ID -D limit=101 -D nclients=MAX_CLIENT_ID -f THIS_FILE —
-- the statements are the server's own (captured with log_statement = all), its bind values bound here too.
-- Authenticate (internal/crm/sessions.go): the session and its employee, in
-- one statement (sqlstore GetSessionEmployee). The access token's signature is
-- checked in the server's memory, without SQL.
SELECT s.id, s.employee_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at,
		s.client_addr, e.id, e.first_name, e.last_name, e.email, e.role, e.active,
	e.must_change_password, e.created_at, e.updated_at, e.deactivated_at, e.version FROM sessions s JOIN employees e ON e.id = s.employee_id WHERE s.id = :sid;
SELECT k.id, k.client_id, cl.first_name || ' ' || cl.last_name,
		k.sales_contact_id, s.first_name || ' ' || s.last_name, k.total_amount, k.amount_due,
		k.signed, k.signed_at, k.created_at, k.updated_at, k.version
		FROM contracts k
		JOIN clients cl ON cl.id = k.client_id
		JOIN employees s ON s.id = k.sales_contact_id WHERE NOT k.signed ORDER BY k.created_at DESC, k.id DESC LIMIT :limit;
