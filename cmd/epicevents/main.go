// Command epicevents is the Epic Events CRM: a CLI for employees, an HTTP API
// server and a local mode on an embedded database.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/epicevents/epicevents/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
