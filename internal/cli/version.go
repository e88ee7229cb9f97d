package cli

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/output"
)

// Build information, set with -ldflags "-X github.com/epicevents/epicevents/internal/cli.Version=…";
// otherwise read from the Go toolchain's build information.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// BuildInfo returns the version, commit and build date of this binary.
func BuildInfo() (version, commit, date string) {
	version, commit, date = Version, Commit, Date
	if info, ok := debug.ReadBuildInfo(); ok {
		if version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && commit == "":
				commit = s.Value
			case s.Key == "vcs.time" && date == "":
				date = s.Value
			}
		}
	}
	if version == "" {
		version = "dev"
	}
	if commit == "" {
		commit = "unknown"
	}
	if date == "" {
		date = "unknown"
	}
	return version, commit, date
}

func (a *App) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version, commit and build date",
		Example: "  epicevents version\n  epicevents version -o json",
		Args:    noArgs,
		RunE: run(func(context.Context, []string) error {
			v, c, d := BuildInfo()
			type info struct {
				Version string `json:"version"`
				Commit  string `json:"commit"`
				Date    string `json:"date"`
			}
			if a.format().Format == output.FormatTable {
				_, err := fmt.Fprintf(a.stdout, "epicevents %s (commit %s, built %s)\n", v, c, d)
				return err
			}
			return renderObject(a, []output.Column[info]{}, info{v, c, d})
		}),
	}
}
