//go:build linux

package cli

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openPTY returns the two ends of a new pseudo-terminal: the controller,
// where a test types, and the terminal the program reads.
func openPTY(t *testing.T) (ctl, tty *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { ctl.Close() })
	var n uint32
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, ctl.Fd(), unix.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatal(e)
	}
	var unlock int32
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, ctl.Fd(), unix.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatal(e)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	go func() { _, _ = io.Copy(io.Discard, ctl) }() // the terminal's echo
	return ctl, tty
}

func echoing(t *testing.T, tty *os.File) bool {
	t.Helper()
	st, err := unix.IoctlGetTermios(int(tty.Fd()), ioctlGetTermios)
	if err != nil {
		t.Fatal(err)
	}
	return st.Lflag&unix.ECHO != 0
}

func promptApp(tty *os.File, stderr io.Writer) *App {
	return &App{stdin: tty, stderr: stderr, in: &lines{bufio.NewReader(tty)}}
}

// TestReadPasswordEndOfInput: a password read returns what was typed, and
// Ctrl-D on an empty line is the end of input, not a wait for more (what
// term.ReadPassword does); echo is back on afterwards.
func TestReadPasswordEndOfInput(t *testing.T) {
	ctl, tty := openPTY(t)
	if _, err := ctl.WriteString("velvet orchid\n\x04"); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		s   []byte
		err error
	}
	read := func() answer {
		done := make(chan answer, 1)
		go func() {
			restore, err := echoOff(int(tty.Fd()))
			if err != nil {
				done <- answer{nil, err}
				return
			}
			defer restore()
			s, err := readSecretLine(int(tty.Fd()))
			done <- answer{s, err}
		}()
		select {
		case a := <-done:
			return a
		case <-time.After(10 * time.Second):
			t.Fatal("the password read still waits: the end of input was not seen")
			return answer{}
		}
	}
	if a := read(); a.err != nil || string(a.s) != "velvet orchid" {
		t.Fatalf("first line: %q, %v", a.s, a.err)
	}
	if a := read(); !errors.Is(a.err, io.EOF) {
		t.Fatalf("after Ctrl-D: %q, %v; want io.EOF", a.s, a.err)
	}
	if !echoing(t, tty) {
		t.Error("echo is still off after the password was read")
	}
}

// TestPromptsCancel: at every kind of prompt, end of input (Ctrl-D) and a
// cancelled context (Ctrl-C: main cancels it on SIGINT) give errCancelled,
// and the terminal echoes again.
func TestPromptsCancel(t *testing.T) {
	prompts := map[string]func(a *App, ctx context.Context) error{
		"password": func(a *App, ctx context.Context) error {
			_, err := a.secret(ctx, "Password: ", false)
			return err
		},
		"new password": func(a *App, ctx context.Context) error {
			_, err := a.newSecret(ctx, "New password: ", "password", "", false)
			return err
		},
		"value": func(a *App, ctx context.Context) error {
			var v string
			return a.ask(ctx, &v, "Email", "email")
		},
		"confirmation": func(a *App, ctx context.Context) error {
			_, err := a.confirm(ctx, "Delete?")
			return err
		},
	}
	for name, prompt := range prompts {
		t.Run(name+"/ctrl-d", func(t *testing.T) {
			ctl, tty := openPTY(t)
			if _, err := ctl.Write([]byte{4}); err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			if err := prompt(promptApp(tty, &stderr), context.Background()); !errors.Is(err, errCancelled) {
				t.Fatalf("got %v, want cancelled", err)
			}
		})
		t.Run(name+"/ctrl-c", func(t *testing.T) {
			_, tty := openPTY(t)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			var stderr strings.Builder
			if err := prompt(promptApp(tty, &stderr), ctx); !errors.Is(err, errCancelled) {
				t.Fatalf("got %v, want cancelled", err)
			}
			if !echoing(t, tty) {
				t.Error("echo is still off after the cancelled prompt")
			}
		})
	}
}

// TestNewSecretTries: a repetition that differs, or a password the policy
// refuses, asks again, three times at most; a match within them is the
// password.
func TestNewSecretTries(t *testing.T) {
	const pw = "velvet orchid lantern 42"
	for _, tc := range []struct {
		name, input string
		want        string // "" when refused
	}{
		{"match", pw + "\n" + pw + "\n", pw},
		{"second try", pw + "\nvelvet orchid lantern 43\n" + pw + "\n" + pw + "\n", pw},
		{"third try", strings.Repeat(pw+"\nother words entirely here\n", 2) + pw + "\n" + pw + "\n", pw},
		{"three misses", strings.Repeat(pw+"\nother words entirely here\n", 3), ""},
		{"too short, then good", "short\n" + pw + "\n" + pw + "\n", pw},
		{"refused three times", "short\nshorter\nshortest\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctl, tty := openPTY(t)
			if _, err := ctl.WriteString(tc.input); err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			got, err := promptApp(tty, &stderr).newSecret(context.Background(), "Password: ", "password", "", false)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %q, %v", got, err)
				}
				return
			}
			refusal, again := "differed 3 times", "type them again"
			if strings.HasPrefix(tc.input, "short") {
				refusal, again = "at least 15 characters", "type another"
			}
			if err == nil || !strings.Contains(err.Error(), refusal) {
				t.Fatalf("got %q, %v; want a refusal after three tries", got, err)
			}
			if n := strings.Count(stderr.String(), again); n != 2 {
				t.Errorf("asked again %d times, want 2:\n%s", n, stderr.String())
			}
		})
	}
}
