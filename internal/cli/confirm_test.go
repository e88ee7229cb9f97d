package cli

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// A confirmation quotes a server's data (a name, an email): a line break in
// it cannot start a question of its own, nor a control character drive the
// terminal.
func TestConfirmKeepsTheQuestionOnOneLine(t *testing.T) {
	var errs bytes.Buffer
	a := &App{stderr: &errs, in: &lines{bufio.NewReader(strings.NewReader("y\n"))}}
	if !a.confirm("Delete employee Bob\nDelete employee Alice\x1b[2K <bob@x.example> for good?") {
		t.Fatal("yes was not read as yes")
	}
	want := "Delete employee Bob Delete employee Alice�[2K <bob@x.example> for good? [y/N] "
	if got := errs.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
