package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"
)

// TestAssets serves every static file under its hashed name: the hash is the
// start of the SHA-256 of its bytes, the type is right, the cache keeps it a
// year, and a browser that accepts gzip gets the bytes compressed.
func TestAssets(t *testing.T) {
	a, err := loadAssets(staticFiles, "static")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"app.css", "app.js", "icon.svg", "vendor/htmx.LICENSE.txt", "vendor/htmx.min.js",
		"vendor/pico.LICENSE.txt", "vendor/pico.classless.min.css"}
	if got := a.names(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("static files %q, want %q", got, want)
	}
	types := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
		".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8"}
	for _, name := range want {
		t.Run(name, func(t *testing.T) {
			orig, err := fs.ReadFile(staticFiles, "static/"+name)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(orig)
			ext := path.Ext(name)
			wantURL := "/static/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:10] + ext
			u, err := a.url(name)
			if err != nil || u != wantURL {
				t.Fatalf("url %q (%v), want %q", u, err, wantURL)
			}
			for _, enc := range []string{"", "gzip", "br, gzip;q=0.5", "gzip;q=0", "identity"} {
				req := httptest.NewRequest("GET", u, nil)
				if enc != "" {
					req.Header.Set("Accept-Encoding", enc)
				}
				rec := httptest.NewRecorder()
				a.ServeHTTP(rec, req)
				resp := rec.Result()
				if resp.StatusCode != 200 {
					t.Fatalf("%q: status %d", enc, resp.StatusCode)
				}
				h := resp.Header
				if h.Get("Content-Type") != types[ext] || h.Get("Cache-Control") != immutable ||
					h.Get("Vary") != "Accept-Encoding" || h.Get("ETag") == "" {
					t.Errorf("%q: headers %v", enc, h)
				}
				body := rec.Body.Bytes()
				if acceptsGzip(enc) {
					if h.Get("Content-Encoding") != "gzip" || len(body) >= len(orig) {
						t.Fatalf("%q: Content-Encoding %q, %d bytes for %d", enc, h.Get("Content-Encoding"), len(body), len(orig))
					}
					zr, err := gzip.NewReader(bytes.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					if body, err = io.ReadAll(zr); err != nil {
						t.Fatal(err)
					}
				} else if h.Get("Content-Encoding") != "" {
					t.Fatalf("%q: Content-Encoding %q", enc, h.Get("Content-Encoding"))
				}
				if !bytes.Equal(body, orig) {
					t.Errorf("%q: the bytes served differ from the file", enc)
				}
			}
		})
	}
	for _, p := range []string{"/static/app.css", "/static/app.0000000000.css", "/static/vendor/README.md",
		"/static/../webui.go", "/static/"} {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}
}

// TestAssetsRefuseUnknownTypes: a file whose type is not known stops the
// start-up, rather than being served with a guessed type.
func TestAssetsRefuseUnknownTypes(t *testing.T) {
	_, err := loadAssets(fstest.MapFS{"static/a.css": {Data: []byte("a{}")}, "static/notes.md": {Data: []byte("#")}}, "static")
	if err == nil || !strings.Contains(err.Error(), `".md"`) {
		t.Errorf("err %v", err)
	}
	if _, err := loadAssets(fstest.MapFS{"other/a.css": {Data: []byte("a{}")}}, "static"); err == nil {
		t.Error("no error without static files")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                         false,
		"gzip":                     true,
		"GZIP":                     true,
		"x-gzip":                   true,
		"gzip, deflate, br, zstd":  true,
		"br;q=1.0, gzip;q=0.8":     true,
		"gzip;q=0":                 false,
		"gzip; q=0.000":            false,
		"gzip;q=0.001":             true,
		"deflate, br":              false,
		"*":                        true,
		"*;q=0":                    false,
		"*, gzip;q=0":              false,
		"identity":                 false,
		"gzip;q=nonsense":          false,
		"  gzip  ;  q=1  , br":     true,
		"compress, *;q=0.1":        true,
		"gzipped":                  false,
		"deflate;q=1, gzip;level=": true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

// TestVendoredFiles checks the committed third-party files against the
// checksums of static/vendor/README.md, where their versions, sources and
// licences are listed: a file changed by hand, or replaced without updating
// that page, fails here.
func TestVendoredFiles(t *testing.T) {
	readme, err := os.ReadFile("static/vendor/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for file, sum := range map[string]string{
		"static/vendor/htmx.min.js":                           "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717",
		"static/vendor/htmx.LICENSE.txt":                      "d3d2456f76414f2456104660ebd65aff1c04cd7966b942bdabd63f3cdb316a38",
		"static/vendor/pico.classless.min.css":                "61207a40ffc02a42d1e50143651c121beab70ed413c934c1ff84fa263ba436b0",
		"static/vendor/pico.LICENSE.txt":                      "afaff063e044233f917b7807dccab022f09dca474f92b642846bee4850655bbf",
		"browsertest/testdata/axe-core/axe.min.js":            "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c",
		"browsertest/testdata/axe-core/LICENSE.txt":           "af175b9d96ee93c21a036152e1b905b0b95304d4ae8c2c921c7609100ba8df7e",
		"browsertest/testdata/axe-core/LICENSE-3RD-PARTY.txt": "4f8563870d0fca38bbc3e00b6f670cb7fa9f380ba9f26a7f7d1184a6b18b1653",
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Error(err)
			continue
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: sha256 %x, want %s (see static/vendor/README.md)", file, got, sum)
		}
		if !bytes.Contains(readme, []byte(sum)) {
			t.Errorf("static/vendor/README.md does not list the sha256 %s of %s", sum, file)
		}
	}
	for _, version := range []string{"htmx.org 2.0.11", "@picocss/pico 2.1.1", "axe-core 4.14.1"} {
		if !bytes.Contains(readme, []byte(version)) {
			t.Errorf("static/vendor/README.md does not name %s", version)
		}
	}
	js, _ := os.ReadFile("static/vendor/htmx.min.js")
	if !bytes.Contains(js, []byte("version:\"2.0.11\"")) {
		t.Error("htmx.min.js is not htmx 2.0.11")
	}
}
