package httpapi

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus series. Labels are the route pattern
// (a fixed set) and the status, never a raw path, so that the number of
// series stays bounded whatever clients send.
type metrics struct {
	registry      *prometheus.Registry
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	loginFailures prometheus.Counter
	loginThrottle prometheus.Counter
}

// newMetrics registers the server's series on reg; with a nil reg it makes its
// own registry with the Go and process collectors.
func newMetrics(reg *prometheus.Registry, dbStats func() sql.DBStats) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "epicevents_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "epicevents_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "status"}),
		loginFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "epicevents_login_failures_total",
			Help: "Logins refused for a wrong email or password.",
		}),
		loginThrottle: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "epicevents_login_throttled_total",
			Help: "Logins refused because too many failed recently (per account or per address).",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.loginFailures, m.loginThrottle)
	if dbStats != nil {
		reg.MustRegister(dbStatsCollector{stats: dbStats})
	}
	return m
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(route, code).Inc()
	m.duration.WithLabelValues(route, code).Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// dbStatsCollector exposes the connection pool's statistics. It reads them at
// scrape time through a function, so that the server needs no *sql.DB.
type dbStatsCollector struct{ stats func() sql.DBStats }

var (
	dbMaxOpen = prometheus.NewDesc("epicevents_db_max_open_connections",
		"Maximum number of open connections to the database.", nil, nil)
	dbOpen = prometheus.NewDesc("epicevents_db_open_connections",
		"Open connections to the database, in use or idle.", nil, nil)
	dbInUse = prometheus.NewDesc("epicevents_db_in_use_connections",
		"Connections to the database currently in use.", nil, nil)
	dbIdle = prometheus.NewDesc("epicevents_db_idle_connections",
		"Idle connections to the database.", nil, nil)
	dbWaitCount = prometheus.NewDesc("epicevents_db_wait_count_total",
		"Times a request waited for a free database connection.", nil, nil)
	dbWaitDuration = prometheus.NewDesc("epicevents_db_wait_duration_seconds_total",
		"Total time spent waiting for a free database connection.", nil, nil)
	dbClosed = prometheus.NewDesc("epicevents_db_closed_connections_total",
		"Connections closed, by reason (max_idle, max_idle_time, max_lifetime).", []string{"reason"}, nil)
)

// Describe implements prometheus.Collector.
func (dbStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dbMaxOpen, dbOpen, dbInUse, dbIdle, dbWaitCount, dbWaitDuration, dbClosed} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c dbStatsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(dbMaxOpen, float64(s.MaxOpenConnections))
	gauge(dbOpen, float64(s.OpenConnections))
	gauge(dbInUse, float64(s.InUse))
	gauge(dbIdle, float64(s.Idle))
	counter(dbWaitCount, float64(s.WaitCount))
	counter(dbWaitDuration, s.WaitDuration.Seconds())
	counter(dbClosed, float64(s.MaxIdleClosed), "max_idle")
	counter(dbClosed, float64(s.MaxIdleTimeClosed), "max_idle_time")
	counter(dbClosed, float64(s.MaxLifetimeClosed), "max_lifetime")
}
