package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/termsafe"
)

// terminal reports whether r is an interactive terminal.
func terminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// lines reads stdin one line at a time; it is shared by every prompt of a
// command so that --password-stdin can carry several lines.
type lines struct {
	r *bufio.Reader
}

func (l *lines) next(what string) (string, error) {
	s, err := l.r.ReadString('\n')
	if err != nil && (err != io.EOF || s == "") {
		return "", crm.Errorf(crm.CodeInvalid, "expected %s on standard input", what)
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// secret reads a password: without echo on a terminal, else one line of stdin
// when fromStdin. A password is never a command-line argument.
func (a *App) secret(prompt string, fromStdin bool) (string, error) {
	if fromStdin {
		return a.in.next(strings.ToLower(strings.TrimSuffix(prompt, ": ")))
	}
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", crm.Errorf(crm.CodeInvalid, "no terminal to ask for the password; pass it on standard input with --password-stdin")
	}
	fmt.Fprint(a.stderr, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(b), nil
}

// newSecret asks for a new password twice on a terminal. A password the
// policy refuses (crm.CheckPassword, which the service applies again with the
// employee's email) is refused before it is asked a second time; field names
// it in that error as the service would.
func (a *App) newSecret(prompt, field string, fromStdin bool) (string, error) {
	pw, err := a.secret(prompt, fromStdin)
	if err != nil || fromStdin {
		return pw, err
	}
	if err := crm.CheckPassword(field, pw, "", auth.IsCommonPassword); err != nil {
		return "", err
	}
	again, err := a.secret("Repeat it: ", false)
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", crm.Errorf(crm.CodeInvalid, "the two passwords differ; run the command again")
	}
	return pw, nil
}

// ask fills *v from a prompt on a terminal when it is empty; elsewhere a
// missing value is an error naming the flag.
func (a *App) ask(v *string, label, flag string) error {
	if strings.TrimSpace(*v) != "" {
		return nil
	}
	if !terminal(a.stdin) {
		return crm.Invalid(flag, "is required (--"+flag+")")
	}
	fmt.Fprintf(a.stderr, "%s: ", label)
	s, err := a.in.next(label)
	if err != nil {
		return err
	}
	*v = s
	return nil
}

// confirm asks a yes/no question on a terminal. The question may quote a
// server's data (a name): it is kept to one line, so that nothing in it can
// pass for another question.
func (a *App) confirm(question string) bool {
	fmt.Fprintf(a.stderr, "%s [y/N] ", termsafe.Line(question))
	s, _ := a.in.next("an answer")
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "y" || s == "yes"
}
