package crm

import (
	"context"
	"slices"
	"strings"
	"time"
)

func (s *Service) validateNewEmployee(in NewEmployee) (NewEmployee, error) {
	in, err := normalizeNewEmployee(in)
	if err != nil {
		return in, err
	}
	return in, CheckPassword("password", in.Password, in.Email, s.common)
}

// normalizeNewEmployee trims and checks every field of in but the password.
func normalizeNewEmployee(in NewEmployee) (NewEmployee, error) {
	var v Validator
	in.FirstName = personName(&v, "first_name", in.FirstName)
	in.LastName = personName(&v, "last_name", in.LastName)
	in.Email = email(&v, "email", in.Email)
	in.Role = validRole(&v, "role", in.Role)
	return in, v.Err()
}

// CheckNewEmployee refuses the fields of a new employee that creating it
// would refuse, all but the password, which it ignores: init asks it before
// asking for a password that could not be used anyway.
func CheckNewEmployee(in NewEmployee) error {
	_, err := normalizeNewEmployee(in)
	return err
}

// CheckCreateEmployee refuses, changing nothing, what CreateEmployee would
// refuse before it looks at the password: the caller's permission, the
// fields, an email already in use. The CLI asks it before asking for the
// new employee's password; CreateEmployee checks everything again.
func (s *Service) CheckCreateEmployee(ctx context.Context, in NewEmployee) error {
	if _, err := s.authorize(ctx, ActManageEmployees); err != nil {
		return err
	}
	in, err := normalizeNewEmployee(in)
	if err != nil {
		return err
	}
	_, _, err = s.store.GetEmployeeByEmail(ctx, in.Email)
	switch ErrorCode(err) {
	case "":
		return &Error{Code: CodeConflict, Fields: []FieldError{{Field: "email", Message: "already in use"}},
			Message: "an employee with that email already exists; use another email, or find it with `epicevents employees list`"}
	case CodeNotFound:
		return nil
	}
	return err
}

// CheckSetPassword refuses, changing nothing, what SetPassword would refuse
// before it looks at the password: the caller's permission, their own id
// (passwd is for that), an id that names nobody, a version that If-Match
// does not name. The CLI asks it before asking for the temporary password;
// SetPassword checks everything again.
func (s *Service) CheckSetPassword(ctx context.Context, id int64) error {
	actor, err := s.authorize(ctx, ActManageEmployees)
	if err != nil {
		return err
	}
	if err := notSelf(actor, id, "set-password"); err != nil {
		return err
	}
	_, err = fresh(ctx, id, s.store.GetEmployee)
	return err
}

// GetEmployee returns one employee; any logged-in employee may read them.
func (s *Service) GetEmployee(ctx context.Context, id int64) (Employee, error) {
	if _, err := s.authorize(ctx, ActRead); err != nil {
		return Employee{}, err
	}
	return s.store.GetEmployee(ctx, id)
}

// ListEmployees streams employees to emit.
func (s *Service) ListEmployees(ctx context.Context, f EmployeeFilter, emit Emit[Employee]) (string, error) {
	if _, err := s.authorize(ctx, ActRead); err != nil {
		return "", err
	}
	if f.Role != nil {
		var v Validator
		r := validRole(&v, "role", *f.Role)
		if err := v.Err(); err != nil {
			return "", err
		}
		f.Role = &r
	}
	f.Email = strings.ToLower(strings.TrimSpace(f.Email))
	return s.store.ListEmployees(ctx, f, emit)
}

// CreateEmployee adds an employee (MANAGEMENT only).
func (s *Service) CreateEmployee(ctx context.Context, in NewEmployee) (Employee, error) {
	actor, err := s.authorize(ctx, ActManageEmployees)
	if err != nil {
		return Employee{}, err
	}
	if in, err = s.validateNewEmployee(in); err != nil {
		return Employee{}, err
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return Employee{}, err
	}
	now := s.now()
	var emp Employee
	err = s.store.InTx(ctx, func(q Queries) error {
		emp, err = q.CreateEmployee(ctx, Employee{FirstName: in.FirstName, LastName: in.LastName,
			Email: in.Email, Role: in.Role, Active: true, MustChangePassword: in.Temporary,
			CreatedAt: now, UpdatedAt: now}, hash)
		if err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "employee.create", "employee", emp.ID, diff(nil, &emp))
	})
	if err == nil {
		s.notify(ctx, "employee.create", actor, emp.ID)
	}
	return emp, err
}

