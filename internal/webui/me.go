package webui

import (
	"net/http"
	"strconv"

	"github.com/epicevents/epicevents/internal/crm"
)

// meView is the own-account page's data.
type meView struct {
	// Me is the viewer, as read from the database on this request.
	Me crm.Employee
}

// mePage is GET /me: the viewer's own profile, and the form that changes
// their password. It is the one page open to a temporary password.
func (s *Server) mePage(w http.ResponseWriter, r *http.Request) error {
	p := s.mePageData(w, r)
	return s.render(w, r, http.StatusOK, "me", p)
}

func (s *Server) mePageData(w http.ResponseWriter, r *http.Request) *Page {
	p := s.newPage(w, r, "My account")
	p.Form = NewForm("password", nil)
	p.Data = meView{Me: *p.Viewer}
	if p.Viewer.MustChangePassword {
		p.Flash = temporaryPasswordMessage
	}
	return p
}

// changePassword is POST /me/password (current_password, new_password,
// new_password_confirm): the service's password change, as the API's, which
// ends every session of the employee; this browser gets the new session it
// opens. The repeat of the new password is the form's own check; every other
// refusal is the service's: 422 with the message beside its field, 429 (with
// Retry-After) when too many wrong current passwords were tried.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	current, next := r.PostForm.Get("current_password"), r.PostForm.Get("new_password")
	p := s.mePageData(w, r)
	if next != r.PostForm.Get("new_password_confirm") {
		p.Form.Errors["new_password_confirm"] = "Does not match the new password; type both again."
		p.Form.Message = "Check the fields marked below."
		return s.render(w, r, http.StatusUnprocessableEntity, "me", p)
	}
	ws, err := s.svc.ChangePasswordWeb(r.Context(), current, next)
	if err != nil {
		e, ok := crm.AsError(err)
		switch {
		case ok && e.Code == crm.CodeInvalid:
			p.Form.SetError(err, "current_password", "new_password")
			return s.render(w, r, http.StatusUnprocessableEntity, "me", p)
		case ok && e.Code == crm.CodeThrottled:
			w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
			p.Form.Message = sentence(e.Message)
			return s.render(w, r, http.StatusTooManyRequests, "me", p)
		}
		return err
	}
	setSession(w, ws)
	s.redirect(w, r, "/", passwordChangedMessage)
	return nil
}
