package webui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
)

// The employees section is for those who manage employees (MANAGEMENT): the
// list, the account of each employee with what may be done to it, the forms
// that create and edit one, and the pages that show a temporary password
// once. The service decides every action; these pages only show its answers.

// employeeFields are the fields of the employee form, as the service names
// them.
var employeeFields = []string{"first_name", "last_name", "email", "role"}

// roleOptions are the departments as choices, in the product's order.
func roleOptions() []Option {
	o := make([]Option, len(crm.Roles))
	for i, r := range crm.Roles {
		o[i] = Option{Value: string(r), Label: roleName(r)}
	}
	return o
}

// mayManageEmployees is the service's answer to whether the viewer may
// manage employees (nil when they may): the employees section is theirs, and
// anyone else gets the page of its refusal.
func mayManageEmployees(p *Page) error {
	return crm.MayEver(p.Viewer.Role, crm.ActManageEmployees)
}

// employeesView is the list of employees.
type employeesView struct {
	Rows  []crm.Employee
	Next  string
	Roles []Option
	// Role is the department filtered by ("" for every one); All includes
	// deactivated employees.
	Role string
	All  bool
}

// employeesPage is GET /employees (role, all=1, cursor): the employees in
// the CLI's order (last name, first name), active ones only unless all=1,
// 50 a page.
func (s *Server) employeesPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Employees")
	if err := mayManageEmployees(p); err != nil {
		return err
	}
	q := r.URL.Query()
	f := crm.EmployeeFilter{Page: crm.Page{Limit: listRows, Cursor: q.Get("cursor")}}
	v := employeesView{Roles: roleOptions(), Role: strings.ToUpper(strings.TrimSpace(q.Get("role")))}
	if v.Role != "" {
		role := crm.Role(v.Role)
		f.Role = &role
	}
	all, err := queryFlag(q, "all")
	if err != nil {
		return err
	}
	f.All, v.All = all, all
	next, err := s.svc.ListEmployees(r.Context(), f, func(e crm.Employee) error {
		v.Rows = append(v.Rows, e)
		return nil
	})
	if err != nil {
		return err
	}
	v.Next = nextPage(r.URL, next)
	p.Data = v
	return s.render(w, r, http.StatusOK, "employees", p)
}

// employeeView is the page of one employee.
type employeeView struct {
	Employee crm.Employee
	// Self is the viewer's own account: nobody deactivates, deletes or
	// resets the password of themselves.
	Self bool
	// Reassign are whom a SALES or SUPPORT employee's clients, contracts or
	// upcoming events may go to on deactivation: the other active employees
	// of their role. ReassignLabel says what goes.
	Reassign      []Option
	ReassignLabel string
}

// employeePageData loads the page of employee id: the record, and what the
// viewer may do to it.
func (s *Server) employeePageData(w http.ResponseWriter, r *http.Request, id int64) (*Page, error) {
	p := s.newPage(w, r, "Employee")
	if err := mayManageEmployees(p); err != nil {
		return nil, err
	}
	e, err := s.svc.GetEmployee(r.Context(), id)
	if err != nil {
		return nil, err
	}
	p.Title = e.Name()
	p.Form = NewForm("deactivate", nil)
	v := employeeView{Employee: e, Self: e.ID == p.Viewer.ID}
	if e.Active && !v.Self && (e.Role == crm.RoleSales || e.Role == crm.RoleSupport) {
		people, err := s.peopleOptions(r.Context(), e.Role)
		if err != nil {
			return nil, err
		}
		self := strconv.FormatInt(e.ID, 10)
		v.Reassign = slices.DeleteFunc(people, func(o Option) bool { return o.Value == self })
		v.ReassignLabel = "Hand their clients and contracts to"
		if e.Role == crm.RoleSupport {
			v.ReassignLabel = "Hand their upcoming events to"
		}
	}
	p.Data = v
	return p, nil
}

// employeePage is GET /employees/{id}.
func (s *Server) employeePage(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	p, err := s.employeePageData(w, r, id)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "employees_show", p)
}