// UpdateEmployee changes names, email or role (MANAGEMENT only). Nobody changes
// their own role; a role change is refused while the employee still owns
// clients or contracts (SALES) or supports upcoming events (SUPPORT), and it
// ends their sessions.
func (s *Service) UpdateEmployee(ctx context.Context, id int64, p EmployeePatch) (Employee, error) {
	actor, err := s.authorize(ctx, ActManageEmployees)
	if err != nil {
		return Employee{}, err
	}
	if p == (EmployeePatch{}) {
		return Employee{}, errNothingToChange
	}
	var v Validator
	if p.FirstName != nil {
		*p.FirstName = personName(&v, "first_name", *p.FirstName)
	}
	if p.LastName != nil {
		*p.LastName = personName(&v, "last_name", *p.LastName)
	}
	if p.Email != nil {
		*p.Email = email(&v, "email", *p.Email)
	}
	if p.Role != nil {
		*p.Role = validRole(&v, "role", *p.Role)
	}
	if err := v.Err(); err != nil {
		return Employee{}, err
	}
	now := s.now()
	var after Employee
	err = s.store.InTx(ctx, func(q Queries) error {
		before, err := fresh(ctx, id, q.GetEmployee)
		if err != nil {
			return err
		}
		roleChange := p.Role != nil && *p.Role != before.Role
		if roleChange {
			if err := s.checkRoleChange(ctx, q, actor, before, now); err != nil {
				return err
			}
		}
		if after, err = q.UpdateEmployee(ctx, id, p, now); err != nil {
			return err
		}
		if roleChange {
			if err := q.RevokeEmployeeSessions(ctx, id, now); err != nil {
				return err
			}
		}
		return s.audit(ctx, q, &actor, "employee.update", "employee", id, diff(&before, &after))
	})
	if err == nil {
		s.notify(ctx, "employee.update", actor, id)
	}
	return after, err
}

func (s *Service) checkRoleChange(ctx context.Context, q Queries, actor Actor, emp Employee, now time.Time) error {
	if emp.ID == actor.ID {
		return Errorf(CodeForbidden, "permission denied: you cannot change your own role; ask another manager")
	}
	if err := s.keepLastManager(ctx, q, emp, "change the role of"); err != nil {
		return err
	}
	refs, err := q.EmployeeRefs(ctx, emp.ID, now)
	if err != nil {
		return err
	}
	switch {
	case emp.Role == RoleSales && refs.Clients+refs.Contracts > 0:
		return Errorf(CodeConflict, "employee %d still owns %s and %s; reassign them first (`epicevents clients reassign` or `epicevents employees deactivate %d --reassign-to ID`)",
			emp.ID, plural(refs.Clients, "client"), plural(refs.Contracts, "contract"), emp.ID)
	case emp.Role == RoleSupport && refs.UpcomingEvents > 0:
		return Errorf(CodeConflict, "employee %d supports %s; assign them to someone else first (`epicevents events assign`)",
			emp.ID, plural(refs.UpcomingEvents, "upcoming event"))
	}
	return nil
}

// keepLastManager refuses to take away the last active manager.
func (s *Service) keepLastManager(ctx context.Context, q Queries, emp Employee, verb string) error {
	if emp.Role != RoleManagement || !emp.Active {
		return nil
	}
	n, err := q.CountActiveManagers(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return Errorf(CodeConflict, "cannot %s the last active manager; make another employee MANAGEMENT first", verb)
	}
	return nil
}

func notSelf(actor Actor, id int64, what string) error {
	if actor.ID == id {
		return Errorf(CodeForbidden, "permission denied: you cannot %s yourself; %s", what, map[string]string{
			"deactivate":   "ask another manager",
			"delete":       "ask another manager",
			"set-password": "change your own password with `epicevents passwd`",
		}[what])
	}
	return nil
}

// SetPassword gives another employee a temporary password (MANAGEMENT only):
// their sessions end, and after logging in with it they must choose their own.
func (s *Service) SetPassword(ctx context.Context, id int64, password string) error {
	actor, err := s.authorize(ctx, ActManageEmployees)
	if err != nil {
		return err
	}
	if err := notSelf(actor, id, "set-password"); err != nil {
		return err
	}
	emp, err := s.store.GetEmployee(ctx, id)
	if err != nil {
		return err
	}
	if err := CheckPassword("password", password, emp.Email, s.common); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return err
	}
	now := s.now()
	return s.store.InTx(ctx, func(q Queries) error {
		if _, err := fresh(ctx, id, q.GetEmployee); err != nil {
			return err
		}
		if err := q.SetPassword(ctx, id, hash, true, now); err != nil {
			return err
		}
		if err := q.RevokeEmployeeSessions(ctx, id, now); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "employee.password_reset", "employee", id, nil)
	})
}

// Deactivate disables an employee (MANAGEMENT only): they cannot log in and
// their sessions end at once. With reassignTo, their clients and contracts
// (SALES) or upcoming events (SUPPORT) move to that active employee of the
// same role in the same transaction.
func (s *Service) Deactivate(ctx context.Context, id int64, reassignTo *int64) (Employee, error) {
	actor, err := s.authorize(ctx, ActManageEmployees)
	if err != nil {
		return Employee{}, err
	}
	if err := notSelf(actor, id, "deactivate"); err != nil {
		return Employee{}, err
	}
	now := s.now()
	var after Employee
	err = s.store.InTx(ctx, func(q Queries) error {
		before, err := fresh(ctx, id, q.GetEmployee)
		if err != nil {
			return err
		}
		if !before.Active {
			return Errorf(CodeConflict, "employee %d is already deactivated", id)
		}
		if err := s.keepLastManager(ctx, q, before, "deactivate"); err != nil {
			return err
		}
		changes := map[string]Change{}
		if reassignTo != nil {
			if err := s.reassignPortfolio(ctx, q, before, *reassignTo, now); err != nil {
				return err
			}
			changes["reassigned_to"] = Change{nil, *reassignTo}
		}
		if after, err = q.SetActive(ctx, id, false, now); err != nil {
			return err
		}
		if err := q.RevokeEmployeeSessions(ctx, id, now); err != nil {
			return err
		}
		for k, c := range diff(&before, &after) {
			changes[k] = c
		}
		return s.audit(ctx, q, &actor, "employee.deactivate", "employee", id, changes)
	})
	if err == nil {
		s.notify(ctx, "employee.deactivate", actor, id)
	}
	return after, err
}

