package crm

import "time"

// Role is an employee's department.
type Role string

// The three departments.
const (
	RoleManagement Role = "MANAGEMENT"
	RoleSales      Role = "SALES"
	RoleSupport    Role = "SUPPORT"
)

// Roles lists every role, in display order.
var Roles = []Role{RoleManagement, RoleSales, RoleSupport}

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool {
	return r == RoleManagement || r == RoleSales || r == RoleSupport
}

// Employee is a person working at Epic Events. It never carries a password hash.
type Employee struct {
	ID            int64      `json:"id"`
	FirstName     string     `json:"first_name"`
	LastName      string     `json:"last_name"`
	Email         string     `json:"email"`
	Role          Role       `json:"role"`
	Active        bool       `json:"active"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	DeactivatedAt *time.Time `json:"deactivated_at"`
	// Version counts the changes to the row; the API shows it as the ETag.
	Version int64 `json:"-"`
	// MustChangePassword is set by set-password: the employee may only run
	// passwd and logout until they choose their own password.
	MustChangePassword bool `json:"-"`
	// CredentialVersion counts the changes that end the employee's sessions
	// (password change or reset, role change, deactivation, reactivation):
	// a login opens a session only while it is the version it checked.
	CredentialVersion int64 `json:"-"`
}

// Name is "first last".
func (e Employee) Name() string { return e.FirstName + " " + e.LastName }

// Client is a person at a client company, owned by a SALES employee.
//
// A field tagged audit:"-" is copied from another record when this one is
// read, for reading only: it changes with that record, not with this one, so
// the audit trail leaves it out of this one's changes (see Entity).
type Client struct {
	ID               int64     `json:"id"`
	FirstName        string    `json:"first_name"`
	LastName         string    `json:"last_name"`
	Email            string    `json:"email"`
	Phone            *string   `json:"phone"`
	CompanyName      *string   `json:"company_name"`
	SalesContactID   int64     `json:"sales_contact_id"`
	SalesContactName string    `json:"sales_contact_name" audit:"-"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	// Version counts the changes to the row; the API shows it as the ETag.
	Version int64 `json:"-"`
}

// Contract is a client's contract; its sales contact follows the client's.
// Fields tagged audit:"-" are copied from other records (see Client).
type Contract struct {
	ID               int64      `json:"id"`
	ClientID         int64      `json:"client_id"`
	ClientName       string     `json:"client_name" audit:"-"`
	SalesContactID   int64      `json:"sales_contact_id"`
	SalesContactName string     `json:"sales_contact_name" audit:"-"`
	TotalAmount      Cents      `json:"total_amount"`
	AmountDue        Cents      `json:"amount_due"`
	Signed           bool       `json:"signed"`
	SignedAt         *time.Time `json:"signed_at"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	// Version counts the changes to the row; the API shows it as the ETag.
	Version int64 `json:"-"`
}

// Event is an event organised under a signed contract. Fields tagged
// audit:"-" are copied from other records (see Client).
type Event struct {
	ID                 int64     `json:"id"`
	Name               string    `json:"name"`
	ContractID         int64     `json:"contract_id"`
	ClientID           int64     `json:"client_id"`
	ClientName         string    `json:"client_name" audit:"-"`
	ClientEmail        string    `json:"client_email" audit:"-"`
	ClientPhone        *string   `json:"client_phone" audit:"-"`
	Start              time.Time `json:"start"`
	End                time.Time `json:"end"`
	SupportContactID   *int64    `json:"support_contact_id"`
	SupportContactName *string   `json:"support_contact_name" audit:"-"`
	Location           string    `json:"location"`
	Attendees          int       `json:"attendees"`
	Notes              *string   `json:"notes"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	// SalesContactID is the sales contact of the event's contract; it decides
	// who may create events on it and what --mine selects for SALES.
	SalesContactID int64 `json:"-"`
	// Version counts the changes to the row; the API shows it as the ETag.
	Version int64 `json:"-"`
}

// Change is one field's value before and after a change, as [before, after].
type Change [2]any

// AuditEntry records one change or security event. It is never edited or deleted.
type AuditEntry struct {
	ID         int64             `json:"id"`
	At         time.Time         `json:"at"`
	ActorID    *int64            `json:"actor_id"`
	ActorEmail *string           `json:"actor_email"`
	Action     string            `json:"action"`
	Entity     string            `json:"entity"`
	EntityID   *int64            `json:"entity_id"`
	Changes    map[string]Change `json:"changes"`
	ClientAddr *string           `json:"client_addr"`
}

// Session is a server-side login session. Its refresh tokens are stored only as
// hashes, in the store.
type Session struct {
	ID         int64
	EmployeeID int64
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time // absolute expiry
	RevokedAt  *time.Time
	ClientAddr *string
	// Web marks a session of the web UI: the browser holds an opaque id in a
	// cookie (stored only as a hash), and it has no tokens. Otherwise the
	// session is the API's, reached by access tokens and refresh tokens.
	Web bool
}

