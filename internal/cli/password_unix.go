//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos

package cli

import (
	"errors"
	"io"

	"golang.org/x/sys/unix"
)

// echoOff turns off the echo of the terminal fd, keeping its line editing
// and its signals (Ctrl-C), for a password; restore gives the terminal its
// settings back. It runs before the read starts and restore after the
// prompt ends, however it ends, so that a Ctrl-C at any moment leaves the
// terminal as it was.
func echoOff(fd int) (restore func(), err error) {
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, err
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	quiet.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &quiet); err != nil {
		return nil, err
	}
	return func() { _ = unix.IoctlSetTermios(fd, ioctlSetTermios, old) }, nil
}

// readSecretLine reads one line from the terminal fd, whose echo echoOff
// turned off, and ends with io.EOF at the end of input (Ctrl-D on an empty
// line). term.ReadPassword would not: it reads the descriptor with
// unix.Read, which reports the end of input as 0 bytes and no error, and so
// waits for more that never comes.
func readSecretLine(fd int) ([]byte, error) {
	var line []byte
	var b [1]byte
	for {
		n, err := unix.Read(fd, b[:])
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return nil, err
		case n == 0 && len(line) == 0:
			return nil, io.EOF
		case n == 0, b[0] == '\n':
			return line, nil
		case b[0] == '\b': // the terminal's own erase character is handled by the terminal
			if len(line) > 0 {
				line = line[:len(line)-1]
			}
		default:
			line = append(line, b[0])
		}
	}
}
