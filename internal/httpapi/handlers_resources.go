package httpapi

import (
	"context"
	"net/http"

	"github.com/epicevents/epicevents/internal/crm"
)

// The list handlers read their filters from the query (SPEC §4 in
// snake_case); everything else about a list is the generic list.

func (s *Server) listEmployees(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, QRole, QAll, QEmail)
	f := crm.EmployeeFilter{All: q.bool(QAll), Email: q.email(QEmail), Page: q.page()}
	if role := q.str(QRole); role != "" {
		f.Role = (*crm.Role)(&role)
	}
	return serveList(w, r, q, f, s.svc.ListEmployees)
}

func (s *Server) listClients(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, QMine, QSalesContactID, QSearch, QEmail)
	f := crm.ClientFilter{Mine: q.bool(QMine), SalesContactID: q.id(QSalesContactID),
		Search: q.str(QSearch), Email: q.email(QEmail), Page: q.page()}
	return serveList(w, r, q, f, s.svc.ListClients)
}

func (s *Server) listContracts(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, QUnsigned, QUnpaid, QMine, QClientID, QSalesContactID)
	f := crm.ContractFilter{Unsigned: q.bool(QUnsigned), Unpaid: q.bool(QUnpaid), Mine: q.bool(QMine),
		ClientID: q.id(QClientID), SalesContactID: q.id(QSalesContactID), Page: q.page()}
	return serveList(w, r, q, f, s.svc.ListContracts)
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, QWithoutSupport, QMine, QUpcoming, QContractID, QSupportID, QSalesContactID, QFrom, QTo)
	f := crm.EventFilter{WithoutSupport: q.bool(QWithoutSupport), Mine: q.bool(QMine), Upcoming: q.bool(QUpcoming),
		ContractID: q.id(QContractID), SupportContactID: q.id(QSupportID), SalesContactID: q.id(QSalesContactID),
		From: q.time(QFrom), To: q.time(QTo), Page: q.page()}
	return serveList(w, r, q, f, s.svc.ListEvents)
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r, QEntity, QEntityID, QActorID)
	f := crm.AuditFilter{Entity: q.str(QEntity), EntityID: q.id(QEntityID), ActorID: q.id(QActorID), Page: q.page()}
	return serveList(w, r, q, f, s.svc.ListAudit)
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
