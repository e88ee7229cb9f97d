package main

// Fault injection: PostgreSQL stopped and restarted under
// `serve`'s load, and SIGKILL of the CLI and of `serve` in the middle of
// writes, on SQLite and PostgreSQL. PostgreSQL here is always a cluster of
// the test's own (fiStartCluster): the shared server is never stopped.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestFaultPostgresOutage stops the test's PostgreSQL twice while `serve`
// answers a steady load of lists and creations (a fast shutdown, then an
// immediate one, which PostgreSQL recovers from like a crash), and restarts
// it each time. During an outage /readyz and the requests answer 503
// problem+json, each within bounded time; after it the same server process
// serves again; every client it created has its audit entry, and every
// creation it acknowledged (201) is in the database.
func TestFaultPostgresOutage(t *testing.T) {
	pg := fiStartCluster(t)
	dir := t.TempDir()
	url := pg.createDB(t, "crm")
	c := fiNewCRM(t, dir, url, []string{"EPICEVENTS_JWT_SECRET=" + fiJWTSecret},
		fiEmployee{name: "bill", role: "SALES", first: "Bill", last: "Boquet"})
	srv := fiStartServe(t, dir, c.as("ada"))
	api := fiNewAPI(func() string { return srv.URL })
	token := api.login(t, "bill@epicevents.example")

	load := fiStartLoad(t, api, token)
	replies := load.replies
	readyz := func() fiReply { return api.do("GET", "/readyz", "", nil) }
	type outage struct {
		name                        string
		down, up, recovered         time.Time
		readyzDuring, readyzBadCode []int
	}
	var outages []*outage
	time.Sleep(1500 * time.Millisecond)
	for _, o := range []struct {
		name string
		sig  syscall.Signal
	}{{"fast shutdown (SIGINT)", syscall.SIGINT}, {"immediate shutdown (SIGQUIT, a crash)", syscall.SIGQUIT}} {
		out := &outage{name: o.name}
		outages = append(outages, out)
		pg.stop(o.sig)
		out.down = time.Now()
		for time.Since(out.down) < 3*time.Second {
			r := readyz()
			out.readyzDuring = append(out.readyzDuring, r.status)
			if !r.isProblem503() {
				out.readyzBadCode = append(out.readyzBadCode, r.status)
			}
			time.Sleep(250 * time.Millisecond)
		}
		out.up = time.Now()
		pg.start()
		for {
			if r := readyz(); r.err == nil && r.status == 200 {
				out.recovered = time.Now()
				break
			}
			if time.Since(out.up) > 30*time.Second {
				t.Fatalf("%s: /readyz still fails 30 s after PostgreSQL came back", o.name)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// Load on the recovered server. Recovery is judged on the requests
		// started between 2 and 3 s after it; the next outage begins a
		// second later, so that none of them is still in flight when it
		// does (with the next stop 3 s after recovery, a request started
		// just before it could meet the stopped database: a failure of the
		// test, not of the server).
		time.Sleep(4 * time.Second)
	}
	load.stop()

	// Every request answered, in bounded time, with a success or a 503
	// problem.
	var durs []time.Duration
	var creates201 []int64
	for _, r := range replies() {
		durs = append(durs, r.dur)
		switch {
		case r.err != nil:
			t.Errorf("a request got no answer after %s: %v", r.dur, r.err)
		case r.dur > 35*time.Second:
			t.Errorf("a request took %s (more than the server's timeouts allow)", r.dur)
		case r.status == 201 && r.create:
			creates201 = append(creates201, r.id())
		case r.status == 200 && !r.create:
		case r.isProblem503():
		default:
			t.Errorf("unexpected answer %d %s: %s", r.status, r.contentType, r.body)
		}
	}
	slices.Sort(durs)
	p95 := durs[len(durs)*95/100]
	t.Logf("%d requests; durations: median %s, p95 %s, max %s", len(durs), durs[len(durs)/2], p95, durs[len(durs)-1])
	if p95 > 5*time.Second {
		t.Errorf("p95 of request durations is %s: requests wait for the database instead of failing fast", p95)
	}
	for _, o := range outages {
		var during503, okAfter, failAfter int
		var failures []string
		for _, r := range replies() {
			switch {
			case r.start.After(o.down.Add(300*time.Millisecond)) && r.start.Add(r.dur).Before(o.up):
				if r.isProblem503() {
					during503++
				} else {
					t.Errorf("%s: a request during the outage answered %d: %s", o.name, r.status, r.body)
				}
			case r.start.After(o.recovered.Add(2*time.Second)) && r.start.Before(o.recovered.Add(3*time.Second)) &&
				r.start.Add(r.dur).Before(o.recovered.Add(4*time.Second)):
				if r.err == nil && r.status < 300 {
					okAfter++
				} else {
					failAfter++
					failures = append(failures, fmt.Sprintf("%s after recovery: %d %v %s",
						r.start.Sub(o.recovered).Round(time.Millisecond), r.status, r.err, r.body))
				}
			}
		}
		t.Logf("%s: /readyz during the outage %v; %d requests answered 503 during it; back %s after the restart; %d successes after",
			o.name, o.readyzDuring, during503, o.recovered.Sub(o.up).Round(time.Millisecond), okAfter)
		if len(o.readyzBadCode) > 0 {
			t.Errorf("%s: /readyz answered %v during the outage, want 503 problem+json", o.name, o.readyzBadCode)
		}
		if during503 == 0 {
			t.Errorf("%s: no request answered 503 during the outage", o.name)
		}
		if okAfter == 0 || failAfter > 0 {
			t.Errorf("%s: after recovery %d requests succeeded and %d failed: the server did not recover by itself\n%s",
				o.name, okAfter, failAfter, strings.Join(failures, "\n"))
		}
	}

	// Nothing without its audit entry, nothing acknowledged lost.
	srv.stop()
	db := fiOpen(t, url)
	fiCheckConsistent(t, db, "postgres")
	for _, id := range creates201 {
		if fiCount(t, db, "SELECT count(*) FROM clients WHERE id = $1", id) != 1 {
			t.Errorf("client %d was acknowledged (201) but is not in the database", id)
		}
	}
	t.Logf("%d clients acknowledged, %d in the database", len(creates201), fiCount(t, db, "SELECT count(*) FROM clients"))
}

// TestFaultPostgresFrozen freezes the test's PostgreSQL (SIGSTOP to every
// process of the cluster: a database host that stops answering without
// closing its connections, as in a network partition) for longer than the
// server's timeouts while serve is under load. No request may wait for the
// database past those timeouts: each is answered, 503 problem+json while the
// database is frozen, within 35 s; /readyz answers 503 within its own 3 s
// check; once thawed, the server serves again by itself.
func TestFaultPostgresFrozen(t *testing.T) {
	pg := fiStartCluster(t)
	dir := t.TempDir()
	url := pg.createDB(t, "crm")
	c := fiNewCRM(t, dir, url, []string{"EPICEVENTS_JWT_SECRET=" + fiJWTSecret},
		fiEmployee{name: "bill", role: "SALES", first: "Bill", last: "Boquet"})
	srv := fiStartServe(t, dir, c.as("ada"))
	api := fiNewAPI(func() string { return srv.URL })
	token := api.login(t, "bill@epicevents.example")
	load := fiStartLoad(t, api, token)
	time.Sleep(time.Second)

	const freeze = 37 * time.Second
	pg.signal(syscall.SIGSTOP)
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			pg.signal(syscall.SIGCONT)
		}
	}
	t.Cleanup(thaw) // before the cluster's stop, which needs it running
	frozen := time.Now()
	time.Sleep(time.Second)
	r := api.do("GET", "/readyz", "", nil)
	if r.err != nil || !r.isProblem503() || r.dur > 5*time.Second {
		t.Errorf("/readyz with a frozen database: %d %s after %s (%v), want 503 problem+json within 5 s", r.status, r.body, r.dur, r.err)
	}
	time.Sleep(freeze - time.Since(frozen))
	thaw()
	thawedAt := time.Now()
	deadline := thawedAt.Add(30 * time.Second)
	for {
		if r := api.do("GET", "/readyz", "", nil); r.err == nil && r.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz still fails 30 s after the database was thawed")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	load.stop()

	var hung, bad, during503, okAfter, failAfter int
	var longest time.Duration
	for _, r := range load.replies() {
		longest = max(longest, r.dur)
		switch {
		case r.err != nil || r.dur > 35*time.Second:
			hung++
			if hung <= 3 {
				t.Logf("a request started %s into the freeze took %s: %d %v", r.start.Sub(frozen).Round(time.Millisecond), r.dur.Round(time.Millisecond), r.status, r.err)
			}
		case r.status < 300 || r.isProblem503():
			if r.start.After(frozen) && r.start.Add(r.dur).Before(thawedAt) && r.isProblem503() {
				during503++
			}
		default:
			bad++
			t.Errorf("unexpected answer %d %s: %s", r.status, r.contentType, r.body)
		}
		if r.start.After(thawedAt.Add(2 * time.Second)) {
			if r.err == nil && r.status < 300 {
				okAfter++
			} else {
				failAfter++
			}
		}
	}
	t.Logf("%d requests; longest %s; %d answered 503 during the freeze; %d beyond 35 s or unanswered; %d successes after the thaw",
		len(load.replies()), longest.Round(time.Millisecond), during503, hung, okAfter)
	if okAfter == 0 || failAfter > 0 {
		t.Errorf("after the thaw %d requests succeeded and %d failed: the server did not recover by itself", okAfter, failAfter)
	}
	srv.stop()
	fiCheckConsistent(t, fiOpen(t, url), "postgres")
	if hung > 0 || during503 == 0 {
		t.Errorf("%d requests were not answered within 35 s while the database was frozen (longest %s) and "+
			"%d answered 503 during the freeze: a request's database work must have a deadline", hung, longest.Round(time.Second), during503)
	}
}

// fiTagged is one reply of a load, and whether it answered a creation.
type fiTagged struct {
	fiReply
	create bool
}

// fiLoad is a steady load on serve: a few workers alternating a list and a
// creation of a client, a little apart, for a bounded number of rounds.
type fiLoad struct {
	mu   sync.Mutex
	all  []fiTagged
	done atomic.Bool
	wg   sync.WaitGroup
}

func fiStartLoad(t *testing.T, api *fiAPI, token string) *fiLoad {
	l := &fiLoad{}
	for w := range 4 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; i < 3000 && !l.done.Load(); i++ {
				var r fiReply
				create := i%2 == 1
				if create {
					r = api.do("POST", "/api/v1/clients", token, map[string]string{
						"first_name": "Load", "last_name": fmt.Sprintf("W%d", w),
						"email": fmt.Sprintf("load-%d-%d-%d@outage.example", w, i, time.Now().UnixNano())})
				} else {
					r = api.do("GET", "/api/v1/clients?limit=20", token, nil)
				}
				l.mu.Lock()
				l.all = append(l.all, fiTagged{r, create})
				l.mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	t.Cleanup(l.stop)
	return l
}

// stop ends the load and waits for its requests.
func (l *fiLoad) stop() { l.done.Store(true); l.wg.Wait() }

// replies returns the replies so far.
func (l *fiLoad) replies() []fiTagged {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.all)
}

// fiFaultDB returns a fresh database for a fault test: an SQLite file in
// dir, or a database on a PostgreSQL cluster of the test's own.
func fiFaultDB(t *testing.T, engine, dir string) string {
	if engine == "sqlite" {
		return "sqlite:" + filepath.Join(dir, "crm.db")
	}
	return fiStartCluster(t).createDB(t, "crm")
}

// fiSeed gives a CRM (ada MANAGEMENT, bill SALES) a client of bill's and a
// signed contract on it; it returns their ids.
func fiSeed(t *testing.T, c *fiCRM) (client, contract int64) {
	r := fiMust(t, c.dir, c.as("bill"), "", "clients", "create", "--first-name", "Seed", "--last-name", "Client",
		"--email", "seed@client.example", "-o", "json")
	client = fiJSONID(t, r.stdout)
	r = fiMust(t, c.dir, c.as("ada"), "", "contracts", "create", "--client", strconv.FormatInt(client, 10),
		"--total", "1000", "--signed", "-o", "json")
	return client, fiJSONID(t, r.stdout)
}

// fiAcked are the creations a process or the server acknowledged.
type fiAcked struct {
	mu                        sync.Mutex
	clients, contracts, event []int64
}

func (a *fiAcked) add(kind string, id int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch kind {
	case "client":
		a.clients = append(a.clients, id)
	case "contract":
		a.contracts = append(a.contracts, id)
	case "event":
		a.event = append(a.event, id)
	}
}

func (a *fiAcked) pick(kind string) int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.clients
	if kind == "contract" {
		l = a.contracts
	}
	return l[rand.IntN(len(l))]
}

