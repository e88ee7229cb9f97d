-- GET /api/v1/events?without_support=true&limit=100
-- Run by scripts/load/run.sh: pgbench -M prepared -D sid=SESSION_ID -D limit=101 -D nclients=MAX_CLIENT_ID -f THIS_FILE —
-- the statements are the server's own (captured with log_statement = all), its bind values bound here too.
-- Authenticate (internal/crm/sessions.go): the session and its employee, in
-- one statement (sqlstore GetSessionEmployee). The access token's signature is
-- checked in the server's memory, without SQL.
SELECT s.id, s.employee_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at,
		s.client_addr, e.id, e.first_name, e.last_name, e.email, e.role, e.active,
	e.must_change_password, e.created_at, e.updated_at, e.deactivated_at, e.version FROM sessions s JOIN employees e ON e.id = s.employee_id WHERE s.id = :sid;
SELECT v.id, v.name, v.contract_id, cl.id, cl.first_name || ' ' || cl.last_name,
		cl.email, cl.phone, v.start_at, v.end_at, v.support_contact_id,
		sp.first_name || ' ' || sp.last_name, v.location, v.attendees, v.notes,
		v.created_at, v.updated_at, k.sales_contact_id, v.version
		FROM events v
		JOIN contracts k ON k.id = v.contract_id
		JOIN clients cl ON cl.id = k.client_id
		LEFT JOIN employees sp ON sp.id = v.support_contact_id WHERE v.support_contact_id IS NULL ORDER BY v.start_at, v.id LIMIT :limit;
