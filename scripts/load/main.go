// Command load drives a running `epicevents serve` with list and show
// requests at several concurrencies and prints requests/s and p50/p99
// latency per case, with the server's peak resident memory. BENCHMARKS.md records its figures; the
// target is at least 60% of pgbench's throughput on the same statements and
// under 100 MB of server memory.
//
//	go run ./scripts/load -url http://127.0.0.1:8080 -email bill.boquet@epicevents.example \
//	    -password-file creds -pid $(pgrep -nx epicevents) -duration 10s -c 1,8,32
//
// It logs in once (POST /api/v1/auth/login), then for each case and each
// concurrency runs that many workers, each sending one request after the other
// on a kept-alive connection, for -duration. Every answer must be 200; the body
// is read to the end. The server's memory is sampled every 50 ms from
// /proc/PID/status (VmRSS), and its high-water mark VmHWM is read at the end;
// without -pid, /metrics' process_resident_memory_bytes is sampled instead.
//
// With -pid it also prints the CPU time per request of the server (utime +
// stime of /proc/PID/stat) and of this program itself, which shares the
// machine's cores with the server and the database.
//
// With -tsv FILE, one line per case and concurrency is appended: case,
// concurrency, requests, requests/s, p50 ms, p99 ms, errors, server CPU ms per
// request, load CPU ms per request.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A case is one kind of request: a fixed path, or a path made per request.
type loadCase struct {
	name string
	path func(r *rand.Rand) string
}

func main() {
	var (
		base     = flag.String("url", "http://127.0.0.1:8080", "base URL of the server")
		email    = flag.String("email", "bill.boquet@epicevents.example", "employee to log in as")
		pwFile   = flag.String("password-file", "", "file whose first line is the password (else EPICEVENTS_LOAD_PASSWORD)")
		pid      = flag.Int("pid", 0, "process id of the server, to read its memory from /proc (else /metrics)")
		duration = flag.Duration("duration", 10*time.Second, "duration of each case at each concurrency (1s–120s)")
		concs    = flag.String("c", "1,8,32", "comma-separated concurrencies")
		cases    = flag.String("cases", "clients,contracts-unsigned,events-without-support,client-show", "comma-separated cases")
		maxID    = flag.Int("max-client-id", 10000, "client ids of `show` are drawn from 1..N")
		tsv      = flag.String("tsv", "", "append one tab-separated line per case and concurrency to this file")
	)
	flag.Parse()
	if *duration < time.Second || *duration > 2*time.Minute {
		fatalf("-duration must be between 1s and 2m")
	}
	conc, err := parseInts(*concs)
	if err != nil {
		fatalf("-c: %v", err)
	}
	all := map[string]loadCase{
		"clients":                {"GET /clients?limit=100", fixed("/api/v1/clients?limit=100")},
		"clients-mine":           {"GET /clients?mine=true&limit=100", fixed("/api/v1/clients?mine=true&limit=100")},
		"contracts-unsigned":     {"GET /contracts?unsigned=true&limit=100", fixed("/api/v1/contracts?unsigned=true&limit=100")},
		"events-without-support": {"GET /events?without_support=true&limit=100", fixed("/api/v1/events?without_support=true&limit=100")},
		"client-show": {"GET /clients/{random id}", func(r *rand.Rand) string {
			return "/api/v1/clients/" + strconv.Itoa(1+r.IntN(*maxID))
		}},
	}
	var selected []string
	for _, c := range strings.Split(*cases, ",") {
		if _, ok := all[c]; !ok {
			fatalf("unknown case %q", c)
		}
		selected = append(selected, c)
	}

	password := os.Getenv("EPICEVENTS_LOAD_PASSWORD")
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			fatalf("%v", err)
		}
		password, _, _ = strings.Cut(string(b), "\n")
	}
	maxConc := slices.Max(conc)
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        maxConc * 2,
			MaxIdleConnsPerHost: maxConc * 2,
			DisableCompression:  true,
		},
	}
	token, err := login(client, *base, *email, password)
	if err != nil {
		fatalf("login: %v", err)
	}

	mem := startMemory(client, *base, *pid)
	var out *os.File
	if *tsv != "" {
		if out, err = os.OpenFile(*tsv, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
			fatalf("%v", err)
		}
		defer out.Close()
	}
	fmt.Printf("%-45s %5s %9s %10s %9s %9s %6s %11s %11s\n", "case", "conc", "requests", "req/s", "p50 ms", "p99 ms", "errors",
		"server CPU", "load CPU")
	for _, name := range selected {
		lc := all[name]
		for _, c := range conc {
			s0, l0 := procCPU(*pid), selfCPU()
			r := drive(client, *base, token, lc, c, *duration)
			var srv, self float64 // ms of CPU per request
			if r.n > 0 {
				srv = float64(procCPU(*pid)-s0) / float64(time.Millisecond) / float64(r.n)
				self = float64(selfCPU()-l0) / float64(time.Millisecond) / float64(r.n)
			}
			fmt.Printf("%-45s %5d %9d %10.1f %9.2f %9.2f %6d %8.3f ms %8.3f ms\n", lc.name, c, r.n, r.rps, r.p50, r.p99, r.errors, srv, self)
			if out != nil {
				fmt.Fprintf(out, "%s\t%d\t%d\t%.1f\t%.2f\t%.2f\t%d\t%.3f\t%.3f\n", name, c, r.n, r.rps, r.p50, r.p99, r.errors, srv, self)
			}
		}
	}
	peak, how := mem.stop()
	fmt.Printf("server peak resident memory: %.1f MiB (%s)\n", float64(peak)/(1<<20), how)
	if out != nil {
		fmt.Fprintf(out, "peak_rss_mib\t%.1f\n", float64(peak)/(1<<20))
	}
}

