package crm

import (
	"context"
	"time"
)

// Store is the persistence the Service needs. sqlstore implements it on SQLite
// and PostgreSQL. Every method returns *Error with CodeNotFound for a missing
// row (never a zero value and nil), CodeConflict for a unique or foreign-key
// violation, and CodeUnavailable when the database cannot be reached.
type Store interface {
	Queries
	// InTx runs fn in one transaction: committed when fn returns nil, rolled
	// back otherwise. Write transactions take the write lock up front, so that
	// concurrent writers wait instead of failing.
	InTx(ctx context.Context, fn func(q Queries) error) error
}

// Emit receives the rows of a list one by one, as they are read, so that a
// listing never holds every row in memory. Returning an error stops the list.
type Emit[T any] func(T) error

// Queries are the reads and writes of the store, inside or outside a transaction.
//
// List methods read at most Page.Limit rows (all when 0) after Page.Cursor in
// the list's order and return the cursor of the next page, "" when there is none.
type Queries interface {
	// Employees
	CountEmployees(ctx context.Context) (int, error)
	CountActiveManagers(ctx context.Context) (int, error)
	CreateEmployee(ctx context.Context, e Employee, passwordHash string) (Employee, error)
	GetEmployee(ctx context.Context, id int64) (Employee, error)
	// GetEmployeeByEmail matches the email case-insensitively and returns the
	// password hash as well, for login.
	GetEmployeeByEmail(ctx context.Context, email string) (Employee, string, error)
	GetPasswordHash(ctx context.Context, id int64) (string, error)
	ListEmployees(ctx context.Context, f EmployeeFilter, emit Emit[Employee]) (string, error)
	// UpdateEmployee applies the patch (names, email, role) and sets
	// updated_at; a new role bumps the employee's CredentialVersion.
	UpdateEmployee(ctx context.Context, id int64, p EmployeePatch, at time.Time) (Employee, error)
	// SetPassword stores a new password hash and bumps CredentialVersion.
	SetPassword(ctx context.Context, id int64, hash string, mustChange bool, at time.Time) error
	// RehashPassword replaces the hash with one of the same password made
	// with stronger parameters: no change of credentials, nor of the row's
	// version or updated_at.
	RehashPassword(ctx context.Context, id int64, hash string) error
	// SetActive activates or deactivates, and bumps CredentialVersion;
	// deactivated_at is set to at, or cleared.
	SetActive(ctx context.Context, id int64, active bool, at time.Time) (Employee, error)
	DeleteEmployee(ctx context.Context, id int64) error
	// EmployeeRefs counts what references the employee; upcoming events are
	// those whose end is after now.
	EmployeeRefs(ctx context.Context, id int64, now time.Time) (EmployeeRefs, error)
	// MoveSalesPortfolio gives every client and contract whose sales contact is
	// from to to.
	MoveSalesPortfolio(ctx context.Context, from, to int64, at time.Time) error
	// MoveUpcomingEvents gives the upcoming events assigned to from to to.
	MoveUpcomingEvents(ctx context.Context, from, to int64, now time.Time) error

	// Clients
	CreateClient(ctx context.Context, c Client) (Client, error)
	GetClient(ctx context.Context, id int64) (Client, error)
	ListClients(ctx context.Context, f ClientFilter, emit Emit[Client]) (string, error)
	UpdateClient(ctx context.Context, id int64, p ClientPatch, at time.Time) (Client, error)
	// ReassignClient sets the client's sales contact and that of its contracts.
	ReassignClient(ctx context.Context, id, salesContactID int64, at time.Time) (Client, error)

	// Contracts
	CreateContract(ctx context.Context, c Contract) (Contract, error)
	GetContract(ctx context.Context, id int64) (Contract, error)
	ListContracts(ctx context.Context, f ContractFilter, emit Emit[Contract]) (string, error)
	UpdateContract(ctx context.Context, id int64, p ContractUpdate, at time.Time) (Contract, error)
	// SumAmountDue adds up amount_due over the contracts with money due, of
	// the sales contact salesContactID when it is set.
	SumAmountDue(ctx context.Context, salesContactID *int64) (DueTotal, error)
	// SumSigned adds up the total amounts of the contracts signed in each
	// period bounds[i] <= signed_at < bounds[i+1]: len(bounds)-1 totals, in
	// that order.
	SumSigned(ctx context.Context, bounds []time.Time) ([]PeriodTotal, error)

	// Payments: a contract's ledger, append-only. The service writes an
	// entry and the contract's new amount due in one transaction, after
	// reading the contract with GetContract (which locks its row there).
	// CreatePayment inserts p (its id and RecordedByName are ignored) and
	// returns it as stored.
	CreatePayment(ctx context.Context, p Payment) (Payment, error)
	GetPayment(ctx context.Context, id int64) (Payment, error)
	// RefundedAmount is the sum of the refunds of a payment (0 when none).
	RefundedAmount(ctx context.Context, paymentID int64) (Cents, error)
	// ListPayments streams the entries of one contract's ledger, oldest first.
	ListPayments(ctx context.Context, contractID int64, f PaymentFilter, emit Emit[Payment]) (string, error)

	// Events
	CreateEvent(ctx context.Context, e Event) (Event, error)
	GetEvent(ctx context.Context, id int64) (Event, error)
	ListEvents(ctx context.Context, f EventFilter, emit Emit[Event]) (string, error)
	UpdateEvent(ctx context.Context, id int64, p EventUpdate, at time.Time) (Event, error)

	// Audit
	InsertAudit(ctx context.Context, a AuditEntry) error
	ListAudit(ctx context.Context, f AuditFilter, emit Emit[AuditEntry]) (string, error)

	// Sessions
	CreateSession(ctx context.Context, s Session, refreshHash string) (Session, error)
	GetSession(ctx context.Context, id int64) (Session, error)
	// GetSessionEmployee reads a session and its employee in one round trip,
	// for the check of every request; CodeNotFound when the session is gone.
	GetSessionEmployee(ctx context.Context, id int64) (Session, Employee, error)
	// CreateWebSession inserts a session of the web UI, found again by the
	// hash of its cookie (GetWebSessionEmployee); it has no refresh token.
	CreateWebSession(ctx context.Context, s Session, cookieHash string) (Session, error)
	// GetWebSessionEmployee reads the web session whose cookie has that hash,
	// and its employee, in one round trip; CodeNotFound when there is none.
	GetWebSessionEmployee(ctx context.Context, cookieHash string) (Session, Employee, error)
	// TouchSession records use of the session (idle expiry).
	TouchSession(ctx context.Context, id int64, at time.Time) error
	// UseRefreshToken marks the refresh token with that hash as used, atomically:
	// fresh is true for exactly one caller; a token used before gives fresh
	// false (reuse). An unknown hash is CodeNotFound.
	UseRefreshToken(ctx context.Context, hash string, at time.Time) (sessionID int64, fresh bool, err error)
	AddRefreshToken(ctx context.Context, sessionID int64, hash string, at time.Time) error
	RevokeSession(ctx context.Context, id int64, at time.Time) error
	RevokeEmployeeSessions(ctx context.Context, employeeID int64, at time.Time) error

	// Login throttling. A key is an opaque keyed hash that the service makes
	// of what it counts (an account, an address, or both), never the text.
	RecordLoginFailure(ctx context.Context, key string, at time.Time) error
	// LoginFailures counts the failures n for key recorded after since (a
	// failure at T counts until T + window, excluded). When n
	// is allowed or more, freeAt is the time of the failure whose leaving the
	// window brings the count below allowed (the (n-allowed+1)th oldest);
	// zero otherwise. Inside InTx it also queues the transactions that count
	// the same key, so that a count and the record that follows it are atomic.
	LoginFailures(ctx context.Context, key string, since time.Time, allowed int) (n int, freeAt time.Time, err error)
	// RemoveLoginFailure forgets one failure recorded for key at at: an
	// attempt is recorded before its password is checked, and forgotten when
	// it succeeds.
	RemoveLoginFailure(ctx context.Context, key string, at time.Time) error
	ClearLoginFailures(ctx context.Context, key string) error
	// DeleteExpired deletes what is kept no longer than needed: the login
	// failures recorded before e.FailuresBefore, and the sessions (with their
	// refresh tokens) that are revoked, whose absolute expiry is at or before
	// e.Now, or last used before e.IdleBefore.
	DeleteExpired(ctx context.Context, e Expiry) (Purged, error)

	// Settings are small named values, such as the generated signing key.
	// PutSettingIfAbsent stores value unless key exists, and returns the value
	// that is stored.
	GetSetting(ctx context.Context, key string) (string, error)
	PutSettingIfAbsent(ctx context.Context, key, value string) (string, error)
}