// employeeRefused answers an action on employee id that the service
// refused: an invalid value (422) or a refusal as things stand (409, such
// as deleting an employee who still owns clients) shows the employee's page
// again with the service's reason, and with what was typed; anything else
// gets its error page.
func (s *Server) employeeRefused(w http.ResponseWriter, r *http.Request, id int64, refusal error) error {
	e, ok := crm.AsError(refusal)
	if !ok || (e.Code != crm.CodeInvalid && e.Code != crm.CodeConflict && e.Code != crm.CodeStale) {
		return refusal
	}
	p, err := s.employeePageData(w, r, id)
	if err != nil {
		return err
	}
	p.Form.Values = r.PostForm
	p.Form.SetError(refusal, "reassign_to")
	status := http.StatusConflict
	if e.Code == crm.CodeInvalid {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, "employees_show", p)
}

// employeeFormView is the form that creates or edits an employee.
type employeeFormView struct {
	Heading, Action, Cancel, Submit string
	Roles                           []Option
	// Version is the version of the employee the form was loaded at (edit).
	Version int64
	// Self is the viewer's own account, whose role they may not change: the
	// form shows it instead of offering it.
	Self bool
	Role crm.Role
}

// employeeValues are the form's values of e.
func employeeValues(e crm.Employee) url.Values {
	return url.Values{"first_name": {e.FirstName}, "last_name": {e.LastName}, "email": {e.Email}, "role": {string(e.Role)}}
}

// newEmployeePage is GET /employees/new: the empty form.
func (s *Server) newEmployeePage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "New employee")
	if err := mayManageEmployees(p); err != nil {
		return err
	}
	p.Form = NewForm("employee", nil)
	p.Data = newEmployeeForm()
	return s.render(w, r, http.StatusOK, "employees_form", p)
}

func newEmployeeForm() employeeFormView {
	return employeeFormView{Heading: "New employee", Action: "/employees", Cancel: "/employees",
		Submit: "Create the employee", Roles: roleOptions()}
}

// passwordView is the page that shows a temporary password, once.
type passwordView struct {
	Employee crm.Employee
	Password string
	// Created is true for a new employee, false for a reset.
	Created bool
}

// createEmployee is POST /employees (first_name, last_name, email, role).
// The service creates the employee with a generated temporary password,
// which the answer shows once: it is in no URL, no cookie, no log line and
// no audit entry, and after logging in with it the employee must choose
// their own.
func (s *Server) createEmployee(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := crm.NewEmployee{FirstName: r.PostForm.Get("first_name"), LastName: r.PostForm.Get("last_name"),
		Email: r.PostForm.Get("email"), Role: crm.Role(r.PostForm.Get("role")),
		Password: auth.GeneratePassword(), Temporary: true}
	e, err := s.svc.CreateEmployee(r.Context(), in)
	if err != nil {
		if !refusedForm(err) {
			return err
		}
		p := s.newPage(w, r, "New employee")
		p.Form = NewForm("employee", r.PostForm)
		p.Form.SetError(err, employeeFields...)
		p.Data = newEmployeeForm()
		return s.render(w, r, formStatus(err), "employees_form", p)
	}
	p := s.newPage(w, r, "Temporary password for "+e.Name())
	p.Flash = e.Name() + " can now log in, with the temporary password below."
	p.Data = passwordView{Employee: e, Password: in.Password, Created: true}
	return s.render(w, r, http.StatusOK, "employees_password", p)
}

// refusedForm reports whether err is the service refusing a form's values
// (invalid, in conflict with the state of things, or stale), which the form
// shows again with formStatus; any other error gets its error page.
func refusedForm(err error) bool {
	return isCode(err, crm.CodeInvalid) || isCode(err, crm.CodeConflict) || isCode(err, crm.CodeStale)
}

// editEmployeePage is GET /employees/{id}/edit: the form, with the current
// values and the version they are at.
func (s *Server) editEmployeePage(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "Edit employee")
	if err := mayManageEmployees(p); err != nil {
		return err
	}
	e, err := s.svc.GetEmployee(r.Context(), id)
	if err != nil {
		return err
	}
	p.Title = "Edit " + e.Name()
	p.Form = NewForm("employee", employeeValues(e))
	p.Data = s.editEmployeeForm(p, e)
	return s.render(w, r, http.StatusOK, "employees_form", p)
}

