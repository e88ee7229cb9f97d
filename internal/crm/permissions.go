package crm

// Action is something an employee may try to do. Together with the role and
// whether the employee owns the object, it decides the permission; the matrix
// is the function Allowed below, and TestPermissionMatrix spells it out cell
// by cell.
type Action string

// The actions of the permission matrix.
const (
	ActRead             Action = "read"              // clients, contracts, events, employees
	ActManageEmployees  Action = "manage_employees"  // create, update, deactivate, reactivate, delete, reset password
	ActCreateClient     Action = "create_client"     // owner = themselves
	ActUpdateClient     Action = "update_client"     // owner: the client's sales contact
	ActReassignClient   Action = "reassign_client"   //
	ActCreateContract   Action = "create_contract"   //
	ActUpdateContract   Action = "update_contract"   // amounts and signature; owner: the contract's sales contact
	ActReassignContract Action = "reassign_contract" //
	ActCreateEvent      Action = "create_event"      // owner: the contract's sales contact
	ActUpdateEvent      Action = "update_event"      // owner: the event's support contact
	ActAssignSupport    Action = "assign_support"    // assign and unassign
	ActReadAudit        Action = "read_audit"        //
	ActChangePassword   Action = "change_password"   // one's own
	ActRecordPayment    Action = "record_payment"    // owner: the contract's sales contact
	ActRefundPayment    Action = "refund_payment"    //
)

// Actions lists every action, for exhaustive tests and documentation.
var Actions = []Action{
	ActRead, ActManageEmployees, ActCreateClient, ActUpdateClient, ActReassignClient,
	ActCreateContract, ActUpdateContract, ActReassignContract, ActCreateEvent,
	ActUpdateEvent, ActAssignSupport, ActReadAudit, ActChangePassword,
	ActRecordPayment, ActRefundPayment,
}

// rule is one row of the matrix: who may act, whether SALES or SUPPORT must
// own the object, and the refusal: what was refused and who may do it, in
// the words of the matrix. TestPermissionMatrix requires a refusal of every
// action that some role is refused.
type rule struct {
	management, sales, support bool
	ownerOnly                  bool // for the non-management roles allowed
	refusal                    string
}

var matrix = map[Action]rule{
	ActRead:            {management: true, sales: true, support: true},
	ActManageEmployees: {management: true, refusal: "manage employees: only MANAGEMENT may"},
	ActCreateClient:    {sales: true, refusal: "create clients: only SALES may"},
	ActUpdateClient: {management: true, sales: true, ownerOnly: true,
		refusal: "update this client: only MANAGEMENT and the client's sales contact may"},
	ActReassignClient: {management: true, refusal: "reassign clients: only MANAGEMENT may"},
	ActCreateContract: {management: true, refusal: "create contracts: only MANAGEMENT may"},
	ActUpdateContract: {management: true, sales: true, ownerOnly: true,
		refusal: "change this contract: only MANAGEMENT and the contract's sales contact may"},
	ActReassignContract: {management: true, refusal: "reassign contracts: only MANAGEMENT may"},
	ActCreateEvent: {sales: true, ownerOnly: true,
		refusal: "create an event on this contract: only its sales contact may"},
	ActUpdateEvent: {management: true, support: true, ownerOnly: true,
		refusal: "update this event: only MANAGEMENT and the SUPPORT employee assigned to it may"},
	ActAssignSupport:  {management: true, refusal: "assign support: only MANAGEMENT may"},
	ActReadAudit:      {management: true, refusal: "read the audit log: only MANAGEMENT may"},
	ActChangePassword: {management: true, sales: true, support: true},
	ActRecordPayment: {management: true, sales: true, ownerOnly: true,
		refusal: "record a payment on this contract: only MANAGEMENT and the contract's sales contact may"},
	ActRefundPayment: {management: true, refusal: "record a refund: only MANAGEMENT may"},
}

