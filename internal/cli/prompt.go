package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/termsafe"
)

// errCancelled is the answer to Ctrl-C or end of input (Ctrl-D) at a prompt.
// Commands ask everything before they change anything, so it is true.
var errCancelled = errors.New("cancelled; nothing was changed")

// passwordTries is how many times a new password is asked for when its
// repetition differs.
const passwordTries = 3

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

// read returns the next line without its end; io.EOF when the input has
// ended before any character of it.
func (l *lines) read() (string, error) {
	s, err := l.r.ReadString('\n')
	if err != nil && (err != io.EOF || s == "") {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// next reads a line that a command expects on standard input (not a prompt).
func (l *lines) next(what string) (string, error) {
	s, err := l.read()
	if err != nil {
		return "", crm.Errorf(crm.CodeInvalid, "expected %s on standard input", what)
	}
	return s, nil
}

// prompted waits for read, a read of the terminal fd, unless ctx ends first
// (Ctrl-C: main cancels the context on SIGINT). Both Ctrl-C and end of input
// cancel the command. After Ctrl-C the read is left behind, waiting: the
// command ends without it.
func (a *App) prompted(ctx context.Context, read func() (string, error)) (string, error) {
	if ctx.Err() != nil {
		return "", errCancelled
	}
	type answer struct {
		s   string
		err error
	}
	done := make(chan answer, 1) // buffered: after Ctrl-C nobody receives it
	go func() {
		s, err := read()
		done <- answer{s, err}
	}()
	select {
	case r := <-done:
		if errors.Is(r.err, io.EOF) {
			fmt.Fprintln(a.stderr)
			return "", errCancelled
		}
		return r.s, r.err
	case <-ctx.Done():
		fmt.Fprintln(a.stderr)
		return "", errCancelled
	}
}

// secret reads a password: without echo on a terminal, else one line of stdin
// when fromStdin. A password is never a command-line argument.
func (a *App) secret(ctx context.Context, prompt string, fromStdin bool) (string, error) {
	if fromStdin {
		return a.in.next(strings.ToLower(strings.TrimSuffix(prompt, ": ")))
	}
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", crm.Errorf(crm.CodeInvalid, "no terminal to ask for the password; pass it on standard input with --password-stdin")
	}
	fd := int(f.Fd())
	restore, err := echoOff(fd)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	defer restore()
	fmt.Fprint(a.stderr, prompt)
	pw, err := a.prompted(ctx, func() (string, error) {
		b, err := readSecretLine(fd)
		return string(b), err
	})
	if err != nil {
		if errors.Is(err, errCancelled) {
			return "", err
		}
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprintln(a.stderr) // the Enter that ended it was not echoed
	return pw, nil
}

// newSecret asks for a new password twice on a terminal, up to
// passwordTries times while the two differ or the policy refuses it
// (crm.CheckPassword, which the service applies again: a refused password is
// said so, and asked again, before it is asked a second time); field names it
// in that error as the service would, and email, when known, is the address
// it must not be.
func (a *App) newSecret(ctx context.Context, prompt, field, email string, fromStdin bool) (string, error) {
	if fromStdin {
		return a.secret(ctx, prompt, true)
	}
	for try := 1; ; try++ {
		pw, err := a.secret(ctx, prompt, false)
		if err != nil {
			return "", err
		}
		if err := crm.CheckPassword(field, pw, email, auth.IsCommonPassword); err != nil {
			if try == passwordTries {
				return "", err
			}
			// What was typed before (an email, names) stays: only the
			// password is asked again.
			fmt.Fprintf(a.stderr, "%v; type another.\n", err)
			continue
		}
		again, err := a.secret(ctx, "Repeat it: ", false)
		if err != nil {
			return "", err
		}
		if again == pw {
			return pw, nil
		}
		if try == passwordTries {
			return "", crm.Errorf(crm.CodeInvalid, "the two passwords differed %d times; nothing was changed: run the command again", passwordTries)
		}
		fmt.Fprintln(a.stderr, "The two passwords differ; type them again.")
	}
}

// ask fills *v from a prompt on a terminal when it is empty; elsewhere a
// missing value is an error naming the flag.
func (a *App) ask(ctx context.Context, v *string, label, flag string) error {
	if strings.TrimSpace(*v) != "" {
		return nil
	}
	if !terminal(a.stdin) {
		return crm.Invalid(flag, "is required (--"+flag+")")
	}
	fmt.Fprintf(a.stderr, "%s: ", label)
	s, err := a.prompted(ctx, a.in.read)
	if err != nil {
		return err
	}
	*v = s
	return nil
}

// confirm asks a yes/no question on a terminal; anything but yes is no. The
// question may quote a server's data (a name): it is kept to one line, so
// that nothing in it can pass for another question.
func (a *App) confirm(ctx context.Context, question string) (bool, error) {
	fmt.Fprintf(a.stderr, "%s [y/N] ", termsafe.Line(question))
	s, err := a.prompted(ctx, a.in.read)
	if err != nil {
		return false, err
	}
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "y" || s == "yes", nil
}
