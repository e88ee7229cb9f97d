package crm

// Action is something an employee may try to do. Together with the role and
// whether the employee owns the object, it decides the permission (SPEC §3).
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
)

// Actions lists every action, for exhaustive tests and documentation.
var Actions = []Action{
	ActRead, ActManageEmployees, ActCreateClient, ActUpdateClient, ActReassignClient,
	ActCreateContract, ActUpdateContract, ActReassignContract, ActCreateEvent,
	ActUpdateEvent, ActAssignSupport, ActReadAudit, ActChangePassword,
}

// rule is one cell of the matrix: who may act, and whether SALES or SUPPORT
// must own the object.
type rule struct {
	management, sales, support bool
	ownerOnly                  bool // for the non-management roles allowed
}

var matrix = map[Action]rule{
	ActRead:             {management: true, sales: true, support: true},
	ActManageEmployees:  {management: true},
	ActCreateClient:     {sales: true},
	ActUpdateClient:     {management: true, sales: true, ownerOnly: true},
	ActReassignClient:   {management: true},
	ActCreateContract:   {management: true},
	ActUpdateContract:   {management: true, sales: true, ownerOnly: true},
	ActReassignContract: {management: true},
	ActCreateEvent:      {sales: true, ownerOnly: true},
	ActUpdateEvent:      {management: true, support: true, ownerOnly: true},
	ActAssignSupport:    {management: true},
	ActReadAudit:        {management: true},
	ActChangePassword:   {management: true, sales: true, support: true},
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
