package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/termsafe"
)

// Timeouts of the Client: connecting (TCP and TLS) and one whole request,
// answer included. A list follows its pages with one request each.
const (
	DialTimeout    = 5 * time.Second
	RequestTimeout = 30 * time.Second
)

// maxResponseBytes bounds what one answer may weigh: a page of MaxLimit rows
// is far below it, so more means something is wrong on the other side.
const maxResponseBytes = 32 << 20

// ClientOptions tunes a Client; the zero value is right for the CLI.
type ClientOptions struct {
	// HTTPClient replaces the default client (tests). Its redirect policy is
	// kept as given.
	HTTPClient *http.Client
	// UserAgent is sent with every request, such as "epicevents/1.2.0".
	UserAgent string
}

// Client implements crm.API against `epicevents serve`, so that the CLI runs
// every command in remote mode exactly as in local mode. It forwards the
// access token that the context carries (crm.WithAccessToken) and turns
// problem answers back into the *crm.Error the server's service returned.
type Client struct {
	base string // normalised server URL, as NormalizeServerURL returns it
	api  string // base + Prefix
	hc   *http.Client
	ua   string
}

var _ crm.API = (*Client)(nil)

// NewClient returns a client of the server at baseURL (http or https; a path
// is kept, for a server behind a reverse proxy under a folder).
func NewClient(baseURL string, opts ClientOptions) (*Client, error) {
	base, err := NormalizeServerURL(baseURL)
	if err != nil {
		return nil, err
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient()
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = "epicevents"
	}
	return &Client{base: base, api: base + Prefix, hc: hc, ua: ua}, nil
}

// BaseURL returns the normalised URL of the server, the name under which the
// CLI keeps this server's tokens.
func (c *Client) BaseURL() string { return c.base }

// NormalizeServerURL checks a server address and writes it one way: scheme
// and host in lower case, no default port, no trailing slash, no trailing
// /api/v1. Only https is accepted, and plain http for a server on this
// machine (IsLoopbackHost), without credentials, query or fragment. The
// error is a *crm.Error (CodeInvalid) that says what to write; it never
// repeats a password written in the address.
func NormalizeServerURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	shown := raw
	bad := func(why string) error {
		return crm.Errorf(crm.CodeInvalid, "server: %q %s; write it like https://crm.example.com", shown, why)
	}
	if raw == "" {
		return "", crm.Errorf(crm.CodeInvalid, "server: an address is required, such as https://crm.example.com")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", bad("is not a URL")
	}
	if _, has := u.User.Password(); has {
		shown = u.Redacted()
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", bad("must start with https:// (or http:// for a server on this machine)")
	case u.Host == "" || u.Hostname() == "":
		return "", bad("has no host")
	case u.User != nil:
		return "", bad("must not carry a user name or password")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", bad("must not have a query or a fragment")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if u.Port() == "" && strings.HasSuffix(u.Host, ":") {
		return "", bad("has an empty port")
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", bad("has an invalid port")
		}
		port = strconv.Itoa(n)
	}
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if u.Scheme == "http" && !IsLoopbackHost(host) {
		// Plain http would carry the password and the tokens in clear
		// across the network, to whoever answers for that name.
		return "", crm.Errorf(crm.CodeInvalid,
			"server: %q would send your password and tokens unencrypted over the network; "+
				"use https:// (plain http:// is allowed only for localhost, 127.0.0.0/8 and [::1])", shown)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	path = strings.TrimSuffix(path, Prefix)
	path = strings.TrimRight(path, "/")
	return u.Scheme + "://" + host + path, nil
}

// IsLoopbackHost reports whether host (a URL's host name, without port or
// brackets) names this machine beyond doubt: "localhost", an address of
// 127.0.0.0/8 or ::1 (also written as an IPv4-mapped 127.x address). Other
// names, even ones that resolve to a loopback address today, and shorthand
// forms such as "127.1" are not: what they reach depends on a resolver.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return false
	}
	return a.Unmap().IsLoopback()
}