func (s *Service) reassignPortfolio(ctx context.Context, q Queries, from Employee, to int64, now time.Time) error {
	if to == from.ID {
		return Invalid("reassign_to", "must be another employee than the one deactivated")
	}
	switch from.Role {
	case RoleSales:
		if _, err := assignee(ctx, q, "reassign_to", to, RoleSales); err != nil {
			return err
		}
		return q.MoveSalesPortfolio(ctx, from.ID, to, now)
	case RoleSupport:
		if _, err := assignee(ctx, q, "reassign_to", to, RoleSupport); err != nil {
			return err
		}
		return q.MoveUpcomingEvents(ctx, from.ID, to, now)
	}
	return Invalid("reassign_to", "only SALES and SUPPORT employees have clients or events to reassign")
}

// assignee loads the employee to assign: an id that names nobody is not found
// (exit 5); anyone but an active employee of the right role is invalid (exit 2).
func assignee(ctx context.Context, q Queries, field string, id int64, role Role) (Employee, error) {
	if id <= 0 {
		return Employee{}, Invalid(field, "is required: the id of an active "+string(role)+" employee")
	}
	emp, err := q.GetEmployee(ctx, id)
	if err != nil {
		return Employee{}, err
	}
	if !emp.Active || emp.Role != role {
		return Employee{}, Invalid(field, "must be an active "+string(role)+" employee")
	}
	return emp, nil
}

// Reactivate enables a deactivated employee again (MANAGEMENT only).
func (s *Service) Reactivate(ctx context.Context, id int64) (Employee, error) {
	actor, err := s.authorize(ctx, ActManageEmployees)
	if err != nil {
		return Employee{}, err
	}
	now := s.now()
	var after Employee
	err = s.store.InTx(ctx, func(q Queries) error {
		before, err := fresh(ctx, id, q.GetEmployee)
		if err != nil {
			return err
		}
		if before.Active {
			return Errorf(CodeConflict, "employee %d is already active", id)
		}
		if after, err = q.SetActive(ctx, id, true, now); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "employee.reactivate", "employee", id, diff(&before, &after))
	})
	if err == nil {
		s.notify(ctx, "employee.update", actor, id)
	}
	return after, err
}

// DeleteEmployee removes an employee nothing references (MANAGEMENT only);
// otherwise deactivate them.
func (s *Service) DeleteEmployee(ctx context.Context, id int64) error {
	actor, err := s.authorize(ctx, ActManageEmployees)
	if err != nil {
		return err
	}
	if err := notSelf(actor, id, "delete"); err != nil {
		return err
	}
	now := s.now()
	return s.store.InTx(ctx, func(q Queries) error {
		before, err := fresh(ctx, id, q.GetEmployee)
		if err != nil {
			return err
		}
		if err := s.keepLastManager(ctx, q, before, "delete"); err != nil {
			return err
		}
		refs, err := q.EmployeeRefs(ctx, id, now)
		if err != nil {
			return err
		}
		if refs.Total() > 0 {
			what := plural(refs.Clients, "client") + ", " + plural(refs.Contracts, "contract") + " and " + plural(refs.Events, "event")
			if refs.Payments > 0 {
				// Ledger entries name who recorded them, for good.
				what = plural(refs.Clients, "client") + ", " + plural(refs.Contracts, "contract") + ", " +
					plural(refs.Events, "event") + " and " + plural(refs.Payments, "payment")
			}
			return Errorf(CodeConflict, "employee %d is still referenced by %s; deactivate the employee instead (`epicevents employees deactivate %d`)",
				id, what, id)
		}
		if err := q.DeleteEmployee(ctx, id); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "employee.delete", "employee", id, diff(&before, nil))
	})
}

// ListAudit streams audit entries (MANAGEMENT only).
func (s *Service) ListAudit(ctx context.Context, f AuditFilter, emit Emit[AuditEntry]) (string, error) {
	if _, err := s.authorize(ctx, ActReadAudit); err != nil {
		return "", err
	}
	if f.Entity != "" && !slices.Contains(AuditEntities, f.Entity) {
		return "", Invalid("entity", "must be one of "+strings.Join(AuditEntities, ", "))
	}
	return s.store.ListAudit(ctx, f, emit)
}
