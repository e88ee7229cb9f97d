package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
)

// capture sends an unexpected failure of r to the error tracker, under the
// request id that the client was shown as the reference and that the log
// lines carry. The tags say where (method, route pattern, never the URL)
// and who (the employee's id only).
func (s *Server) capture(r *http.Request, err error) {
	if s.report == nil {
		return
	}
	info := infoOf(r.Context())
	route := info.route
	if route == "" {
		route = "unmatched"
	}
	tags := map[string]string{"method": r.Method, "route": route}
	if info.employeeID != 0 {
		tags["employee_id"] = strconv.FormatInt(info.employeeID, 10)
	}
	s.report.CaptureError(err, info.requestID, tags)
}

// panicError turns a recovered panic value into an error for the tracker.
func panicError(v any) error {
	if err, ok := v.(error); ok {
		return fmt.Errorf("panic: %w", err)
	}
	return fmt.Errorf("panic: %v", v)
}
