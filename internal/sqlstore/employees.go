package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

const employeeColumns = `e.id, e.first_name, e.last_name, e.email, e.role, e.active,
	e.must_change_password, e.created_at, e.updated_at, e.deactivated_at, e.version, e.credential_version`

const selectEmployee = "SELECT " + employeeColumns + " FROM employees e"

func scanEmployee(r rowScanner) (crm.Employee, error) {
	var e crm.Employee
	err := r.Scan(&e.ID, &e.FirstName, &e.LastName, &e.Email, &e.Role, &e.Active,
		&e.MustChangePassword, timeDest{&e.CreatedAt}, timeDest{&e.UpdatedAt}, nullTimeDest{&e.DeactivatedAt}, &e.Version,
		&e.CredentialVersion)
	return e, err
}

func employeeKey(e crm.Employee) cursor {
	return cursor{Kind: employeeList, Last: e.LastName, First: e.FirstName, ID: e.ID}
}

// CountEmployees counts every employee, active or not. Inside a transaction
// it serializes with other such counts, for init's "no employee yet" check.
func (q *queries) CountEmployees(ctx context.Context) (int, error) {
	if err := q.serialize(ctx, lockEmployeeCount); err != nil {
		return 0, err
	}
	return q.count(ctx, "employee", "SELECT count(*) FROM employees")
}

// CountActiveManagers counts the active MANAGEMENT employees. Inside a
// transaction it serializes with other such counts, so that two managers
// cannot both demote the other.
func (q *queries) CountActiveManagers(ctx context.Context) (int, error) {
	if err := q.serialize(ctx, lockManagerCount); err != nil {
		return 0, err
	}
	return q.count(ctx, "employee",
		"SELECT count(*) FROM employees WHERE role = ? AND active", string(crm.RoleManagement))
}

