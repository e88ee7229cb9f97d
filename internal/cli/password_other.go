//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos)

package cli

import "golang.org/x/term"

// echoOff keeps the terminal's settings, for restore to put back:
// term.ReadPassword turns the echo off (and on again) itself.
func echoOff(fd int) (restore func(), err error) {
	state, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	return func() { _ = term.Restore(fd, state) }, nil
}

// readSecretLine reads one line from the terminal fd without echo.
func readSecretLine(fd int) ([]byte, error) { return term.ReadPassword(fd) }
