package telemetry

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/getsentry/sentry-go"
)

// Filtered replaces whatever the scrubber removes.
const Filtered = "[Filtered]"

// allowedHeaderList are the only request and response headers an event may
// carry: they help to debug and name no one.
var allowedHeaderList = []string{"Content-Type", "Content-Length", "Accept", "User-Agent"}

var allowedHeaders = func() map[string]bool {
	m := map[string]bool{}
	for _, h := range allowedHeaderList {
		m[strings.ToLower(h)] = true
	}
	return m
}()

// sensitiveKey matches the names of fields whose values are credentials,
// whatever their values look like.
var sensitiveKey = regexp.MustCompile(`(?i)pass|pwd|secret|token|authorization|cookie|api[-_]?key|private[-_]?key|credential|session|dsn`)

var (
	// A JWT: three base64url segments, the first a JSON object ("eyJ" = `{"`).
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`)
	// An Authorization header's credentials, wherever they were copied.
	bearerPattern = regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+`)
	// An argon2 password hash in its PHC string form.
	argon2Pattern = regexp.MustCompile(`\$argon2(?:id|i|d)\$[A-Za-z0-9+/=,$.-]*`)
	// An email address.
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	// A credential in a URL: scheme://user:password@host.
	urlPasswordPattern = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*):[^\s@/]*@`)
	// key=value or "key": "value" pairs whose key names a credential.
	// A quoted value is filtered whole; a bare one up to a space or
	// separator.
	keyValuePattern = regexp.MustCompile(`(?i)((?:pass\w*|pwd|secret\w*|\w*token|authorization|api[-_]?key)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s"',;&\[][^\s"',;&]*)`)
	// A long run of base64url or hex characters: refresh tokens, keys,
	// hashes. Checked further by looksRandom.
	longRunPattern = regexp.MustCompile(`[A-Za-z0-9_-]{32,}`)
)

// ScrubString replaces anything in s that looks like a password, a token, a
// key, a hash or an email address with [Filtered].
func ScrubString(s string) string {
	if s == "" {
		return s
	}
	s = jwtPattern.ReplaceAllString(s, Filtered)
	s = bearerPattern.ReplaceAllString(s, Filtered)
	s = argon2Pattern.ReplaceAllString(s, Filtered)
	s = urlPasswordPattern.ReplaceAllString(s, "${1}:"+Filtered+"@")
	s = emailPattern.ReplaceAllString(s, Filtered)
	s = keyValuePattern.ReplaceAllStringFunc(s, func(m string) string {
		sub := keyValuePattern.FindStringSubmatch(m)
		switch v := sub[2]; v[0] {
		case '"', '\'':
			return sub[1] + string(v[0]) + Filtered + string(v[0])
		}
		return sub[1] + Filtered
	})
	s = longRunPattern.ReplaceAllStringFunc(s, func(m string) string {
		if looksRandom(m) {
			return Filtered
		}
		return m
	})
	return s
}

// looksRandom tells a token or hash (digits, or both letter cases, as
// base64url and hex have) from a long word or snake_case identifier.
func looksRandom(s string) bool {
	var digit, upper, lower bool
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		}
	}
	return digit || (upper && lower)
}

// Scrub removes personal data and secrets from e, in place, and returns it:
// the BeforeSend hook. The user keeps only its id; the request keeps its
// method, its URL without query and a few harmless headers; every message,
// exception value, tag, context and breadcrumb is filtered by key name and by
// value (ScrubString).
func Scrub(e *sentry.Event) *sentry.Event {
	if e == nil {
		return nil
	}
	e.User = sentry.User{ID: e.User.ID}
	// The host name of an employee's laptop often is the employee's name.
	e.ServerName = ""
	e.Message = ScrubString(e.Message)
	e.Transaction = ScrubString(e.Transaction)
	for i := range e.Exception {
		x := &e.Exception[i]
		x.Value = ScrubString(x.Value)
		if x.Mechanism != nil {
			x.Mechanism.Description = ScrubString(x.Mechanism.Description)
			scrubMap(x.Mechanism.Data)
		}
	}
	e.Tags = scrubTags(e.Tags)
	for name, c := range e.Contexts {
		if name == "trace" {
			// Trace and span ids are random hex by design, and Sentry
			// needs them whole; anything else in the context is filtered.
			for k, v := range c {
				if k != "trace_id" && k != "span_id" && k != "parent_span_id" {
					c[k] = scrubValue(k, v)
				}
			}
			continue
		}
		scrubMap(c)
	}
	for _, b := range e.Breadcrumbs {
		scrubBreadcrumb(b)
	}
	if e.Request != nil {
		scrubRequest(e.Request)
	}
	for _, sp := range e.Spans {
		if sp == nil {
			continue
		}
		sp.Description = ScrubString(sp.Description)
		sp.Tags = scrubTags(sp.Tags)
		scrubMap(sp.Data)
	}
	return e
}

func scrubBreadcrumb(b *sentry.Breadcrumb) {
	if b == nil {
		return
	}
	b.Message = ScrubString(b.Message)
	scrubMap(b.Data)
}

// scrubRequest keeps what says which endpoint failed and drops what says who
// called it or with what.
func scrubRequest(r *sentry.Request) {
	r.Cookies = ""
	r.QueryString = ""
	r.Data = ""
	r.Env = nil
	if u, err := url.Parse(r.URL); err == nil {
		u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
		r.URL = ScrubString(u.String())
	} else {
		r.URL = ""
	}
	for k, v := range r.Headers {
		if allowedHeaders[strings.ToLower(k)] {
			r.Headers[k] = ScrubString(v)
		} else {
			delete(r.Headers, k)
		}
	}
}

func scrubTags(tags map[string]string) map[string]string {
	for k, v := range tags {
		if sensitiveKey.MatchString(k) {
			tags[k] = Filtered
		} else {
			tags[k] = ScrubString(v)
		}
	}
	return tags
}

func scrubMap(m map[string]any) {
	for k, v := range m {
		m[k] = scrubValue(k, v)
	}
}

// scrubValue filters v, held under key: everything under a sensitive key, and
// any string that looks like a secret, however deep.
func scrubValue(key string, v any) any {
	if key != "" && sensitiveKey.MatchString(key) {
		return Filtered
	}
	switch x := v.(type) {
	case string:
		return ScrubString(x)
	case map[string]any:
		scrubMap(x)
		return x
	case map[string]string:
		for k, s := range x {
			x[k] = scrubValue(k, s).(string)
		}
		return x
	case []any:
		for i := range x {
			x[i] = scrubValue("", x[i])
		}
		return x
	case []string:
		for i := range x {
			x[i] = ScrubString(x[i])
		}
		return x
	case error:
		return ScrubString(x.Error())
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return x
	default:
		// An unknown type could marshal to anything: keep only its kind.
		return Filtered
	}
}
