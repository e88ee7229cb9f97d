package cli

import "github.com/epicevents/epicevents/internal/crm"

// Exit codes, stable and documented in `epicevents --help` and docs/cli.md.
const (
	ExitOK          = 0
	ExitInternal    = 1
	ExitUsage       = 2
	ExitAuth        = 3
	ExitForbidden   = 4
	ExitNotFound    = 5
	ExitConflict    = 6
	ExitUnavailable = 7
	// ExitCancelled is Ctrl-C or end of input at a prompt: 128 + SIGINT,
	// as shells report a command that Ctrl-C stopped.
	ExitCancelled = 130
)

// exitCodes is the one table from error codes to exit codes.
var exitCodes = map[crm.Code]int{
	crm.CodeInvalid:         ExitUsage,
	crm.CodeUnauthenticated: ExitAuth,
	crm.CodeThrottled:       ExitAuth,
	crm.CodeForbidden:       ExitForbidden,
	crm.CodeNotFound:        ExitNotFound,
	crm.CodeConflict:        ExitConflict,
	crm.CodeStale:           ExitConflict,
	crm.CodeUnavailable:     ExitUnavailable,
	crm.CodeInternal:        ExitInternal,
}

const exitCodesHelp = `Exit codes:
  0  success
  1  unexpected error ("internal error" with a reference id)
  2  usage or invalid input
  3  not logged in, wrong credentials, session expired or revoked, login
     throttled, temporary password to change
  4  permission denied
  5  not found
  6  conflict: duplicate email, still referenced, or a state that forbids it
  7  the server or the database cannot be reached (try again later)
  130  cancelled at a prompt (Ctrl-C or Ctrl-D); nothing was changed`