// Expiry says what DeleteExpired deletes.
type Expiry struct {
	FailuresBefore time.Time // login failures older than the longest throttle window
	Now            time.Time // sessions past their absolute expiry
	IdleBefore     time.Time // sessions unused for longer than the idle timeout
}

// Purged counts the rows DeleteExpired deleted.
type Purged struct {
	LoginFailures int64
	Sessions      int64 // with their refresh tokens
}

// EmployeeRefs counts the rows that reference an employee.
type EmployeeRefs struct {
	Clients        int // clients whose sales contact they are
	Contracts      int // contracts whose sales contact they are
	Events         int // events they support, past or upcoming
	UpcomingEvents int // events they support that have not ended
	Payments       int // ledger entries they recorded
}

// Total is the number of references of any kind.
func (r EmployeeRefs) Total() int { return r.Clients + r.Contracts + r.Events + r.Payments }

// ContractUpdate is a validated change to a contract, as the store applies it.
type ContractUpdate struct {
	TotalAmount    *Cents
	AmountDue      *Cents
	SignedAt       *time.Time // sets signed and signed_at
	SalesContactID *int64
}

// EventUpdate is a validated change to an event, as the store applies it.
type EventUpdate struct {
	EventPatch
	// SupportContactID, when SetSupport is true, sets (or with nil clears) the
	// support contact.
	SetSupport       bool
	SupportContactID *int64
}
