package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/epicevents/epicevents/internal/crm"
)

// ifMatch is the precondition of an If-Match header (RFC 9110 §13.1.1) on a
// route of one resource.
type ifMatch struct {
	// present: the request carries If-Match; without it, nothing is checked.
	present bool
	// any: the header is "*", which any current representation matches.
	any bool
	// versions are the versions named by the strong tags of the list. Weak
	// tags never match (If-Match compares strongly) and tags this server
	// never makes match no version: both are left out, so that a list of
	// them alone matches nothing.
	versions []int64
}

// errIfMatchSyntax is the 400 of an If-Match header that is not "*" or a
// list of entity tags.
var errIfMatchSyntax = badRequest("If-Match",
	`must be "*" or a comma-separated list of entity tags as sent in ETag, such as "3"`)

// parseIfMatch reads the If-Match field of h: its lines, if several, form one
// list. Only a header that is not valid syntax is an error; a weak tag, an
// unknown tag and an empty list are valid, and match nothing.
func parseIfMatch(h http.Header) (ifMatch, error) {
	lines, ok := h[http.CanonicalHeaderKey("If-Match")]
	if !ok {
		return ifMatch{}, nil
	}
	c := ifMatch{present: true}
	value := strings.Join(lines, ",")
	if strings.Trim(value, " \t") == "*" {
		c.any = true
		return c, nil
	}
	tags, ok := splitEntityTags(value)
	if !ok {
		return ifMatch{}, errIfMatchSyntax
	}
	for _, t := range tags {
		if v, ok := ParseETag(t); ok {
			c.versions = append(c.versions, v)
		}
	}
	return c, nil
}

// splitEntityTags parses a field value of the grammar
//
//	#entity-tag
//	entity-tag  = [ "W/" ] DQUOTE *etagc DQUOTE
//	etagc       = %x21 / %x23-7E / obs-text
//
// where a list may hold empty elements and optional whitespace around its
// commas (RFC 9110 §5.6.1). It returns the tags as written (weak ones with
// their W/); ok is false when s is not valid syntax, "*" included: that
// stands alone, never in a list. A comma inside quotes belongs to its tag.
func splitEntityTags(s string) (tags []string, ok bool) {
	i := 0
	skipOWS := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	for {
		skipOWS()
		if i == len(s) {
			return tags, true
		}
		if s[i] == ',' { // an empty element
			i++
			continue
		}
		start := i
		if strings.HasPrefix(s[i:], "W/") {
			i += 2
		}
		if i == len(s) || s[i] != '"' {
			return nil, false
		}
		for i++; i < len(s) && s[i] != '"'; i++ {
			if c := s[i]; c < 0x21 || c == 0x7f {
				return nil, false
			}
		}
		if i == len(s) {
			return nil, false // no closing quote
		}
		i++
		tags = append(tags, s[start:i])
		skipOWS()
		if i < len(s) && s[i] != ',' {
			return nil, false // two elements without a comma between
		}
	}
}

// matches reports whether a resource at version meets the precondition.
func (c ifMatch) matches(version int64) bool {
	if !c.present || c.any {
		return true
	}
	for _, v := range c.versions {
		if v == version {
			return true
		}
	}
	return false
}

// onChange returns ctx for a change under the precondition: the service
// checks it inside the change's transaction, with the row locked, so that of
// two writers holding the same tag only one wins. "*" asks for no more than
// a current representation, which the service's not-found already checks.
func (c ifMatch) onChange(ctx context.Context) context.Context {
	if !c.present || c.any {
		return ctx
	}
	return crm.WithIfMatch(ctx, c.versions...)
}

// errPreconditionFailed is the 412 of a read of rec whose If-Match does not
// match.
func errPreconditionFailed(rec crm.Record) error {
	return crm.Errorf(crm.CodeStale, "%s %d is at none of the versions that If-Match names (a weak tag never matches); read it without If-Match for its current ETag",
		rec.Entity().Name, rec.RecordID())
}
