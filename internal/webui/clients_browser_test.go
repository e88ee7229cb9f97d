package webui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/webui/browsertest"
)

// TestBrowserClientsAndContractsPages: the list of clients, a client's
// page, a contract's page, the contracts list and the client form answered
// with errors pass every check of a page (no policy violation, axe, no
// sideways scroll) in every view; the screenshots of the docs come from
// here.
func TestBrowserClientsAndContractsPages(t *testing.T) {
	w := newWorld(t, "sqlite")
	kevin, signed := w.client("kevin"), w.contract("kevinSigned")
	// The main pages are checked in every view (and shot at a phone's and
	// a desktop's width); the others at both widths with JavaScript on.
	pages := []struct {
		name, who, path, heading string
		main                     bool
	}{
		{"clients", "bill", "/clients", "Clients", true},
		{"client", "ada", fmt.Sprintf("/clients/%d", kevin.ID), "Kevin Casey", true},
		{"contract", "bill", fmt.Sprintf("/contracts/%d", signed.ID), fmt.Sprintf("Contract %d", signed.ID), true},
		{"contracts", "ada", "/contracts?unpaid=1", "Contracts", false},
		{"client-edit", "bill", fmt.Sprintf("/clients/%d/edit", kevin.ID), "Edit Kevin Casey", false},
		{"contract-form", "ada", fmt.Sprintf("/contracts/new?client_id=%d", kevin.ID), "New contract for Kevin Casey", false},
		{"contract-edit", "bill", fmt.Sprintf("/contracts/%d/edit", signed.ID), fmt.Sprintf("Amounts of contract %d", signed.ID), false},
	}
	for i, v := range views {
		for _, pg := range pages {
			if !pg.main && i > 1 {
				continue
			}
			t.Run(v.name+"/"+pg.name, func(t *testing.T) {
				p := w.browseAs(t, pg.who, pg.path, v.opts...)
				if p.Status() != http.StatusOK || p.Text("h1") != pg.heading {
					t.Fatalf("status %d, heading %q", p.Status(), p.Text("h1"))
				}
				checkPage(p)
				if pg.main {
					shoot(p, v.name, pg.name)
				}
			})
		}
		t.Run(v.name+"/client-form-errors", func(t *testing.T) {
			p := w.browseAs(t, "bill", "/clients/new", v.opts...)
			checkPage(p)
			p.Fill("#client-first-name", "Marie")
			p.Fill("#client-email", "marie@")
			p.Fill("#client-phone", "12")
			p.Click("#client-save")
			if p.Status() != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", p.Status())
			}
			checkPage(p)
			if got := p.Attr("#client-email", "aria-describedby"); got != "client-email-error" || p.Text("#client-email-error") == "" {
				t.Errorf("the email's message: %q %q", got, p.Text("#client-email-error"))
			}
			if got := browsertest.Eval[string](p, "document.activeElement.id"); got != "client-last-name" {
				t.Errorf("focused %q, want the first bad field", got)
			}
			if got := p.Attr("#client-first-name", "value"); got != "Marie" {
				t.Errorf("first name %q, want it as typed", got)
			}
			shoot(p, v.name, "client-form-errors")
		})
	}
}

// shoot saves the screenshot of a page at a phone's and a desktop's width
// (only with EPICEVENTS_SCREENSHOTS).
func shoot(p *browsertest.Page, view, name string) {
	switch view {
	case "phone":
		p.Screenshot(name + "-phone")
	case "desktop":
		p.Screenshot(name + "-desktop")
	}
}

// TestBrowserSalesFlow: a sales rep finds a client as they type, edits
// them, creates a client, and signs one of their contracts, with
// JavaScript on.
func TestBrowserSalesFlow(t *testing.T) {
	w := newWorld(t, "sqlite")
	p := w.browse(t, crm.RoleSales, "/clients", browsertest.Width(375))
	browsertest.Eval[int](p, `window.__sameDocument = 1`)
	p.Fill("#client-search", "ouick")
	p.WaitFor(`location.search === "?search=ouick" && document.querySelectorAll("#client-results tbody tr").length === 1 &&
		!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`)
	time.Sleep(100 * time.Millisecond) // the swap's last events reach the test before the next click
	if browsertest.Eval[int](p, `window.__sameDocument || 0`) != 1 {
		t.Error("the search reloaded the page")
	}
	if got := p.Attr(`#client-results input[name="search"]`, "value"); got != "ouick" {
		t.Errorf("the sales contact filter keeps the search %q", got)
	}
	p.Click(`#client-results a[href^="/clients/"]`)
	if p.Text("h1") != "John Ouick" {
		t.Fatalf("the search result leads to %q", p.Text("h1"))
	}
	checkPage(p)
	p.Click("#client-edit")
	p.Fill("#client-company-name", "Ouick Weddings")
	p.Click("#client-save")
	if p.Text(".flash") != "Client saved." || !strings.Contains(p.Text("dl.detail"), "Ouick Weddings") {
		t.Errorf("after saving: flash %q, details %q", p.Text(".flash"), p.Text("dl.detail"))
	}

	p.Go(w.ts.URL + "/clients/new")
	p.Fill("#client-first-name", "Marie")
	p.Fill("#client-last-name", "Curie")
	p.Fill("#client-email", "marie@curie.example")
	p.Click("#client-save")
	if p.Text("h1") != "Marie Curie" || p.Text(".flash") != "Client Marie Curie created." {
		t.Errorf("after creating: %q, flash %q", p.Text("h1"), p.Text(".flash"))
	}
	checkPage(p)

	k := w.contract("kevinUnsigned")
	p.Go(fmt.Sprintf("%s/contracts/%d", w.ts.URL, k.ID))
	p.ClickExpectingNothing("#contract-sign") // the question, dismissed
	p.AnswerDialogs(true)
	p.Click("#contract-sign")
	if got := p.Text(".flash"); got != fmt.Sprintf("Contract %d is signed.", k.ID) {
		t.Errorf("after signing: flash %q", got)
	}
	if p.Count("#contract-sign") != 0 || p.Count("#new-event") != 1 {
		t.Error("a signed contract still offers to sign, or offers no new event")
	}
	checkPage(p)
}

