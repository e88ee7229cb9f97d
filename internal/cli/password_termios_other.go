//go:build aix || linux || solaris || zos

package cli

import "golang.org/x/sys/unix"

// The requests that read and set a terminal's settings, as in x/term.
const (
	ioctlGetTermios = unix.TCGETS
	ioctlSetTermios = unix.TCSETS
)
