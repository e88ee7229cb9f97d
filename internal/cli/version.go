package cli

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/output"
)

// Build information, set with -ldflags "-X github.com/epicevents/epicevents/internal/cli.Version=…";
// otherwise read from the Go toolchain's build information. Date is the
// time of the build; the toolchain knows only the time of the commit.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Build says what this binary is.
type Build struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	// BuiltAt is the time of the build, when the build set it (Date); else
	// nil.
	BuiltAt *string `json:"built_at"`
	// CommitTime is the time of the commit, from the toolchain's version
	// control information; nil when unknown or when BuiltAt is set.
	CommitTime *string `json:"commit_time"`
}

// ReadBuild returns the version, commit and build or commit time of this
// binary.
func ReadBuild() Build {
	b := Build{Version: Version, Commit: Commit}
	if Date != "" {
		b.BuiltAt = &Date
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && b.Commit == "":
				b.Commit = s.Value
			case s.Key == "vcs.time" && b.BuiltAt == nil:
				t := s.Value
				b.CommitTime = &t
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

// BuildInfo returns the version, commit and build date of this binary (the
// commit time when no build date was set; "unknown" when neither is known).
func BuildInfo() (version, commit, date string) {
	b := ReadBuild()
	date = "unknown"
	switch {
	case b.BuiltAt != nil:
		date = *b.BuiltAt
	case b.CommitTime != nil:
		date = *b.CommitTime
	}
	return b.Version, b.Commit, date
}

// String is the line `epicevents version` prints: each time is named for
// what it is.
func (b Build) String() string {
	s := "epicevents " + b.Version + " (commit " + b.Commit
	switch {
	case b.BuiltAt != nil:
		s += ", built " + *b.BuiltAt
	case b.CommitTime != nil:
		s += ", commit time " + *b.CommitTime
	}
	return s + ")"
}

func (a *App) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the commit and its time, or the build time",
		Long: `version prints the version and the commit of this binary, and the time of
its build when the release build recorded it, else the time of the commit.`,
		Example: "  epicevents version\n  epicevents version -o json",
		Args:    noArgs,
		RunE: run(func(context.Context, []string) error {
			b := ReadBuild()
			if a.format().Format == output.FormatTable {
				_, err := fmt.Fprintln(a.stdout, b)
				return err
			}
			return renderObject(a, a.views().build(), b)
		}),
	}
}
