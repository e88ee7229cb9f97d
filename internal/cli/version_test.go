package cli

import "testing"

// TestBuildString: each time is named for what it is. The toolchain records
// the time of the commit, not of the build.
func TestBuildString(t *testing.T) {
	at := "2026-11-27T03:47:00Z"
	for _, tc := range []struct {
		b    Build
		want string
	}{
		{Build{Version: "1.2.0", Commit: "abc123", BuiltAt: &at}, "epicevents 1.2.0 (commit abc123, built 2026-11-27T03:47:00Z)"},
		{Build{Version: "dev", Commit: "abc123", CommitTime: &at}, "epicevents dev (commit abc123, commit time 2026-11-27T03:47:00Z)"},
		{Build{Version: "dev", Commit: "unknown"}, "epicevents dev (commit unknown)"},
	} {
		if got := tc.b.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// TestReadBuildDate: a date set at build time is the build's; without one,
// no time is called a build time.
func TestReadBuildDate(t *testing.T) {
	saved := Date
	t.Cleanup(func() { Date = saved })
	Date = "2026-11-27T03:47:00Z"
	if b := ReadBuild(); b.BuiltAt == nil || *b.BuiltAt != Date || b.CommitTime != nil {
		t.Errorf("with Date: %+v", b)
	}
	Date = ""
	if b := ReadBuild(); b.BuiltAt != nil {
		t.Errorf("without Date, a build time: %q", *b.BuiltAt)
	}
}