// fiCheckAcked fails t for every acknowledged creation that is not in db.
func fiCheckAcked(t *testing.T, c *fiCRM, engine string, a *fiAcked) {
	db := fiOpen(t, c.dbURL)
	ph := "?"
	if engine == "postgres" {
		ph = "$1"
	}
	for _, l := range []struct {
		table string
		ids   []int64
	}{{"clients", a.clients}, {"contracts", a.contracts}, {"events", a.event}} {
		for _, id := range l.ids {
			if fiCount(t, db, "SELECT count(*) FROM "+l.table+" WHERE id = "+ph, id) != 1 {
				t.Errorf("%s %d was acknowledged but is not in the database", l.table, id)
			}
		}
	}
	fiCheckConsistent(t, db, engine)
}

// fiWorksAgain checks that the CLI works on the database after the faults:
// a list sees every client, and a creation succeeds.
func fiWorksAgain(t *testing.T, c *fiCRM) {
	db := fiOpen(t, c.dbURL)
	want := fiCount(t, db, "SELECT count(*) FROM clients")
	r := fiMust(t, c.dir, c.as("bill"), "", "clients", "list", "--limit", "0", "-o", "json")
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != want {
		t.Errorf("clients list after the faults: %d clients (%v), want %d", len(list), err, want)
	}
	fiMust(t, c.dir, c.as("bill"), "", "clients", "create", "--first-name", "After", "--last-name", "Faults",
		"--email", "after@faults.example")
	fiMust(t, c.dir, c.as("ada"), "", "audit", "list", "--limit", "5")
}

