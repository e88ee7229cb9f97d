#!/usr/bin/env python3
"""cli-ab.py — compare whole-process times of two (or more) epicevents binaries
on the same database, runs interleaved, so that a machine whose load changes
during the measurement affects every binary alike (hyperfine runs one command
after the other).

usage: EPICEVENTS_HOME=… EPICEVENTS_DATABASE_URL=… scripts/load/cli-ab.py SHOW_ID ROUNDS BINARY…

EPICEVENTS_HOME must hold a login (tokens, with EPICEVENTS_KEYRING=off) on that
database. Each round runs, for each command, each binary once; the first two
rounds are warm-up. Prints the median and minimum wall-clock time (fork, exec,
wait) of each command and binary, in milliseconds.
"""
import datetime
import os
import statistics
import subprocess
import sys
import time

show_id, rounds, bins = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
env = dict(os.environ, EPICEVENTS_KEYRING="off", TZ="UTC")
day = datetime.date.today()
frm, to = (day + datetime.timedelta(days=30)).isoformat(), (day + datetime.timedelta(days=36)).isoformat()
commands = [
    ("clients list", ["clients", "list"]),
    ("clients list --mine", ["clients", "list", "--mine"]),
    ("events list --from D --to D+6", ["events", "list", "--from", frm, "--to", to]),
    ("clients show " + show_id, ["clients", "show", show_id]),
]
times = {(b, c): [] for b in bins for c, _ in commands}
for r in range(rounds + 2):
    for name, args in commands:
        for b in bins:
            t0 = time.perf_counter()
            p = subprocess.run([b] + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            elapsed = (time.perf_counter() - t0) * 1000
            if p.returncode != 0:
                sys.exit(f"{b} {name}: exit {p.returncode}: {p.stderr.decode().strip()}")
            if r >= 2:
                times[(b, name)].append(elapsed)
for name, _ in commands:
    cells = [f"{os.path.basename(b)}: median {statistics.median(times[(b, name)]):5.1f} min {min(times[(b, name)]):5.1f}"
             for b in bins]
    print(f"{name:<32}" + "   ".join(cells))
