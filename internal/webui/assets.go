package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// staticPrefix is where the static files are served.
const staticPrefix = "/static/"

// immutable is the Cache-Control of a static file: its URL names its content,
// so a browser may keep it for a year without asking again.
const immutable = "public, max-age=31536000, immutable"

// contentTypes are the types of the static files; a file of any other kind
// stops the server at start-up rather than being served with a guessed type.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".txt":   "text/plain; charset=utf-8",
	".png":   "image/png",
	".woff2": "font/woff2",
}

// compressible are the types worth compressing.
var compressible = map[string]bool{".css": true, ".js": true, ".svg": true, ".txt": true}

// asset is one static file, with its gzip form computed once at start-up.
type asset struct {
	url    string // "/static/app.0123456789.css"
	ctype  string
	body   []byte
	gz     []byte // nil when compression would not help
	etag   string
	gzETag string
}

// assets are the embedded static files, by logical name ("app.css",
// "vendor/htmx.min.js") and by their content-hashed URL.
type assets struct {
	byName map[string]*asset
	byURL  map[string]*asset
}

// loadAssets reads every file under root of fsys. Each gets a URL that
// carries the first hex digits of its SHA-256, so that a new build with a
// changed file gets a new URL and browsers never use a stale copy.
func loadAssets(fsys fs.FS, root string) (*assets, error) {
	a := &assets{byName: map[string]*asset{}, byURL: map[string]*asset{}}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := strings.TrimPrefix(p, root+"/")
		ext := path.Ext(name)
		ctype, ok := contentTypes[ext]
		if !ok {
			return fmt.Errorf("static file %s: no content type is known for %q files", name, ext)
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:10]
		x := &asset{
			url:   staticPrefix + strings.TrimSuffix(name, ext) + "." + hash + ext,
			ctype: ctype,
			body:  body,
			etag:  `"` + hash + `"`,
		}
		if compressible[ext] {
			if x.gz, err = gzipBytes(body); err != nil {
				return err
			}
			if len(x.gz) >= len(body) {
				x.gz = nil
			} else {
				x.gzETag = `"` + hash + `-gzip"`
			}
		}
		a.byName[name] = x
		a.byURL[x.url] = x
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(a.byName) == 0 {
		return nil, fmt.Errorf("no static files under %s", root)
	}
	return a, nil
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// url returns the hashed URL of the static file name; templates call it
// through the "asset" function, so that a misspelt name fails the render
// (and the tests) instead of giving a page without its stylesheet.
func (a *assets) url(name string) (string, error) {
	if x, ok := a.byName[name]; ok {
		return x.url, nil
	}
	return "", fmt.Errorf("no static file %q", name)
}

// names lists the logical names, sorted.
func (a *assets) names() []string {
	n := make([]string, 0, len(a.byName))
	for k := range a.byName {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// ServeHTTP answers GET and HEAD of a hashed URL; any other name is 404,
// unhashed names included, so that no response can be cached under a URL
// whose content may change.
func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x, ok := a.byURL[r.URL.Path]
	if !ok {
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("There is no such file; reload the page to get the current ones.\n"))
		return
	}
	h := w.Header()
	h.Set("Cache-Control", immutable)
	h.Set("Content-Type", x.ctype)
	body, etag := x.body, x.etag
	if x.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = x.gz, x.gzETag
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	// ServeContent answers HEAD, Range and If-None-Match; the zero time
	// leaves Last-Modified out (the hash is the version).
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: listed
// (or x-gzip) with a non-zero quality, or covered by "*" when not refused
// by name (RFC 9110 §12.5.3).
func acceptsGzip(header string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					f = 0
				}
				q = f
			}
		}
		switch coding {
		case "gzip", "x-gzip":
			return q > 0
		case "*":
			star = q > 0
		}
	}
	return star
}