func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = DialTimeout
	t.ResponseHeaderTimeout = RequestTimeout
	// Certificates are always verified, never skipped; a private CA is added with
	// SSL_CERT_FILE or SSL_CERT_DIR, which Go reads.
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return &http.Client{
		Transport: t,
		Timeout:   RequestTimeout,
		// A redirect would turn a POST into a GET and might carry the token
		// to another host: the address given must be the API's.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// request describes one call.
type request struct {
	method string
	path   string // under Prefix, such as "/clients/7"
	query  url.Values
	body   any // marshalled as JSON when non-nil
	// idempotent sends a fresh Idempotency-Key, and the request once more
	// with the same key when no answer came back.
	idempotent bool
}

// send performs req and returns the open response when its status is 2xx;
// otherwise it returns the error the answer stands for.
func (c *Client) send(ctx context.Context, req request) (*http.Response, error) {
	u := c.api + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body []byte
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return nil, fmt.Errorf("httpapi: encode %s %s: %w", req.method, req.path, err)
		}
		body = b
	}
	key := ""
	if req.idempotent {
		key = rand.Text()
	}
	resp, err := c.do(ctx, req, u, body, key)
	if err != nil && key != "" && ctx.Err() == nil {
		// No answer came back: the server may have recorded the request
		// or not. Sent again with the same key, it is recorded at most
		// once, and answered as the first time if it was.
		resp, err = c.do(ctx, req, u, body, key)
	}
	if err != nil {
		return nil, c.transportError(ctx, req, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer drain(resp)
	return nil, c.answerError(req, resp)
}

// do sends one request; body is JSON when not nil.
func (c *Client) do(ctx context.Context, req request, u string, body []byte, idempotencyKey string) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("httpapi: %s %s: %w", req.method, req.path, err)
	}
	hr.Header.Set("Accept", "application/json, "+ProblemType)
	hr.Header.Set("User-Agent", c.ua)
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if idempotencyKey != "" {
		hr.Header.Set(IdempotencyHeader, idempotencyKey)
	}
	if tok := crm.AccessToken(ctx); tok != "" {
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	return c.hc.Do(hr)
}

// drain reads a little of what is left so that the connection can be reused,
// then closes the body.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// call performs req and decodes a JSON answer into out (unless out is nil).
func (c *Client) call(ctx context.Context, req request, out any) error {
	resp, err := c.send(ctx, req)
	if err != nil {
		return err
	}
	defer drain(resp)
	if out == nil {
		return nil
	}
	if err := checkJSON(resp); err != nil {
		return c.unexpected(req, err)
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxResponseBytes))
	if err := dec.Decode(out); err != nil {
		return c.unexpected(req, err)
	}
	return nil
}

func checkJSON(resp *http.Response) error {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return fmt.Errorf("content type %q, not application/json (HTTP %d)", resp.Header.Get("Content-Type"), resp.StatusCode)
	}
	return nil
}

// unexpected wraps an answer that is not what the API promises. It is not a
// *crm.Error, so the CLI shows "internal error" with a reference and logs it.
func (c *Client) unexpected(req request, err error) error {
	return fmt.Errorf("httpapi: %s %s%s: the answer is not the expected JSON: %w", req.method, c.api, req.path, err)
}

// transportError turns a failure to get any answer into CodeUnavailable, so
// that the CLI says to check the address or try later (exit 7).
func (c *Client) transportError(ctx context.Context, req request, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("httpapi: %s %s: %w", req.method, req.path, ctx.Err())
	}
	var (
		unknownCA  x509.UnknownAuthorityError
		badHost    x509.HostnameError
		invalid    x509.CertificateInvalidError
		verifyErr  *tls.CertificateVerificationError
		recordErr  tls.RecordHeaderError
		certIssue  = errors.As(err, &unknownCA) || errors.As(err, &badHost) || errors.As(err, &invalid) || errors.As(err, &verifyErr)
		notTLSPeer = errors.As(err, &recordErr)
	)
	switch {
	case certIssue:
		return &crm.Error{Code: crm.CodeUnavailable, Err: err, Message: fmt.Sprintf(
			"the certificate of the server at %s cannot be verified; check the address, or add your organisation's CA with SSL_CERT_FILE", c.base)}
	case notTLSPeer:
		return &crm.Error{Code: crm.CodeUnavailable, Err: err, Message: fmt.Sprintf(
			"the server at %s does not speak HTTPS; check the address (http:// or https://)", c.base)}
	}
	return &crm.Error{Code: crm.CodeUnavailable, Err: err, Message: fmt.Sprintf(
		"the server at %s cannot be reached; check the address or try again later", c.base)}
}