// TestFaultKillCLI starts CLI writers (clients, contracts and events
// creations) and kills most of them with SIGKILL at random moments,
// round after round. The database stays consistent: SQLite's integrity and
// foreign key checks pass, every row has its creation audit entry and every
// creation entry its row, the amount and event constraints hold, every
// creation a process acknowledged is there, and the CLI works afterwards.
func TestFaultKillCLI(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			c := fiNewCRM(t, dir, fiFaultDB(t, engine, dir), nil,
				fiEmployee{name: "bill", role: "SALES", first: "Bill", last: "Boquet", login: true})
			client, contract := fiSeed(t, c)
			acked := &fiAcked{clients: []int64{client}, contracts: []int64{contract}}
			var killed, killedLate, completed int
			for round := range 6 {
				var wg sync.WaitGroup
				var mu sync.Mutex
				for p := range 6 {
					kind := []string{"client", "contract", "event"}[p%3]
					var who string
					var args []string
					switch kind {
					case "client":
						who, args = "bill", []string{"clients", "create", "--first-name", "Kill", "--last-name", fmt.Sprintf("R%dP%d", round, p),
							"--email", fmt.Sprintf("kill-%d-%d@cli.example", round, p)}
					case "contract":
						who, args = "ada", []string{"contracts", "create", "--client", strconv.FormatInt(acked.pick("client"), 10),
							"--total", "1500.50", "--due", "700", "--signed"}
					case "event":
						who, args = "bill", []string{"events", "create", "--contract", strconv.FormatInt(acked.pick("contract"), 10),
							"--name", fmt.Sprintf("Kill R%dP%d", round, p), "--start", "2030-06-04 13:00", "--end", "2030-06-05 02:00",
							"--location", "Candé-sur-Beuvron", "--attendees", "75", "--notes", "written while being killed"}
					}
					cmd := fiCommand(t, dir, c.as(who), "", append(args, "-o", "json")...)
					var out, errb syncBuffer
					cmd.Stdout, cmd.Stderr = &out, &errb
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						var timer *time.Timer
						var signalled atomic.Bool
						if rand.IntN(3) > 0 { // two in three are killed
							delay := time.Duration(20+rand.IntN(600)) * time.Millisecond
							timer = time.AfterFunc(delay, func() {
								signalled.Store(true)
								_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
							})
						}
						err := cmd.Wait()
						if timer != nil {
							timer.Stop()
						}
						mu.Lock()
						defer mu.Unlock()
						ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
						switch {
						case ws.Signaled():
							killed++
						case err != nil:
							t.Errorf("%s creation exited with %v: %s", kind, err, errb.String())
						default:
							completed++
							if signalled.Load() {
								killedLate++
							}
							var v struct {
								ID int64 `json:"id"`
							}
							if json.Unmarshal([]byte(out.String()), &v) != nil || v.ID == 0 {
								t.Errorf("%s creation succeeded without printing its id: %q", kind, out.String())
								return
							}
							acked.add(kind, v.ID)
						}
					}()
				}
				wg.Wait()
			}
			t.Logf("%d writers killed in flight, %d completed (%d of them just before the kill)", killed, completed, killedLate)
			if killed == 0 {
				t.Error("no writer was killed in flight: the test proved nothing")
			}
			fiCheckAcked(t, c, engine, acked)
			fiWorksAgain(t, c)
		})
	}
}

