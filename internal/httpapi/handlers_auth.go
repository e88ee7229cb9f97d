package httpapi

import (
	"context"
	"net/http"

	"github.com/epicevents/epicevents/internal/crm"
)

// login answers POST /auth/login, counting refusals for the metrics: a burst
// of failures or throttles is what an attack on passwords looks like.
func (s *Server) login(ctx context.Context, in LoginRequest) (crm.Tokens, error) {
	t, err := s.svc.Login(ctx, in.Email, in.Password)
	switch crm.ErrorCode(err) {
	case crm.CodeUnauthenticated:
		s.metrics.loginFailures.Inc()
	case crm.CodeThrottled:
		s.metrics.loginThrottle.Inc()
	}
	return t, err
}

// refresh answers POST /auth/refresh.
func (s *Server) refresh(ctx context.Context, in RefreshRequest) (crm.Tokens, error) {
	return s.svc.Refresh(ctx, in.RefreshToken)
}

// changePassword answers POST /me/password with the tokens of the fresh
// session the service opens (every other session of the caller ends).
func (s *Server) changePassword(ctx context.Context, in PasswordChange) (crm.Tokens, error) {
	return s.svc.ChangePassword(ctx, in.CurrentPassword, in.NewPassword)
}

// logout answers POST /auth/logout with 204.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := decodeBody(w, r, &struct{}{}, bodyOptional); err != nil {
		return err
	}
	if err := s.svc.Logout(r.Context()); err != nil {
		return err
	}
	return writeResource(w, http.StatusNoContent, noContent{})
}

// me answers GET /me, which is the caller's employee resource: its ETag,
// and If-Match, are those of GET /employees/{id}.
func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	cond, err := parseIfMatch(r.Header)
	if err != nil {
		return err
	}
	e, err := s.svc.Me(r.Context())
	if err != nil {
		return err
	}
	if !cond.matches(e.Version) {
		return errPreconditionFailed(e)
	}
	return writeResource(w, http.StatusOK, e)
}
