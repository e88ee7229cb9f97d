package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/epicevents/epicevents/internal/crm"
)

// apiHandler handles a request and returns its error, for Server.fail to
// answer as a problem. Handlers are built from the few generic shapes below,
// so that every resource decodes, checks and answers the same way.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// noContent is the result of an operation that answers no body (204).
type noContent struct{}

// writeResource writes v as JSON with status. A record (crm.Record) carries
// its ETag; noContent answers 204 without a body.
func writeResource(w http.ResponseWriter, status int, v any) error {
	if _, ok := v.(noContent); ok {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if rec, ok := v.(crm.Record); ok {
		w.Header().Set("ETag", ETag(rec.RecordVersion()))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The status is sent: an encoding error now can only be a broken
	// connection, which no answer could reach.
	_ = encodeJSON(w, v)
	return nil
}

// bodyBuffers keep the buffers of answers between requests.
var bodyBuffers = sync.Pool{New: func() any { return new([]byte) }}

// encodeJSON writes v and a newline as encoding/json does without HTML
// escaping (JSON is served with nosniff: there is no HTML context to guard).
// Records and pages of records write themselves, without reflection; other
// values go through encoding/json.
func encodeJSON(w io.Writer, v any) error {
	buf := bodyBuffers.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= 1<<20 { // a page of 500 events; keep no larger ones
			bodyBuffers.Put(buf)
		}
	}()
	var (
		b   []byte
		err error
	)
	switch v := v.(type) {
	case crm.JSONAppender:
		b, err = v.AppendJSON((*buf)[:0])
	case Page[crm.Client]:
		b, err = appendPage((*buf)[:0], v)
	case Page[crm.Contract]:
		b, err = appendPage((*buf)[:0], v)
	case Page[crm.Event]:
		b, err = appendPage((*buf)[:0], v)
	case Page[crm.Employee]:
		b, err = appendPage((*buf)[:0], v)
	default:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	}
	if err != nil {
		return err
	}
	b = append(b, '\n')
	*buf = b
	_, err = w.Write(b)
	return err
}

// appendPage writes a page as encoding/json writes Page[T].
func appendPage[T crm.JSONAppender](b []byte, p Page[T]) ([]byte, error) {
	b = append(b, `{"items":`...)
	if p.Items == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, item := range p.Items {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = item.AppendJSON(b); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"next":`...)
	if p.Next == nil {
		b = append(b, "null"...)
	} else {
		b = crm.AppendJSONString(b, *p.Next)
	}
	return append(b, '}'), nil
}

// pathID reads the {id} of the route: a positive integer, else 400.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("id", "must be an id (a positive whole number)")
	}
	return id, nil
}

// serveOne answers GET /<plural>/{id} with the record, its ETag, and 412 when
// If-Match names none of its versions.
func serveOne[T crm.Record](get func(context.Context, int64) (T, error)) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		cond, err := parseIfMatch(r.Header)
		if err != nil {
			return err
		}
		v, err := get(r.Context(), id)
		if err != nil {
			return err
		}
		if !cond.matches(v.RecordVersion()) {
			return errPreconditionFailed(v)
		}
		return writeResource(w, http.StatusOK, v)
	}
}

// serveCall answers a POST whose body is In with status and the result.
func serveCall[In, T any](status int, fn func(context.Context, In) (T, error)) apiHandler {
	return servePost(status, fn, nil)
}

// serveCreate answers POST /<plural>: 201 with the record, its Location (the
// route of its entity) and its ETag.
func serveCreate[In any, T crm.Record](fn func(context.Context, In) (T, error)) apiHandler {
	return servePost(http.StatusCreated, fn, func(w http.ResponseWriter, v T) {
		w.Header().Set("Location", Prefix+"/"+v.Entity().Plural+"/"+strconv.FormatInt(v.RecordID(), 10))
	})
}

// servePost decodes In, calls fn and answers status with its result, after
// letting headers (when not nil) set the headers of that result.
func servePost[In, T any](status int, fn func(context.Context, In) (T, error), headers func(http.ResponseWriter, T)) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in In
		if err := decodeBody(w, r, &in, bodyRequired); err != nil {
			return err
		}
		v, err := fn(r.Context(), in)
		if err != nil {
			return err
		}
		if headers != nil {
			headers(w, v)
		}
		return writeResource(w, status, v)
	}
}

// serveChange answers a PATCH, DELETE or action on /<plural>/{id}: the body B
// (per rule), If-Match, then fn; 200 with the resource, or 204 for noContent{}.
func serveChange[B, T any](rule bodyRule, fn func(ctx context.Context, id int64, body B) (T, error)) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		cond, err := parseIfMatch(r.Header)
		if err != nil {
			return err
		}
		ctx := cond.onChange(r.Context())
		var body B
		if err := decodeBody(w, r, &body, rule); err != nil {
			return err
		}
		v, err := fn(ctx, id, body)
		if err != nil {
			return err
		}
		return writeResource(w, http.StatusOK, v)
	}
}

// servePatch answers PATCH /<plural>/{id} with the patch type P.
func servePatch[P any, T crm.Record](fn func(context.Context, int64, P) (T, error)) apiHandler {
	return serveChange(bodyRequired, fn)
}

// serveAction answers POST /<plural>/{id}/<action> without a body of its own.
func serveAction[T any](fn func(context.Context, int64) (T, error)) apiHandler {
	return serveChange(bodyOptional, func(ctx context.Context, id int64, _ struct{}) (T, error) { return fn(ctx, id) })
}

// serveRemove answers DELETE /<plural>/{id} with 204.
func serveRemove(fn func(context.Context, int64) error) apiHandler {
	return serveAction(func(ctx context.Context, id int64) (noContent, error) { return noContent{}, fn(ctx, id) })
}

// serveList answers a list: its filter, read from the query by the list's
// codec, then the page as {"items": [...], "next": ...}. A page is at most
// MaxLimit rows, so it is gathered before answering: an error halfway still
// gets a proper problem.
func serveList[F, T any](w http.ResponseWriter, r *http.Request, codec filterCodec[F],
	fn func(context.Context, F, crm.Emit[T]) (string, error)) error {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errMalformedQuery
	}
	f, err := codec.decode(values)
	if err != nil {
		return err
	}
	items := make([]T, 0, DefaultLimit)
	next, err := fn(r.Context(), f, func(v T) error {
		items = append(items, v)
		return nil
	})
	if err != nil {
		// Every input of a list is a query parameter: an invalid one (a
		// role, a cursor, from after to) is a malformed request.
		return malformed(err)
	}
	p := Page[T]{Items: items}
	if next != "" {
		p.Next = &next
	}
	return writeResource(w, http.StatusOK, p)
}
