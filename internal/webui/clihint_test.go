package webui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestServiceMessagesOnPages: every message of the service that names a
// command of the CLI names it where sentence can leave it out, so that no
// page tells a browser's user to type a command. It reads the messages
// from the service's source, so that a new one is checked too.
func TestServiceMessagesOnPages(t *testing.T) {
	files, err := filepath.Glob("../crm/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("the service's source: %v, %v", files, err)
	}
	verb := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)
	n := 0
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			lit, ok := node.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !strings.Contains(s, "`epicevents ") {
				return true
			}
			n++
			msg := verb.ReplaceAllString(s, "7")
			if got := sentence(msg); strings.Contains(got, "epicevents") {
				t.Errorf("%s: a page would show %q", fset.Position(lit.Pos()), got)
			}
			return true
		})
	}
	if n < 10 {
		t.Errorf("found %d messages naming a command; the service has more", n)
	}
}
