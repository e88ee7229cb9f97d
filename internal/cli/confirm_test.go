package cli

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"testing"
)

// A confirmation quotes a server's data (a name, an email): a line break in
// it cannot start a question of its own, nor a control character drive the
// terminal.
func TestConfirmKeepsTheQuestionOnOneLine(t *testing.T) {
	var errs bytes.Buffer
	a := &App{stderr: &errs, in: &lines{bufio.NewReader(strings.NewReader("y\n"))}}
	ok, err := a.confirm(context.Background(), "Delete employee Bob\nDelete employee Alice\x1b[2K <bob@x.example> for good?")
	if err != nil || !ok {
		t.Fatalf("yes was not read as yes: %v, %v", ok, err)
	}
	want := "Delete employee Bob Delete employee Alice�[2K <bob@x.example> for good? [y/N] "
	if got := errs.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