// Tokens is what a login or a refresh hands out.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// AccessClaims are the claims of an access token that the service relies on.
type AccessClaims struct {
	EmployeeID int64
	SessionID  int64
	IssuedAt   time.Time
	ExpiresAt  time.Time
}

// Page says how much of a list to return. Limit 0 means every row.
type Page struct {
	Limit  int
	Cursor string // opaque keyset cursor from a previous page's next
}

// EmployeeFilter selects employees; ordered by last name, first name, id.
type EmployeeFilter struct {
	Role *Role
	All  bool // include deactivated employees
	// Email selects the employee with that email, compared
	// case-insensitively: how the CLI turns an email into an id.
	Email string
	Page
}

// ClientFilter selects clients; ordered by last name, first name, id.
type ClientFilter struct {
	Mine           bool
	SalesContactID *int64
	Search         string
	// Email selects the client with that email, compared
	// case-insensitively: how the CLI turns an email into an id.
	Email string
	Page
}

// ContractFilter selects contracts; newest first.
type ContractFilter struct {
	Unsigned       bool
	Unpaid         bool
	Mine           bool
	SalesContactID *int64
	ClientID       *int64
	Page
}

// EventFilter selects events; ordered by start, then id. ClientID selects the
// events of every contract of that client. From and To bound the start, both
// inclusive. Upcoming selects the events that start now or later:
// the service turns it into a From bound at its clock, so the store never
// sees it.
type EventFilter struct {
	WithoutSupport   bool
	Mine             bool
	Upcoming         bool
	SupportContactID *int64
	SalesContactID   *int64
	ContractID       *int64
	ClientID         *int64
	From             *time.Time
	To               *time.Time
	Page
}

// AuditFilter selects audit entries; newest first.
type AuditFilter struct {
	Entity   string
	EntityID *int64
	ActorID  *int64
	Page
}

// NewEmployee is the input to create an employee.
type NewEmployee struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Role      Role   `json:"role"`
	Password  string `json:"password"`
	// Temporary makes Password a temporary one, as set-password gives: after
	// logging in with it, the employee may only choose their own. The web UI
	// sets it for the password it generates and shows once; the API and the
	// CLI, where the manager types the password, do not.
	Temporary bool `json:"-"`
}

// EmployeePatch changes the fields that are set.
type EmployeePatch struct {
	FirstName *string `json:"first_name,omitempty"`
	LastName  *string `json:"last_name,omitempty"`
	Email     *string `json:"email,omitempty"`
	Role      *Role   `json:"role,omitempty"`
}

// NewClient is the input to create a client.
type NewClient struct {
	FirstName   string  `json:"first_name"`
	LastName    string  `json:"last_name"`
	Email       string  `json:"email"`
	Phone       *string `json:"phone"`
	CompanyName *string `json:"company_name"`
}

// ClientPatch changes the fields that are set. An empty Phone or CompanyName
// clears it.
type ClientPatch struct {
	FirstName   *string `json:"first_name,omitempty"`
	LastName    *string `json:"last_name,omitempty"`
	Email       *string `json:"email,omitempty"`
	Phone       *string `json:"phone,omitempty"`
	CompanyName *string `json:"company_name,omitempty"`
}

// NewContract is the input to create a contract. AmountDue defaults to the total.
type NewContract struct {
	ClientID    int64  `json:"client_id"`
	TotalAmount Cents  `json:"total_amount"`
	AmountDue   *Cents `json:"amount_due"`
	Signed      bool   `json:"signed"`
}

// ContractPatch changes the amounts that are set.
type ContractPatch struct {
	TotalAmount *Cents `json:"total_amount,omitempty"`
	AmountDue   *Cents `json:"amount_due,omitempty"`
}

// NewEvent is the input to create an event.
type NewEvent struct {
	ContractID int64     `json:"contract_id"`
	Name       string    `json:"name"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Location   string    `json:"location"`
	Attendees  int       `json:"attendees"`
	Notes      *string   `json:"notes"`
}

// EventPatch changes the fields that are set. An empty Notes clears them.
// AddNote appends a line to the notes instead, dated and signed by the
// service (see UpdateEvent); it cannot go with Notes.
type EventPatch struct {
	Name      *string    `json:"name,omitempty"`
	Start     *time.Time `json:"start,omitempty"`
	End       *time.Time `json:"end,omitempty"`
	Location  *string    `json:"location,omitempty"`
	Attendees *int       `json:"attendees,omitempty"`
	Notes     *string    `json:"notes,omitempty"`
	AddNote   *string    `json:"add_note,omitempty"`
}