// TestBrowserManagerFlow: a manager creates a contract from a client's
// page, reassigns it, and reassigns the client, picking people by name.
func TestBrowserManagerFlow(t *testing.T) {
	w := newWorld(t, "sqlite")
	kevin := w.client("kevin")
	p := w.browse(t, crm.RoleManagement, fmt.Sprintf("/clients/%d", kevin.ID), browsertest.Width(1440))
	p.Click("#new-contract")
	checkPage(p)
	p.Fill("#contract-total-amount", "2500.5")
	p.Click("#contract-save")
	if !strings.HasPrefix(p.Text(".flash"), "Contract ") || !strings.Contains(p.Text("dl.detail"), "2500.50") {
		t.Fatalf("after creating: flash %q, details %q", p.Text(".flash"), p.Text("dl.detail"))
	}
	chloe := strconv.FormatInt(w.person("chloe").ID, 10)
	p.Select("#reassign-sales-contact-id", chloe)
	p.Click("#contract-reassign")
	if got := p.Text(".flash"); !strings.HasSuffix(got, "is now followed by Chloé Durand.") {
		t.Errorf("after reassigning the contract: flash %q", got)
	}
	p.Go(fmt.Sprintf("%s/clients/%d", w.ts.URL, kevin.ID))
	p.Select("#reassign-sales-contact-id", chloe)
	p.Click("#client-reassign")
	if got := p.Text(".flash"); got != "Kevin Casey is now Chloé Durand's client." {
		t.Errorf("after reassigning the client: flash %q", got)
	}
	checkPage(p)
}

// TestBrowserSupportReads: support reads clients and contracts, and is
// offered no change.
func TestBrowserSupportReads(t *testing.T) {
	w := newWorld(t, "sqlite")
	p := w.browse(t, crm.RoleSupport, "/clients", browsertest.Width(375))
	if p.Count("#new-client") != 0 {
		t.Error("support is offered to create a client")
	}
	p.Click(fmt.Sprintf(`a[href="/clients/%d"]`, w.client("kevin").ID))
	checkPage(p)
	if n := p.Count("#client-edit, #new-contract, #client-reassign"); n != 0 {
		t.Errorf("support is offered %d changes on a client", n)
	}
	p.Click(fmt.Sprintf(`a[href="/contracts/%d"]`, w.contract("kevinSigned").ID))
	if n := p.Count("#contract-edit, #contract-sign, #contract-reassign, #new-event"); n != 0 {
		t.Errorf("support is offered %d changes on a contract", n)
	}
}

// TestBrowserClientCreateWithoutJavaScript: the form works as a plain form.
func TestBrowserClientCreateWithoutJavaScript(t *testing.T) {
	w := newWorld(t, "sqlite")
	p := w.browse(t, crm.RoleSales, "/clients/new", browsertest.NoJavaScript())
	p.Fill("#client-first-name", "Pierre")
	p.Fill("#client-last-name", "Curie")
	p.Fill("#client-email", "pierre@curie.example")
	p.Fill("#client-phone", "+33 6 12 34 56 78")
	p.Click("#client-save")
	if p.Text("h1") != "Pierre Curie" || p.Text(".flash") != "Client Pierre Curie created." {
		t.Fatalf("%s: %q, flash %q", p.URL(), p.Text("h1"), p.Text(".flash"))
	}
	checkPage(p)
	p.Go(w.ts.URL + "/clients")
	p.Fill("#client-search", "pierre")
	p.Click("#client-search ~ button")
	if n := p.Count("#client-results tbody tr"); n != 1 {
		t.Errorf("searching without JavaScript lists %d clients", n)
	}
}