// codeOfStatus reads an error code from an HTTP status, for answers whose
// problem body does not name one.
func codeOfStatus(status int) (crm.Code, bool) {
	switch status {
	case 400, 413, 415, 422:
		return crm.CodeInvalid, true
	case 401:
		return crm.CodeUnauthenticated, true
	case 403:
		return crm.CodeForbidden, true
	case 404:
		return crm.CodeNotFound, true
	case 409:
		return crm.CodeConflict, true
	case 412:
		return crm.CodeStale, true
	case 429:
		return crm.CodeThrottled, true
	case 502, 503, 504:
		return crm.CodeUnavailable, true
	}
	return crm.CodeInternal, false
}

// knownCode reports whether c is one of the product's codes.
func knownCode(c crm.Code) bool {
	_, ok := statusOf[c]
	return ok
}

// answerError rebuilds the error of a non-2xx answer.
func (c *Client) answerError(req request, resp *http.Response) error {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var p Problem
	isProblem := mt == ProblemType || mt == "application/json"
	if isProblem {
		err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&p)
		isProblem = err == nil && (p.Detail != "" || p.Code != "" || p.Status != 0)
	}
	if !isProblem {
		// Not the API talking: a proxy or another program at that address.
		switch code, _ := codeOfStatus(resp.StatusCode); {
		case code == crm.CodeUnavailable:
			return &crm.Error{Code: crm.CodeUnavailable, Message: fmt.Sprintf(
				"the server at %s is unavailable (HTTP %d); try again later", c.base, resp.StatusCode)}
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			where := resp.Header.Get("Location")
			return crm.Errorf(crm.CodeInvalid,
				"the server at %s redirects to %q; give the address of the API itself with --server", c.base, where)
		case resp.StatusCode == http.StatusNotFound:
			return crm.Errorf(crm.CodeUnavailable,
				"no Epic Events API answers at %s (HTTP 404); check the address", c.base)
		case resp.StatusCode == http.StatusBadRequest && strings.HasPrefix(c.base, "http://"):
			// What Go's TLS server answers a plain-HTTP request with.
			return crm.Errorf(crm.CodeUnavailable,
				"the server at %s did not understand the request; if it serves HTTPS, use an https:// address", c.base)
		}
		return c.unexpected(req, fmt.Errorf("HTTP %d with content type %q", resp.StatusCode, resp.Header.Get("Content-Type")))
	}
	// What the server says is shown to the user, who must be able to trust
	// the terminal whatever the server is: one line each, nothing that a
	// terminal obeys.
	p.Detail, p.Reason, p.RequestID = termsafe.Line(p.Detail), termsafe.Line(p.Reason), termsafe.Line(p.RequestID)
	for i, f := range p.Errors {
		p.Errors[i] = crm.FieldError{Field: termsafe.Line(f.Field), Message: termsafe.Line(f.Message)}
	}
	code := p.Code
	if !knownCode(code) {
		code, _ = codeOfStatus(resp.StatusCode)
	}
	e := &crm.Error{Code: code, Message: p.Detail, Fields: p.Errors, Reason: p.Reason, RetryAfter: p.RetryAfter}
	if e.RetryAfter == 0 && code == crm.CodeThrottled {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = s
		}
	}
	if code == crm.CodeInternal {
		// The server logged the cause under its request id; the CLI shows
		// "internal error" with that reference.
		ref := p.RequestID
		if ref == "" {
			ref = termsafe.Line(resp.Header.Get("X-Request-Id"))
		}
		return &ServerError{Status: resp.StatusCode, RequestID: ref, Detail: p.Detail}
	}
	if e.Message == "" && len(e.Fields) == 0 {
		e.Message = fmt.Sprintf("the server refused the request (HTTP %d %s)", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return e
}

// ServerError is an unexpected error on the server's side (HTTP 500). It is
// not a *crm.Error, so the CLI reports it as an internal error; RequestID is
// the reference under which the server logged it.
type ServerError struct {
	Status    int
	RequestID string
	Detail    string
}

func (e *ServerError) Error() string {
	s := fmt.Sprintf("the server failed with HTTP %d", e.Status)
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Reference returns the server's reference for the failure, if any.
func (e *ServerError) Reference() string { return e.RequestID }

func idPath(collection string, id int64, action ...string) string {
	p := "/" + collection + "/" + strconv.FormatInt(id, 10)
	for _, a := range action {
		p += "/" + a
	}
	return p
}

// Login opens a session.
func (c *Client) Login(ctx context.Context, email, password string) (crm.Tokens, error) {
	return fetch[crm.Tokens](ctx, c, request{method: http.MethodPost, path: "/auth/login",
		body: LoginRequest{Email: email, Password: password}})
}

// Refresh trades a refresh token for a new pair.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (crm.Tokens, error) {
	return fetch[crm.Tokens](ctx, c, request{method: http.MethodPost, path: "/auth/refresh",
		body: RefreshRequest{RefreshToken: refreshToken}})
}

// Logout ends the session of the context's access token.
func (c *Client) Logout(ctx context.Context) error {
	return c.call(ctx, request{method: http.MethodPost, path: "/auth/logout"}, nil)
}

// Me returns the logged-in employee.
func (c *Client) Me(ctx context.Context) (crm.Employee, error) {
	return fetch[crm.Employee](ctx, c, request{method: http.MethodGet, path: "/me"})
}

// ChangePassword changes the caller's password; the answer is a fresh pair
// for this session.
func (c *Client) ChangePassword(ctx context.Context, current, next string) (crm.Tokens, error) {
	return fetch[crm.Tokens](ctx, c, request{method: http.MethodPost, path: "/me/password",
		body: PasswordChange{CurrentPassword: current, NewPassword: next}})
}

// GetEmployee returns one employee.
func (c *Client) GetEmployee(ctx context.Context, id int64) (crm.Employee, error) {
	return fetch[crm.Employee](ctx, c, request{method: http.MethodGet, path: idPath("employees", id)})
}

// ListEmployees streams employees to emit.
func (c *Client) ListEmployees(ctx context.Context, f crm.EmployeeFilter, emit crm.Emit[crm.Employee]) (string, error) {
	if f.Role != nil {
		r := canonicalRole(*f.Role)
		f.Role = &r
	}
	return list(ctx, c, employeeFilters, f, emit)
}

// CreateEmployee creates an employee.
func (c *Client) CreateEmployee(ctx context.Context, in crm.NewEmployee) (crm.Employee, error) {
	in.Role = canonicalRole(in.Role)
	return fetch[crm.Employee](ctx, c, request{method: http.MethodPost, path: "/employees", body: in})
}

// UpdateEmployee changes the fields set in p.
func (c *Client) UpdateEmployee(ctx context.Context, id int64, p crm.EmployeePatch) (crm.Employee, error) {
	if p.Role != nil {
		r := canonicalRole(*p.Role)
		p.Role = &r
	}
	return fetch[crm.Employee](ctx, c, request{method: http.MethodPatch, path: idPath("employees", id), body: p})
}

// SetPassword gives an employee a temporary password.
func (c *Client) SetPassword(ctx context.Context, id int64, password string) error {
	return c.call(ctx, request{method: http.MethodPost, path: idPath("employees", id, "set-password"),
		body: SetPasswordRequest{Password: password}}, nil)
}

// CheckCreateEmployee asks whether creating in would be refused before its
// password is looked at (the password is not sent).
func (c *Client) CheckCreateEmployee(ctx context.Context, in crm.NewEmployee) error {
	return c.call(ctx, request{method: http.MethodPost, path: "/employees/check", body: EmployeeCheckRequest{
		FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, Role: canonicalRole(in.Role)}}, nil)
}

// CheckSetPassword asks whether setting employee id's password would be
// refused before the password is looked at.
func (c *Client) CheckSetPassword(ctx context.Context, id int64) error {
	return c.call(ctx, request{method: http.MethodPost, path: idPath("employees", id, "set-password", "check")}, nil)
}

// Deactivate deactivates an employee, handing their portfolio to reassignTo.
func (c *Client) Deactivate(ctx context.Context, id int64, reassignTo *int64) (crm.Employee, error) {
	return fetch[crm.Employee](ctx, c, request{method: http.MethodPost, path: idPath("employees", id, "deactivate"),
		body: DeactivateRequest{ReassignTo: reassignTo}})
}

// Reactivate reactivates an employee.
func (c *Client) Reactivate(ctx context.Context, id int64) (crm.Employee, error) {
	return fetch[crm.Employee](ctx, c, request{method: http.MethodPost, path: idPath("employees", id, "reactivate")})
}

// DeleteEmployee deletes an employee who owns nothing.
func (c *Client) DeleteEmployee(ctx context.Context, id int64) error {
	return c.call(ctx, request{method: http.MethodDelete, path: idPath("employees", id)}, nil)
}

// GetClient returns one client.
func (c *Client) GetClient(ctx context.Context, id int64) (crm.Client, error) {
	return fetch[crm.Client](ctx, c, request{method: http.MethodGet, path: idPath("clients", id)})
}

// ListClients streams clients to emit.
func (c *Client) ListClients(ctx context.Context, f crm.ClientFilter, emit crm.Emit[crm.Client]) (string, error) {
	return list(ctx, c, clientFilters, f, emit)
}

// CreateClient creates a client.
func (c *Client) CreateClient(ctx context.Context, in crm.NewClient) (crm.Client, error) {
	return fetch[crm.Client](ctx, c, request{method: http.MethodPost, path: "/clients", body: in})
}

// UpdateClient changes the fields set in p.
func (c *Client) UpdateClient(ctx context.Context, id int64, p crm.ClientPatch) (crm.Client, error) {
	return fetch[crm.Client](ctx, c, request{method: http.MethodPatch, path: idPath("clients", id), body: p})
}

// ReassignClient gives a client another sales contact.
func (c *Client) ReassignClient(ctx context.Context, id, salesContactID int64) (crm.Client, error) {
	return fetch[crm.Client](ctx, c, request{method: http.MethodPost, path: idPath("clients", id, "reassign"),
		body: SalesContactRequest{SalesContactID: salesContactID}})
}

// GetContract returns one contract.
func (c *Client) GetContract(ctx context.Context, id int64) (crm.Contract, error) {
	return fetch[crm.Contract](ctx, c, request{method: http.MethodGet, path: idPath("contracts", id)})
}

// ListContracts streams contracts to emit.
func (c *Client) ListContracts(ctx context.Context, f crm.ContractFilter, emit crm.Emit[crm.Contract]) (string, error) {
	return list(ctx, c, contractFilters, f, emit)
}

// CreateContract creates a contract.
func (c *Client) CreateContract(ctx context.Context, in crm.NewContract) (crm.Contract, error) {
	return fetch[crm.Contract](ctx, c, request{method: http.MethodPost, path: "/contracts", body: in})
}

// UpdateContract changes the amounts set in p.
func (c *Client) UpdateContract(ctx context.Context, id int64, p crm.ContractPatch) (crm.Contract, error) {
	return fetch[crm.Contract](ctx, c, request{method: http.MethodPatch, path: idPath("contracts", id), body: p})
}

// SignContract signs a contract.
func (c *Client) SignContract(ctx context.Context, id int64) (crm.Contract, error) {
	return fetch[crm.Contract](ctx, c, request{method: http.MethodPost, path: idPath("contracts", id, "sign")})
}

// ReassignContract gives a contract another sales contact.
func (c *Client) ReassignContract(ctx context.Context, id, salesContactID int64) (crm.Contract, error) {
	return fetch[crm.Contract](ctx, c, request{method: http.MethodPost, path: idPath("contracts", id, "reassign"),
		body: SalesContactRequest{SalesContactID: salesContactID}})
}

// GetEvent returns one event.
func (c *Client) GetEvent(ctx context.Context, id int64) (crm.Event, error) {
	return fetch[crm.Event](ctx, c, request{method: http.MethodGet, path: idPath("events", id)})
}

// ListEvents streams events to emit.
func (c *Client) ListEvents(ctx context.Context, f crm.EventFilter, emit crm.Emit[crm.Event]) (string, error) {
	return list(ctx, c, eventFilters, f, emit)
}

// CreateEvent creates an event.
func (c *Client) CreateEvent(ctx context.Context, in crm.NewEvent) (crm.Event, error) {
	in.Start, in.End = in.Start.UTC(), in.End.UTC()
	return fetch[crm.Event](ctx, c, request{method: http.MethodPost, path: "/events", body: in})
}

// UpdateEvent changes the fields set in p.
func (c *Client) UpdateEvent(ctx context.Context, id int64, p crm.EventPatch) (crm.Event, error) {
	p.Start, p.End = utc(p.Start), utc(p.End)
	return fetch[crm.Event](ctx, c, request{method: http.MethodPatch, path: idPath("events", id), body: p})
}

// AssignSupport assigns a SUPPORT employee to an event.
func (c *Client) AssignSupport(ctx context.Context, id, supportID int64) (crm.Event, error) {
	return fetch[crm.Event](ctx, c, request{method: http.MethodPost, path: idPath("events", id, "assign"),
		body: SupportRequest{SupportContactID: supportID}})
}

// UnassignSupport removes an event's support contact.
func (c *Client) UnassignSupport(ctx context.Context, id int64) (crm.Event, error) {
	return fetch[crm.Event](ctx, c, request{method: http.MethodPost, path: idPath("events", id, "unassign")})
}

// ListPayments streams a contract's ledger to emit, oldest first.
func (c *Client) ListPayments(ctx context.Context, contractID int64, f crm.PaymentFilter, emit crm.Emit[crm.Payment]) (string, error) {
	return listAt(ctx, c, paymentFilters, idPath("contracts", contractID, "payments"), f, emit)
}

// RecordPayment records a payment of a contract. The request carries a
// fresh Idempotency-Key, so that the one retry after a dropped connection
// (send) never records it twice.
func (c *Client) RecordPayment(ctx context.Context, contractID int64, in crm.NewPayment) (crm.Payment, error) {
	return fetch[crm.Payment](ctx, c, request{method: http.MethodPost, path: idPath("contracts", contractID, "payments"),
		body:       PaymentRequest{Amount: in.Amount, Method: in.Method, Reference: in.Reference, ReceivedOn: in.ReceivedOn},
		idempotent: true})
}

// RefundPayment refunds a payment of a contract, with a fresh
// Idempotency-Key like RecordPayment.
func (c *Client) RefundPayment(ctx context.Context, contractID int64, in crm.NewRefund) (crm.Payment, error) {
	return fetch[crm.Payment](ctx, c, request{method: http.MethodPost,
		path: idPath("contracts", contractID, "payments", strconv.FormatInt(in.PaymentID, 10), "refund"),
		body: RefundRequest{Amount: in.Amount, Reason: in.Reason}, idempotent: true})
}

// ListAudit streams audit entries to emit.
func (c *Client) ListAudit(ctx context.Context, f crm.AuditFilter, emit crm.Emit[crm.AuditEntry]) (string, error) {
	return list(ctx, c, auditFilters, f, emit)
}

// canonicalRole writes a role as the API documents it (upper case). The
// service reads any case, as the CLI does in local mode; the document names
// the canonical form, and a role it does not know stays as given, for the
// server to refuse with the service's own words.
func canonicalRole(r crm.Role) crm.Role {
	if c := crm.Role(strings.ToUpper(strings.TrimSpace(string(r)))); c.Valid() {
		return c
	}
	return r
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// list follows the pages of the list of f, asking each for at most what is
// still wanted (and at most MaxLimit), and emits every item as it is
// decoded, so that no page, let alone the whole list, is held in memory.
// Like the service, it returns a cursor when more rows exist beyond the
// filter's page limit.
func list[F, T any](ctx context.Context, c *Client, codec filterCodec[F], f F, emit crm.Emit[T]) (string, error) {
	return listAt(ctx, c, codec, codec.route, f, emit)
}

// listAt is list on path, the codec's route with its wildcards filled in
// (the contract of a ledger).
func listAt[F, T any](ctx context.Context, c *Client, codec filterCodec[F], path string, f F, emit crm.Emit[T]) (string, error) {
	page := *codec.page(&f)
	remaining, cursor := page.Limit, page.Cursor
	for {
		n := MaxLimit
		if page.Limit > 0 {
			n = min(remaining, MaxLimit)
		}
		*codec.page(&f) = crm.Page{Limit: n, Cursor: cursor}
		q := codec.encode(f)
		got, next, err := listPage(ctx, c, request{method: http.MethodGet, path: path, query: q}, emit)
		if err != nil {
			return "", err
		}
		if next == "" {
			return "", nil
		}
		if got == 0 {
			return "", c.unexpected(request{method: http.MethodGet, path: path}, errors.New("an empty page with a next cursor"))
		}
		if page.Limit > 0 {
			if remaining -= got; remaining <= 0 {
				return next, nil
			}
		}
		cursor = next
	}
}

// listPage reads one page {"items": [...], "next": ...}, emitting items as
// they are decoded. It returns how many it emitted and the next cursor.
func listPage[T any](ctx context.Context, c *Client, req request, emit crm.Emit[T]) (int, string, error) {
	resp, err := c.send(ctx, req)
	if err != nil {
		return 0, "", err
	}
	defer drain(resp)
	if err := checkJSON(resp); err != nil {
		return 0, "", c.unexpected(req, err)
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxResponseBytes))
	bad := func(err error) (int, string, error) { return 0, "", c.unexpected(req, err) }
	if err := expectDelim(dec, '{'); err != nil {
		return bad(err)
	}
	var (
		n         int
		next      string
		seenItems bool
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad(err)
		}
		switch tok {
		case "items":
			if err := expectDelim(dec, '['); err != nil {
				return bad(err)
			}
			for dec.More() {
				var v T
				if err := dec.Decode(&v); err != nil {
					return bad(err)
				}
				if err := emit(v); err != nil {
					return n, "", err
				}
				n++
			}
			if err := expectDelim(dec, ']'); err != nil {
				return bad(err)
			}
			seenItems = true
		case "next":
			var s *string
			if err := dec.Decode(&s); err != nil {
				return bad(err)
			}
			if s != nil {
				// A cursor is opaque but printed in the line that says
				// how to see more: it must be plain text.
				if termsafe.Line(*s) != *s {
					return bad(errors.New("a next cursor with control characters"))
				}
				next = *s
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return bad(err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return bad(err)
	}
	if !seenItems {
		return bad(errors.New(`no "items" in a list answer`))
	}
	return n, next, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}

// fetch makes one call and decodes its answer as a T: the body of most
// methods of Client.
func fetch[T any](ctx context.Context, c *Client, r request) (T, error) {
	var v T
	err := c.call(ctx, r, &v)
	return v, err
}
