package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/cli"
)

// TestServeTLSElsewhereNoWarning: with TLS, serve may listen on any address
// without the warning about the web UI's cookie over plain HTTP (browsers
// keep a Secure cookie over HTTPS), and says https.
func TestServeTLSElsewhereNoWarning(t *testing.T) {
	env := serveEnv(t, "EPICEVENTS_JWT_SECRET", strings.Repeat("s", 32))
	initCRM(t, env)
	certFile, keyFile, _ := selfSigned(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &serveBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"serve", "--addr", "0.0.0.0:0", "--tls-cert", certFile, "--tls-key", keyFile},
			strings.NewReader(""), &serveBuffer{}, stderr, env)
	}()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(stderr.String(), "listening on") {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		case <-deadline:
			t.Fatalf("serve did not listen: %s", stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
	out := stderr.String()
	if !strings.Contains(out, "listening on https://") {
		t.Errorf("not listening over https:\n%s", out)
	}
	if strings.Contains(out, "over plain HTTP") {
		t.Errorf("warned about plain HTTP although serve has TLS:\n%s", out)
	}
}