func fixed(p string) func(*rand.Rand) string { return func(*rand.Rand) string { return p } }

type result struct {
	n, errors int
	rps       float64
	p50, p99  float64 // ms
}

// drive runs c workers for d and gathers every latency.
func drive(client *http.Client, base, token string, lc loadCase, c int, d time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		wg     sync.WaitGroup
		errs   atomic.Int64
		mu     sync.Mutex
		all    []time.Duration
		first  atomic.Value
		header = "Bearer " + token
	)
	start := time.Now()
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w)+1, uint64(time.Now().UnixNano())))
			lat := make([]time.Duration, 0, 1<<14)
			for ctx.Err() == nil {
				req, _ := http.NewRequest(http.MethodGet, base+lc.path(r), nil)
				req.Header.Set("Authorization", header)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				el := time.Since(t0)
				if err != nil || resp.StatusCode != http.StatusOK {
					errs.Add(1)
					first.CompareAndSwap(nil, fmt.Sprintf("status %d %v", resp.StatusCode, err))
					continue
				}
				lat = append(lat, el)
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if e := first.Load(); e != nil {
		fmt.Fprintf(os.Stderr, "load: %s at %d: first error: %v\n", lc.name, c, e)
	}
	slices.Sort(all)
	res := result{n: len(all), errors: int(errs.Load()), rps: float64(len(all)) / elapsed.Seconds()}
	if len(all) > 0 {
		res.p50 = ms(all[len(all)*50/100])
		res.p99 = ms(all[min(len(all)-1, len(all)*99/100)])
	}
	return res
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func login(client *http.Client, base, email, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := client.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil || t.AccessToken == "" {
		return "", errors.Join(errors.New("no access token in the answer"), err)
	}
	return t.AccessToken, nil
}

// memory samples the server's resident set size until stop.
type memory struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak atomic.Int64
	pid  int
}

func startMemory(client *http.Client, base string, pid int) *memory {
	m := &memory{done: make(chan struct{}), pid: pid}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			var v int64
			if pid > 0 {
				v = procStatus(pid, "VmRSS")
			} else {
				v = scrapeRSS(client, base)
			}
			if v > m.peak.Load() {
				m.peak.Store(v)
			}
			select {
			case <-m.done:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memory) stop() (int64, string) {
	close(m.done)
	m.wg.Wait()
	if m.pid > 0 {
		if hwm := procStatus(m.pid, "VmHWM"); hwm > 0 {
			return max(hwm, m.peak.Load()), fmt.Sprintf("VmHWM of pid %d; VmRSS sampled every 50 ms peaked at %.1f MiB",
				m.pid, float64(m.peak.Load())/(1<<20))
		}
	}
	return m.peak.Load(), "process_resident_memory_bytes of /metrics, sampled every 50 ms"
}

// procCPU is the user and system CPU time the process has used (0 without a
// pid): fields 14 and 15 of /proc/PID/stat, in clock ticks of 10 ms.
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, field 2, may hold spaces: count from its ")".
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// selfCPU is the CPU time this program has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus reads a "kB" field of /proc/PID/status, in bytes.
func procStatus(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func scrapeRSS(client *http.Client, base string) int64 {
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "process_resident_memory_bytes "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int64(f)
		}
	}
	return 0
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > 1024 {
			return nil, fmt.Errorf("%q is not a concurrency from 1 to 1024", p)
		}
		out = append(out, n)
	}
	return out, nil
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "load: "+format+"\n", args...)
	os.Exit(1)
}
