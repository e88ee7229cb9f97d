-- GET /api/v1/clients?limit=100
-- Run by scripts/load/run.sh: pgbench -M prepared -D sid=SESSION_ID -D limit=101 -D nclients=MAX_CLIENT_ID -f THIS_FILE —
-- the statements are the server's own (captured with log_statement = all), its bind values bound here too.
-- Authenticate (internal/crm/sessions.go): the session and its employee, in
-- one statement (sqlstore GetSessionEmployee). The access token's signature is
-- checked in the server's memory, without SQL.
SELECT s.id, s.employee_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at,
		s.client_addr, e.id, e.first_name, e.last_name, e.email, e.role, e.active,
	e.must_change_password, e.created_at, e.updated_at, e.deactivated_at, e.version FROM sessions s JOIN employees e ON e.id = s.employee_id WHERE s.id = :sid;
SELECT c.id, c.first_name, c.last_name, c.email, c.phone, c.company_name,
		c.sales_contact_id, s.first_name || ' ' || s.last_name, c.created_at, c.updated_at, c.version
		FROM clients c JOIN employees s ON s.id = c.sales_contact_id ORDER BY c.last_name, c.first_name, c.id LIMIT :limit;
