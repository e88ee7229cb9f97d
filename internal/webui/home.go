package webui

import (
	"net/http"

	"github.com/epicevents/epicevents/internal/crm"
)

// homeView is the content of my work.
type homeView struct {
	// Sections are the parts of the CRM the viewer's role may use, each with
	// what it holds.
	Sections []homeSection
}

// homeSection is one part of the CRM, as my work links to it.
type homeSection struct {
	NavItem
	About string
}

// sectionAbout says what each section of the menu holds.
var sectionAbout = map[string]string{
	"/clients":   "Every client, with their company, contact details and sales contact.",
	"/contracts": "Every contract: amounts, what is still due, and whether it is signed.",
	"/events":    "Every event: dates, place, attendees and the support contact.",
	"/employees": "The people of Epic Events: accounts, roles and passwords.",
	"/audit":     "Who changed what, and when.",
}

// homePage is GET /: my work, the page a login leads to. It greets the
// viewer and links to the sections their role may use.
func (s *Server) homePage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "My work")
	var v homeView
	for _, item := range p.Nav {
		if about, ok := sectionAbout[item.Href]; ok {
			v.Sections = append(v.Sections, homeSection{NavItem: item, About: about})
		}
	}
	p.Data = v
	return s.render(w, r, http.StatusOK, "home", p)
}

// roleNames are the departments as the pages name them.
var roleNames = map[crm.Role]string{
	crm.RoleManagement: "Management",
	crm.RoleSales:      "Sales",
	crm.RoleSupport:    "Support",
}

// roleName is the department of role in words ("Sales").
func roleName(role crm.Role) string {
	if n, ok := roleNames[role]; ok {
		return n
	}
	return string(role)
}
