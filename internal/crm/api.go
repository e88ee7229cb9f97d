package crm

import "context"

// API is every operation an employee can run. The Service implements it in
// local mode; in remote mode an HTTP client implements it against
// `epicevents serve`, whose handlers call the Service. The CLI sees only this.
type API interface {
	Login(ctx context.Context, email, password string) (Tokens, error)
	Refresh(ctx context.Context, refreshToken string) (Tokens, error)
	Logout(ctx context.Context) error
	Me(ctx context.Context) (Employee, error)
	ChangePassword(ctx context.Context, current, next string) (Tokens, error)

	GetEmployee(ctx context.Context, id int64) (Employee, error)
	ListEmployees(ctx context.Context, f EmployeeFilter, emit Emit[Employee]) (string, error)
	CreateEmployee(ctx context.Context, in NewEmployee) (Employee, error)
	UpdateEmployee(ctx context.Context, id int64, p EmployeePatch) (Employee, error)
	SetPassword(ctx context.Context, id int64, password string) error
	// CheckCreateEmployee and CheckSetPassword change nothing: they refuse
	// what CreateEmployee and SetPassword would refuse before looking at
	// the password, so that nobody types a password to be told no.
	CheckCreateEmployee(ctx context.Context, in NewEmployee) error
	CheckSetPassword(ctx context.Context, id int64) error
	Deactivate(ctx context.Context, id int64, reassignTo *int64) (Employee, error)
	Reactivate(ctx context.Context, id int64) (Employee, error)
	DeleteEmployee(ctx context.Context, id int64) error

	GetClient(ctx context.Context, id int64) (Client, error)
	ListClients(ctx context.Context, f ClientFilter, emit Emit[Client]) (string, error)
	CreateClient(ctx context.Context, in NewClient) (Client, error)
	UpdateClient(ctx context.Context, id int64, p ClientPatch) (Client, error)
	ReassignClient(ctx context.Context, id, salesContactID int64) (Client, error)

	GetContract(ctx context.Context, id int64) (Contract, error)
	ListContracts(ctx context.Context, f ContractFilter, emit Emit[Contract]) (string, error)
	CreateContract(ctx context.Context, in NewContract) (Contract, error)
	UpdateContract(ctx context.Context, id int64, p ContractPatch) (Contract, error)
	SignContract(ctx context.Context, id int64) (Contract, error)
	ReassignContract(ctx context.Context, id, salesContactID int64) (Contract, error)
	// A contract's ledger, oldest first, and the entries that change its
	// amount due.
	ListPayments(ctx context.Context, contractID int64, f PaymentFilter, emit Emit[Payment]) (string, error)
	RecordPayment(ctx context.Context, contractID int64, in NewPayment) (Payment, error)
	RefundPayment(ctx context.Context, contractID int64, in NewRefund) (Payment, error)

	GetEvent(ctx context.Context, id int64) (Event, error)
	ListEvents(ctx context.Context, f EventFilter, emit Emit[Event]) (string, error)
	CreateEvent(ctx context.Context, in NewEvent) (Event, error)
	UpdateEvent(ctx context.Context, id int64, p EventPatch) (Event, error)
	AssignSupport(ctx context.Context, id, supportID int64) (Event, error)
	UnassignSupport(ctx context.Context, id int64) (Event, error)

	ListAudit(ctx context.Context, f AuditFilter, emit Emit[AuditEntry]) (string, error)
}

var _ API = (*Service)(nil)