func (s *Server) editEmployeeForm(p *Page, e crm.Employee) employeeFormView {
	path := "/employees/" + strconv.FormatInt(e.ID, 10)
	return employeeFormView{Heading: "Edit " + e.Name(), Action: path, Cancel: path, Submit: "Save",
		Roles: roleOptions(), Version: e.Version, Self: e.ID == p.Viewer.ID, Role: e.Role}
}

// updateEmployee is POST /employees/{id} (first_name, last_name, email,
// role, version): the fields that differ from the employee's current ones
// are saved, unless the employee changed since the form was loaded (409
// with the current values, nothing saved).
func (s *Server) updateEmployee(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	version, err := formVersion(r.PostForm)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "Edit employee")
	if err := mayManageEmployees(p); err != nil {
		return err
	}
	current, err := s.svc.GetEmployee(r.Context(), id)
	if err != nil {
		return err
	}
	var patch crm.EmployeePatch
	changed := func(name, now string) *string {
		v, ok := r.PostForm[name]
		if !ok || strings.TrimSpace(v[0]) == now {
			return nil
		}
		return &v[0]
	}
	patch.FirstName = changed("first_name", current.FirstName)
	patch.LastName = changed("last_name", current.LastName)
	if email := changed("email", current.Email); email != nil && !strings.EqualFold(strings.TrimSpace(*email), current.Email) {
		patch.Email = email // emails are kept in lower case: another case is no change
	}
	if role := changed("role", string(current.Role)); role != nil {
		patch.Role = (*crm.Role)(role)
	}
	path := "/employees/" + strconv.FormatInt(id, 10)
	if patch == (crm.EmployeePatch{}) {
		s.redirect(w, r, path, "Nothing was changed.")
		return nil
	}
	e, err := s.svc.UpdateEmployee(crm.WithIfMatch(r.Context(), version), id, patch)
	if err != nil {
		if !refusedForm(err) {
			return err
		}
		status := formStatus(err)
		p.Title = "Edit " + current.Name()
		if crm.ErrorCode(err) == crm.CodeStale {
			// Someone saved first: show what is there now, at its version.
			if current, err = s.svc.GetEmployee(r.Context(), id); err != nil {
				return err
			}
			p.Form = NewForm("employee", employeeValues(current))
			p.Form.Message = staleMessage
		} else {
			p.Form = NewForm("employee", r.PostForm)
			p.Form.SetError(err, employeeFields...)
		}
		p.Data = s.editEmployeeForm(p, current)
		return s.render(w, r, status, "employees_form", p)
	}
	msg := e.Name() + " is saved."
	if patch.Role != nil {
		msg += " Their role changed: their sessions have ended, and they log in again."
	}
	s.redirect(w, r, path, msg)
	return nil
}

// deactivateEmployee is POST /employees/{id}/deactivate (reassign_to,
// optional): the employee can no longer log in and their sessions end; the
// service moves a SALES employee's clients and contracts, or a SUPPORT
// employee's upcoming events, to reassign_to in the same change.
func (s *Server) deactivateEmployee(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	var to *int64
	if v := strings.TrimSpace(r.PostForm.Get("reassign_to")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s.employeeRefused(w, r, id, crm.Invalid("reassign_to", "must be one of the employees offered"))
		}
		to = &n
	}
	if s.asksAboutEmployee(r, id) {
		e, err := s.svc.GetEmployee(r.Context(), id)
		if err != nil {
			return err
		}
		if e.Active { // else the service says it already is deactivated
			heir, err := s.heir(r, to)
			if err != nil {
				return err
			}
			return s.askConfirmation(w, r, deactivateConfirmation(e, heir))
		}
	}
	e, err := s.svc.Deactivate(r.Context(), id, to)
	if err != nil {
		return s.employeeRefused(w, r, id, err)
	}
	msg := e.Name() + " is deactivated: they can no longer log in, and their sessions have ended."
	if to != nil {
		if heir, err := s.svc.GetEmployee(r.Context(), *to); err == nil {
			what := "clients and contracts"
			if e.Role == crm.RoleSupport {
				what = "upcoming events"
			}
			msg += " Their " + what + " went to " + heir.Name() + "."
		}
	}
	s.redirect(w, r, "/employees/"+strconv.FormatInt(id, 10), msg)
	return nil
}