// TestFaultKillServe kills `serve` with SIGKILL while several clients create
// clients, contracts and events through it, three times, restarting it each
// time. The database stays consistent (the checks of TestFaultKillCLI),
// every creation the server acknowledged (201) is there, and both the
// restarted server and the CLI work.
func TestFaultKillServe(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			c := fiNewCRM(t, dir, fiFaultDB(t, engine, dir), []string{"EPICEVENTS_JWT_SECRET=" + fiJWTSecret},
				fiEmployee{name: "bill", role: "SALES", first: "Bill", last: "Boquet", login: true})
			client, contract := fiSeed(t, c)
			acked := &fiAcked{clients: []int64{client}, contracts: []int64{contract}}
			var base atomic.Value
			api := fiNewAPI(func() string { return base.Load().(string) })
			var tokens map[string]string
			var answered, refused, cut int
			var n atomic.Int64
			for round := range 3 {
				srv := fiStartServe(t, dir, c.as("ada"))
				base.Store(srv.URL)
				if tokens == nil {
					tokens = map[string]string{"ada": api.login(t, "ada@epicevents.example"), "bill": api.login(t, "bill@epicevents.example")}
				}
				var dead atomic.Bool
				var wg sync.WaitGroup
				var mu sync.Mutex
				for w := range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := 0; i < 1000 && !dead.Load(); i++ {
							kind := []string{"client", "contract", "event"}[(w+i)%3]
							var r fiReply
							k := n.Add(1)
							switch kind {
							case "client":
								r = api.do("POST", "/api/v1/clients", tokens["bill"], map[string]any{"first_name": "Kill",
									"last_name": fmt.Sprintf("Serve%d", k), "email": fmt.Sprintf("serve-%d@kill.example", k)})
							case "contract":
								r = api.do("POST", "/api/v1/contracts", tokens["ada"], map[string]any{
									"client_id": acked.pick("client"), "total_amount": "2500.00", "amount_due": "100.25", "signed": true})
							case "event":
								r = api.do("POST", "/api/v1/events", tokens["bill"], map[string]any{
									"contract_id": acked.pick("contract"), "name": fmt.Sprintf("Serve kill %d", k),
									"start": "2030-06-04T11:00:00Z", "end": "2030-06-05T00:00:00Z", "location": "Mufflins",
									"attendees": 200, "notes": "written while serve is killed"})
							}
							mu.Lock()
							switch {
							case r.err != nil:
								cut++
							case r.status == 201:
								answered++
								acked.add(kind, r.id())
							default:
								refused++
								if !dead.Load() {
									t.Errorf("round %d: %s creation answered %d: %s", round, kind, r.status, r.body)
								}
							}
							mu.Unlock()
						}
					}()
				}
				time.Sleep(time.Duration(400+rand.IntN(600)) * time.Millisecond)
				dead.Store(true)
				srv.kill()
				wg.Wait()
			}
			t.Logf("%d creations acknowledged, %d cut off by the kills, %d refused", answered, cut, refused)
			if cut == 0 {
				t.Log("no request was in flight at a kill")
			}
			// The restarted server serves.
			srv := fiStartServe(t, dir, c.as("ada"))
			base.Store(srv.URL)
			if r := api.do("GET", "/readyz", "", nil); r.status != 200 {
				t.Errorf("/readyz after the kills: %d %s", r.status, r.body)
			}
			if r := api.do("POST", "/api/v1/clients", tokens["bill"], map[string]any{"first_name": "After",
				"last_name": "Restart", "email": "after-restart@kill.example"}); r.status != 201 {
				t.Errorf("a creation after the kills: %d %s", r.status, r.body)
			}
			srv.stop()
			fiCheckAcked(t, c, engine, acked)
			fiWorksAgain(t, c)
		})
	}
}