// CreateEmployee inserts e (its id is ignored) with the password hash.
func (q *queries) CreateEmployee(ctx context.Context, e crm.Employee, passwordHash string) (crm.Employee, error) {
	var id int64
	err := q.queryRow(ctx, `INSERT INTO employees (first_name, last_name, email, role, password_hash,
		must_change_password, active, created_at, updated_at, deactivated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.FirstName, e.LastName, e.Email, string(e.Role), passwordHash,
		e.MustChangePassword, e.Active, e.CreatedAt, updatedAt(e.CreatedAt, e.UpdatedAt), e.DeactivatedAt,
	).Scan(&id)
	if err != nil {
		return crm.Employee{}, translate(err, "create", "employee")
	}
	return q.GetEmployee(ctx, id)
}

// GetEmployee reads one employee; see the package doc for locking.
func (q *queries) GetEmployee(ctx context.Context, id int64) (crm.Employee, error) {
	e, err := scanEmployee(q.queryRow(ctx, selectEmployee+" WHERE e.id = ?"+q.lockRow("e"), id))
	return e, getErr(err, "employee", crm.NotFound("employee", id))
}

// GetEmployeeByEmail finds an employee by email, case-insensitively, with the
// password hash, for login.
func (q *queries) GetEmployeeByEmail(ctx context.Context, email string) (crm.Employee, string, error) {
	var hash string
	row := q.queryRow(ctx, "SELECT "+employeeColumns+", e.password_hash FROM employees e WHERE lower(e.email) = lower(?)", email)
	e, err := scanEmployee(scanExtra{row, []any{&hash}})
	return e, hash, getErr(err, "employee", &crm.Error{Code: crm.CodeNotFound, Message: "no employee with that email"})
}

// GetPasswordHash reads the password hash of an employee.
func (q *queries) GetPasswordHash(ctx context.Context, id int64) (string, error) {
	var hash string
	err := q.queryRow(ctx, "SELECT password_hash FROM employees WHERE id = ?", id).Scan(&hash)
	return hash, getErr(err, "employee", crm.NotFound("employee", id))
}

// ListEmployees streams employees by last name, first name, id.
func (q *queries) ListEmployees(ctx context.Context, f crm.EmployeeFilter, emit crm.Emit[crm.Employee]) (string, error) {
	var w filter
	if !f.All {
		w.add("e.active")
	}
	if f.Role != nil {
		w.add("e.role = ?", string(*f.Role))
	}
	if f.Email != "" {
		// The expression of the unique index employees_email_key.
		w.add("lower(e.email) = ?", strings.ToLower(f.Email))
	}
	if err := byName(&w, f.Page, employeeList, "e"); err != nil {
		return "", err
	}
	query := selectEmployee + w.where() + " ORDER BY e.last_name, e.first_name, e.id"
	return list(ctx, q, "employee", query, w.args, f.Page, scanEmployee, employeeKey, emit)
}

// UpdateEmployee applies the fields of p that are set.
func (q *queries) UpdateEmployee(ctx context.Context, id int64, p crm.EmployeePatch, at time.Time) (crm.Employee, error) {
	var a assignments
	if p.FirstName != nil {
		a.set("first_name", *p.FirstName)
	}
	if p.LastName != nil {
		a.set("last_name", *p.LastName)
	}
	if p.Email != nil {
		a.set("email", *p.Email)
	}
	if p.Role != nil {
		// Every expression of SET reads the row as it was: role here is
		// the role before the change.
		a.expr("credential_version = credential_version + CASE WHEN role = ? THEN 0 ELSE 1 END", string(*p.Role))
		a.set("role", string(*p.Role))
	}
	a.set("updated_at", at)
	if err := q.update(ctx, "employees", "employee", id, a); err != nil {
		return crm.Employee{}, err
	}
	return q.GetEmployee(ctx, id)
}

// bumpCredentials is the SET expression of a change that ends the
// employee's sessions.
const bumpCredentials = "credential_version = credential_version + 1"

// SetPassword stores a new password hash: a change of credentials.
func (q *queries) SetPassword(ctx context.Context, id int64, hash string, mustChange bool, at time.Time) error {
	var a assignments
	a.set("password_hash", hash)
	a.set("must_change_password", mustChange)
	a.set("updated_at", at)
	a.expr(bumpCredentials)
	return q.update(ctx, "employees", "employee", id, a)
}

// RehashPassword replaces the hash of the same password, made with stronger
// parameters at login: the row is otherwise untouched.
func (q *queries) RehashPassword(ctx context.Context, id int64, hash string) error {
	res, err := q.exec(ctx, "UPDATE employees SET password_hash = ? WHERE id = ?", hash, id)
	return affected(res, err, "update", "employee", crm.NotFound("employee", id))
}

// SetActive activates (clearing deactivated_at) or deactivates (setting it to
// at) an employee: a change of credentials either way.
func (q *queries) SetActive(ctx context.Context, id int64, active bool, at time.Time) (crm.Employee, error) {
	var a assignments
	a.expr(bumpCredentials)
	a.set("active", active)
	if active {
		a.set("deactivated_at", nil)
	} else {
		a.set("deactivated_at", at)
	}
	a.set("updated_at", at)
	if err := q.update(ctx, "employees", "employee", id, a); err != nil {
		return crm.Employee{}, err
	}
	return q.GetEmployee(ctx, id)
}

// DeleteEmployee deletes an employee that nothing references (a conflict
// otherwise); their sessions go with them.
func (q *queries) DeleteEmployee(ctx context.Context, id int64) error {
	res, err := q.exec(ctx, "DELETE FROM employees WHERE id = ?", id)
	return affected(res, err, "delete", "employee", crm.NotFound("employee", id))
}

// EmployeeRefs counts the clients, contracts and events that reference the
// employee; upcoming events are those that end after now.
func (q *queries) EmployeeRefs(ctx context.Context, id int64, now time.Time) (crm.EmployeeRefs, error) {
	var r crm.EmployeeRefs
	err := q.queryRow(ctx, `SELECT
		(SELECT count(*) FROM clients WHERE sales_contact_id = ?),
		(SELECT count(*) FROM contracts WHERE sales_contact_id = ?),
		(SELECT count(*) FROM events WHERE support_contact_id = ?),
		(SELECT count(*) FROM events WHERE support_contact_id = ? AND end_at > ?),
		(SELECT count(*) FROM payments WHERE recorded_by_id = ?)`,
		id, id, id, id, now, id,
	).Scan(&r.Clients, &r.Contracts, &r.Events, &r.UpcomingEvents, &r.Payments)
	return r, translate(err, "count references of", "employee")
}

// MoveSalesPortfolio gives every client and contract of from to to.
func (q *queries) MoveSalesPortfolio(ctx context.Context, from, to int64, at time.Time) error {
	return q.atomic(ctx, func(q *queries) error {
		for _, table := range []string{"clients", "contracts"} {
			_, err := q.exec(ctx, "UPDATE "+table+" SET sales_contact_id = ?, updated_at = ?, version = version + 1 WHERE sales_contact_id = ?", to, at, from)
			if err != nil {
				return translate(err, "reassign", "employee")
			}
		}
		return nil
	})
}

// MoveUpcomingEvents gives the events of from that end after now to to.
func (q *queries) MoveUpcomingEvents(ctx context.Context, from, to int64, now time.Time) error {
	_, err := q.exec(ctx, "UPDATE events SET support_contact_id = ?, updated_at = ?, version = version + 1 WHERE support_contact_id = ? AND end_at > ?",
		to, now, from, now)
	return translate(err, "reassign", "employee")
}

// updatedAt is the updated_at of a new row: as given, else its creation time.
func updatedAt(created, updated time.Time) time.Time {
	if updated.IsZero() {
		return created
	}
	return updated
}

// scanExtra scans the columns of an entity followed by extra columns, so that
// one scan function serves queries that read a little more.
type scanExtra struct {
	r     rowScanner
	extra []any
}

func (s scanExtra) Scan(dest ...any) error { return s.r.Scan(append(dest, s.extra...)...) }
