// Package openapitest checks real HTTP traffic against the OpenAPI document of
// the API (internal/httpapi/openapi.json): a validating http.RoundTripper for
// tests that use an http.Client, and a validating reverse proxy for end-to-end
// tests that run `epicevents serve` as a subprocess.
//
// A violation is reported with t.Errorf, naming the method, the path, the
// status and what the document says. The rules are:
//   - every response must match the document: a documented status, its
//     required headers (ETag, Location, Retry-After), its content type and
//     its schema;
//   - every request must match a documented path and method;
//   - a request that the document refuses (unknown field, missing Bearer
//     token, limit out of range…) must be refused by the server too: a 2xx or
//     3xx answer to it is a violation. Tests may therefore send invalid
//     requests on purpose, to check the errors.
package openapitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// DocPath is the document's path relative to the module root.
const DocPath = "internal/httpapi/openapi.json"

// Spec is a loaded, validated OpenAPI document with a router over its paths.
type Spec struct {
	// Bytes is the document as read.
	Bytes []byte
	// Doc is the parsed document.
	Doc    *openapi3.T
	router routers.Router

	mu         sync.Mutex
	violations []string
	checked    int
}

// Load reads the document from the repository and fails the test if it does
// not load or is not a valid OpenAPI document.
func Load(t testing.TB) *Spec {
	t.Helper()
	b, err := os.ReadFile(docFile())
	if err != nil {
		t.Fatalf("openapi: read the document: %v", err)
	}
	s, err := Parse(b)
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	return s
}

// Parse loads and validates a document.
func Parse(b []byte) (*Spec, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("load the document: %w", err)
	}
	if err := doc.Validate(context.Background(),
		openapi3.EnableSchemaFormatValidation(),
		openapi3.EnableSchemaPatternValidation(),
		openapi3.EnableSchemaDefaultsValidation(),
		openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("the document is invalid: %w", err)
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the document: %w", err)
	}
	return &Spec{Bytes: b, Doc: doc, router: r}, nil
}

// docFile finds the document: next to this package's source, else under the
// module root found upwards from the working directory.
func docFile() string {
	if _, file, _, ok := runtime.Caller(0); ok {
		p := filepath.Join(filepath.Dir(file), "..", "openapi.json")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, filepath.FromSlash(DocPath))
		}
		up := filepath.Dir(dir)
		if up == dir {
			return filepath.FromSlash(DocPath)
		}
		dir = up
	}
}

// Violations returns every violation reported so far, for tests that check
// that the validator itself catches something.
func (s *Spec) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// Checked returns how many exchanges the Transport and the Proxy have checked,
// so that a test can make sure its traffic went through them.
func (s *Spec) Checked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checked
}

// bearerPresent is the document's security check: an Authorization header
// with a Bearer token. Whether the token is good is the server's business.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme == nil || in.SecurityScheme.Type != "http" || !strings.EqualFold(in.SecurityScheme.Scheme, "bearer") {
		return fmt.Errorf("unsupported security scheme %q", in.SecuritySchemeName)
	}
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no Authorization: Bearer token")
	}
	return nil
}

// Check validates one exchange and returns what is wrong with it: nil when the
// request and the response conform. The bodies are passed as bytes, as read.
func (s *Spec) Check(req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) error {
	ctx := context.Background()
	// The router matches on a copy whose body we own.
	vreq := req.Clone(ctx)
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	vreq.ContentLength = int64(len(reqBody))
	if vreq.URL.Host == "" {
		vreq.URL.Host = req.Host
	}
	route, pathParams, err := s.router.FindRoute(vreq)
	if err != nil {
		return fmt.Errorf("not in the document: %w", err)
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    bearerPresent,
	}
	opts.WithCustomSchemaErrorFunc(shortSchemaError)
	in := &openapi3filter.RequestValidationInput{
		Request: vreq, PathParams: pathParams, Route: route, Options: opts,
	}
	var problems []string
	if rerr := openapi3filter.ValidateRequest(ctx, in); rerr != nil && status < 400 {
		problems = append(problems, fmt.Sprintf("the server accepted a request that the document refuses: %v", rerr))
	}
	// ValidateRequest may have consumed the body; ValidateResponse does not need it.
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(respBody)),
		Options:                opts,
	}
	if rerr := openapi3filter.ValidateResponse(ctx, out); rerr != nil {
		problems = append(problems, fmt.Sprintf("the response does not match the document: %v", rerr))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// shortSchemaError says where and why a value fails, without dumping the
// schema and the value.
func shortSchemaError(err *openapi3.SchemaError) string {
	where := strings.Join(err.JSONPointer(), "/")
	if where == "" {
		return err.Reason
	}
	return "/" + where + ": " + err.Reason
}

func (s *Spec) report(t testing.TB, req *http.Request, status int, respBody []byte, err error) {
	t.Helper()
	body := respBody
	if len(body) > 500 {
		body = append(body[:500:500], "…"...)
	}
	msg := fmt.Sprintf("openapi violation: %s %s → %d: %v\n\tresponse body: %s", req.Method, req.URL.RequestURI(), status, err, body)
	s.mu.Lock()
	s.violations = append(s.violations, msg)
	s.mu.Unlock()
	t.Errorf("%s", msg)
}

// Transport returns a RoundTripper that sends through base (http.DefaultTransport
// when nil) and checks every exchange against the document, reporting each
// violation with t.Errorf. The response body is handed on unchanged.
func (s *Spec) Transport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{s: s, t: t, base: base}
}

type transport struct {
	s    *Spec
	t    testing.TB
	base http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		// A RoundTripper must not modify the request: send a copy.
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	resp, err := tr.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	tr.s.mu.Lock()
	tr.s.checked++
	tr.s.mu.Unlock()
	if verr := tr.s.Check(req, reqBody, resp.StatusCode, resp.Header, respBody); verr != nil {
		tr.s.report(tr.t, req, resp.StatusCode, respBody, verr)
	}
	return resp, nil
}

// Proxy starts a reverse proxy to target that checks every exchange passing
// through it, for end-to-end tests where the real server runs as a
// subprocess: point the CLI at the proxy's URL. It is closed when the test
// ends.
func (s *Spec) Proxy(t testing.TB, target *url.URL) *httptest.Server {
	t.Helper()
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
			r.SetXForwarded()
		},
		Transport: s.Transport(t, http.DefaultTransport),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// The server is down or went away: the test sees a 502 with no
			// document violation, as a client would without the proxy.
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv
}
