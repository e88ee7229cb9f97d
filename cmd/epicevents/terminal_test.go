package main

// Terminal behaviour end to end. testscript's ttyin gives a command a
// terminal on standard input only; tables behave differently when standard
// output is a terminal, so the scripts run such commands through on-tty,
// which gives the program a real pseudo-terminal as standard output. And the
// line that gives the next page of a list is checked by pasting it into a
// real shell (next-page).

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"github.com/creack/pty"
	"github.com/rogpeppe/go-internal/testscript"
)

// onTTY runs `on-tty COLUMNS program args…`: the program, found on PATH,
// with the script's standard input and error, and as standard output a
// pseudo-terminal COLUMNS cells wide. What the program writes there becomes
// on-tty's standard output, with the terminal's CR LF line ends made LF
// again. It exits with the program's code.
func onTTY() {
	args := os.Args[1:]
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: on-tty COLUMNS program [args...]")
		os.Exit(99)
	}
	cols, err := strconv.Atoi(args[0])
	if err != nil || cols <= 0 {
		fmt.Fprintf(os.Stderr, "on-tty: %q is not a number of columns\n", args[0])
		os.Exit(99)
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		fmt.Fprintln(os.Stderr, "on-tty:", err)
		os.Exit(99)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: uint16(cols)}); err != nil {
		fmt.Fprintln(os.Stderr, "on-tty:", err)
		os.Exit(99)
	}
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, tty, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "on-tty:", err)
		os.Exit(99)
	}
	_ = tty.Close() // the program holds it now; its exit ends the output
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&out, ptmx) // ends with EIO once the program has exited
		close(copied)
	}()
	err = cmd.Wait()
	<-copied
	_, _ = os.Stdout.Write(bytes.ReplaceAll(out.Bytes(), []byte("\r\n"), []byte("\n")))
	if ee, ok := err.(*exec.ExitError); ok {
		os.Exit(ee.ExitCode())
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "on-tty:", err)
		os.Exit(99)
	}
	os.Exit(0)
}

// moreLine is the line that ends a list page when more rows exist.
var moreLine = regexp.MustCompile(`(?m)^more: (epicevents .*)$`)

// cmdNextPage runs `next-page`: the command that the last command's "more:"
// line on stderr gives, through bash, exactly as a user would paste it. Its
// stdout and stderr replace the last command's, for the stdout and stderr
// commands that follow. It fails when there is no such line, or when the
// command fails.
func cmdNextPage(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: next-page")
	}
	m := moreLine.FindStringSubmatch(ts.ReadFile("stderr"))
	if m == nil {
		ts.Fatalf("next-page: no line \"more: epicevents …\" on the last command's stderr")
	}
	if strings.Contains(m[1], "\n") {
		ts.Fatalf("next-page: the command is more than one line: %q", m[1])
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		ts.Fatalf("next-page: no bash: %v", err)
	}
	ts.Logf("next page: %s", m[1])
	ts.Check(ts.Exec(bash, "--norc", "--noprofile", "-c", m[1]))
}
