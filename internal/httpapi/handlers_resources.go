package httpapi

import (
	"context"
	"net/http"

	"github.com/epicevents/epicevents/internal/crm"
)

// The lists read their filters from the query with their codec
// (filters.go); everything else about a list is the generic list.

func (s *Server) listEmployees(w http.ResponseWriter, r *http.Request) error {
	return serveList(w, r, employeeFilters, s.svc.ListEmployees)
}

func (s *Server) listClients(w http.ResponseWriter, r *http.Request) error {
	return serveList(w, r, clientFilters, s.svc.ListClients)
}

func (s *Server) listContracts(w http.ResponseWriter, r *http.Request) error {
	return serveList(w, r, contractFilters, s.svc.ListContracts)
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	return serveList(w, r, eventFilters, s.svc.ListEvents)
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	return serveList(w, r, auditFilters, s.svc.ListAudit)
}

// The actions whose body carries an argument adapt the wire request types to
// the service's parameters.

func (s *Server) deactivate(ctx context.Context, id int64, b DeactivateRequest) (crm.Employee, error) {
	return s.svc.Deactivate(ctx, id, b.ReassignTo)
}

func (s *Server) setPassword(ctx context.Context, id int64, b SetPasswordRequest) (noContent, error) {
	return noContent{}, s.svc.SetPassword(ctx, id, b.Password)
}

// The checks answer 204 when the change they stand for would not be refused
// before its password is looked at, else the refusal it would get.

func (s *Server) checkCreateEmployee(ctx context.Context, b EmployeeCheckRequest) (noContent, error) {
	return noContent{}, s.svc.CheckCreateEmployee(ctx, crm.NewEmployee{FirstName: b.FirstName, LastName: b.LastName,
		Email: b.Email, Role: b.Role})
}

func (s *Server) checkSetPassword(ctx context.Context, id int64) (noContent, error) {
	return noContent{}, s.svc.CheckSetPassword(ctx, id)
}

func (s *Server) reassignClient(ctx context.Context, id int64, b SalesContactRequest) (crm.Client, error) {
	return s.svc.ReassignClient(ctx, id, b.SalesContactID)
}

func (s *Server) reassignContract(ctx context.Context, id int64, b SalesContactRequest) (crm.Contract, error) {
	return s.svc.ReassignContract(ctx, id, b.SalesContactID)
}

func (s *Server) assignSupport(ctx context.Context, id int64, b SupportRequest) (crm.Event, error) {
	return s.svc.AssignSupport(ctx, id, b.SupportContactID)
}