// Allowed reports whether an employee of role may perform a on an object that
// they own (owner) or not. Unknown roles and actions are denied.
func Allowed(role Role, a Action, owner bool) bool {
	r, ok := matrix[a]
	if !ok {
		return false
	}
	switch role {
	case RoleManagement:
		return r.management
	case RoleSales:
		return r.sales && (owner || !r.ownerOnly)
	case RoleSupport:
		return r.support && (owner || !r.ownerOnly)
	}
	return false
}

// RoleMayEver reports whether role may perform a on at least the objects it owns;
// the service checks it before loading anything, so that a refusal does not
// depend on whether the object exists.
func RoleMayEver(role Role, a Action) bool { return Allowed(role, a, true) }

// MayEver is RoleMayEver as the refusal the service gives (nil when allowed),
// before it loads anything (authorize).
func MayEver(role Role, a Action) error {
	if RoleMayEver(role, a) {
		return nil
	}
	return forbidden(role, a)
}

// forbidden is the refusal of a to an employee of role r.
func forbidden(r Role, a Action) *Error {
	what := matrix[a].refusal
	if what == "" {
		what = string(a) // an action no role is ever refused, asked by a role that is not one
	}
	return Errorf(CodeForbidden, "permission denied: as %s you cannot %s", r, what)
}

// The helpers below answer, for a record already read, whether an employee
// may act on it. The service decides with them; the web UI asks them which
// buttons to show, so that a page never offers what the service refuses.

// OwnsClient reports whether e is c's sales contact, which gives a SALES
// employee their rights on it.
func OwnsClient(e Employee, c Client) bool { return c.SalesContactID == e.ID }

// OwnsContract reports whether e is k's sales contact, which gives a SALES
// employee their rights on it.
func OwnsContract(e Employee, k Contract) bool { return k.SalesContactID == e.ID }

// MayOnClient reports whether e may perform a on the client c.
func MayOnClient(e Employee, a Action, c Client) bool { return Allowed(e.Role, a, OwnsClient(e, c)) }

// MayOnContract reports whether e may perform a on the contract k.
func MayOnContract(e Employee, a Action, k Contract) bool {
	return Allowed(e.Role, a, OwnsContract(e, k))
}

// MayChangeTotal reports whether e may change k's total amount: whoever may
// change the contract, until it is signed; after that, MANAGEMENT only (its
// sales contact may then only lower the amount due).
func MayChangeTotal(e Employee, k Contract) bool {
	return MayOnContract(e, ActUpdateContract, k) && (!k.Signed || e.Role == RoleManagement)
}

// Refusal is the service's refusal of a to an employee of role, for a page
// that asked the helpers above before showing a form the service would
// refuse to save.
func Refusal(role Role, a Action) error { return forbidden(role, a) }

// MayCreateEventOn reports whether e may add an event to contract c: its
// sales contact may, once it is signed. It is the rule CreateEvent applies;
// the pages ask it only to show or hide their buttons.
func MayCreateEventOn(e Employee, c Contract) bool { return createEventRefusal(e, c) == nil }

// MayUpdateEvent reports whether e may change the details of ev (and add a
// note to it): MANAGEMENT any event, SUPPORT the events assigned to them.
func MayUpdateEvent(e Employee, ev Event) bool {
	return Allowed(e.Role, ActUpdateEvent, ev.SupportContactID != nil && *ev.SupportContactID == e.ID)
}

// CheckUpdateEvent is MayUpdateEvent as the refusal the service gives (nil
// when allowed).
func CheckUpdateEvent(e Employee, ev Event) error {
	if MayUpdateEvent(e, ev) {
		return nil
	}
	return forbidden(e.Role, ActUpdateEvent)
}

// MayRenameEvent reports whether an employee of role may change an event's
// name, beside its other details: only MANAGEMENT may.
func MayRenameEvent(role Role) bool { return role == RoleManagement }
