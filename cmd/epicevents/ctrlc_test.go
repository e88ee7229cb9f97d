//go:build linux

package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestCtrlC presses Ctrl-C at real prompts of the epicevents binary, on a
// pseudo-terminal that is its controlling terminal: the program says
// "cancelled; nothing was changed", exits 130, leaves the terminal echoing
// and has created nothing. (prompts.txtar covers Ctrl-D; a script cannot
// wait for a prompt before typing.)
func TestCtrlC(t *testing.T) {
	bin, err := exec.LookPath("epicevents")
	if err != nil {
		t.Fatalf("the epicevents stand-in is not on PATH: %v", err)
	}
	for _, tc := range []struct {
		name, prompt string
		args         []string
	}{
		{"a value", "Email: ", []string{"init"}},
		{"a password", "Password (15 characters or more): ",
			[]string{"init", "--email", "ada@epicevents.example", "--first-name", "Ada", "--last-name", "Lovelace"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctl, tty := openTestPTY(t)
			home := t.TempDir()
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = append(os.Environ(), "EPICEVENTS_HOME="+home, "EPICEVENTS_KEYRING=off",
				"EPICEVENTS_DATABASE_URL=sqlite:"+filepath.Join(home, "epicevents.db"), "EPICEVENTS_SERVER=", "NO_COLOR=1")
			cmd.Dir = home
			cmd.Stdin, cmd.Stdout = tty, io.Discard
			var stderr lockedBuffer
			cmd.Stderr = &stderr
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()

			deadline := time.After(60 * time.Second)
			for !strings.HasSuffix(stderr.String(), tc.prompt) {
				select {
				case err := <-done:
					t.Fatalf("exited before the prompt: %v: %s", err, stderr.String())
				case <-deadline:
					_ = cmd.Process.Kill()
					t.Fatalf("no prompt %q: %s", tc.prompt, stderr.String())
				case <-time.After(10 * time.Millisecond):
				}
			}
			// Let the read begin, as a person would before pressing a key.
			time.Sleep(200 * time.Millisecond)
			if _, err := ctl.Write([]byte{3}); err != nil {
				t.Fatal(err)
			}
			select {
			case err = <-done:
			case <-time.After(60 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("Ctrl-C did not end the command: %s", stderr.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Fatalf("exit: %v, want code 130: %s", err, stderr.String())
			}
			if !strings.HasSuffix(stderr.String(), "\ncancelled; nothing was changed\n") {
				t.Errorf("stderr: %q", stderr.String())
			}
			st, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
			if err != nil {
				t.Fatal(err)
			}
			if st.Lflag&unix.ECHO == 0 {
				t.Error("the terminal no longer echoes after Ctrl-C")
			}
			if _, err := os.Stat(filepath.Join(home, "epicevents.db")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a database was created: %v", err)
			}
		})
	}
}

// openTestPTY returns the two ends of a new pseudo-terminal: the controller,
// where the test types, and the terminal the program reads.
func openTestPTY(t *testing.T) (ctl, tty *os.File) {
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

// lockedBuffer is a strings.Builder safe for a writer and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