// reactivateEmployee is POST /employees/{id}/reactivate.
func (s *Server) reactivateEmployee(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	e, err := s.svc.Reactivate(r.Context(), id)
	if err != nil {
		return s.employeeRefused(w, r, id, err)
	}
	s.redirect(w, r, "/employees/"+strconv.FormatInt(id, 10), e.Name()+" is active again and can log in.")
	return nil
}

// deleteEmployee is POST /employees/{id}/delete. The service refuses to
// delete an employee that clients, contracts or events still name (the page
// says so, 409, and offers the deactivation instead).
func (s *Server) deleteEmployee(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	// The name, for the message: the record is gone afterwards.
	e, err := s.svc.GetEmployee(r.Context(), id)
	if err != nil {
		return err
	}
	if s.asksAboutEmployee(r, id) {
		return s.askConfirmation(w, r, confirmation{Question: "Delete " + e.Name() + "?",
			What: "The account of " + e.Name() + " (" + e.Email + ") is removed for good: this cannot be undone. " +
				"Only an employee that no client, contract or event names can be deleted; deactivate the others.",
			Yes: "Yes, delete " + e.Name(), Class: "danger", Cancel: employeePath(id)})
	}
	if err := s.svc.DeleteEmployee(r.Context(), id); err != nil {
		return s.employeeRefused(w, r, id, err)
	}
	s.redirect(w, r, "/employees", e.Name()+" is deleted.")
	return nil
}

// setEmployeePassword is POST /employees/{id}/set-password: the service
// gives the employee a generated temporary password and ends their
// sessions; the answer shows the password once.
func (s *Server) setEmployeePassword(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if s.asksAboutEmployee(r, id) {
		e, err := s.svc.GetEmployee(r.Context(), id)
		if err != nil {
			return err
		}
		return s.askConfirmation(w, r, confirmation{Question: "Reset the password of " + e.Name() + "?",
			What: e.Name() + " gets a temporary password, shown to you once on the next page, and their sessions end at once: " +
				"their current password no longer works.",
			Yes: "Yes, reset the password of " + e.Name(), Class: "secondary", Cancel: employeePath(id)})
	}
	pw := auth.GeneratePassword()
	if err := s.svc.SetPassword(r.Context(), id, pw); err != nil {
		return s.employeeRefused(w, r, id, err)
	}
	e, err := s.svc.GetEmployee(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "Temporary password for "+e.Name())
	p.Flash = "The password of " + e.Name() + " is reset, and their sessions have ended."
	p.Data = passwordView{Employee: e, Password: pw}
	return s.render(w, r, http.StatusOK, "employees_password", p)
}

// employeePath is the page of employee id.
func employeePath(id int64) string { return "/employees/" + strconv.FormatInt(id, 10) }

// asksAboutEmployee reports whether a destructive action on employee id
// asks first (see confirm.go): when its form is not confirmed and the
// employee's page offers such actions, to a manager on another employee's
// account. Otherwise the action goes to the service, which refuses what it
// refuses.
func (s *Server) asksAboutEmployee(r *http.Request, id int64) bool {
	viewer := stateOf(r.Context()).viewer
	return !confirmed(r) && viewer != nil && id != viewer.ID && crm.RoleMayEver(viewer.Role, crm.ActManageEmployees)
}

// heir is the employee a deactivation hands the records to, when there is
// one and it exists (the service checks that they may take them, and
// refuses an employee who does not exist).
func (s *Server) heir(r *http.Request, to *int64) (*crm.Employee, error) {
	if to == nil {
		return nil, nil
	}
	heir, err := s.svc.GetEmployee(r.Context(), *to)
	if isCode(err, crm.CodeNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &heir, nil
}

// deactivateConfirmation asks before e is deactivated, their records going
// to heir (nil: they keep them).
func deactivateConfirmation(e crm.Employee, heir *crm.Employee) confirmation {
	what := e.Name() + " will no longer be able to log in, and their sessions end at once."
	if heir != nil {
		switch e.Role {
		case crm.RoleSales:
			what += " Their clients and contracts go to " + heir.Name() + "."
		case crm.RoleSupport:
			what += " Their upcoming events go to " + heir.Name() + "."
		}
	}
	what += " Their records keep their name, and you can reactivate them later."
	return confirmation{Question: "Deactivate " + e.Name() + "?", What: what,
		Yes: "Yes, deactivate " + e.Name(), Class: "danger", Cancel: employeePath(e.ID)}
}
