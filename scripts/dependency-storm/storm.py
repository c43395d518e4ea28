#!/usr/bin/env python3
"""Load client of scripts/dependency-storm-test.sh (Python 3 standard library only).

Creates PARENTS `noop` jobs through the native API, all with the same run_at (due together, LEAD_S
seconds after the client starts), waits until they are due, then creates CHILDREN `noop` jobs with
`depends_on` DEPS random parents each, IN_FLIGHT creates at a time, the requests spread over the
given instances in turn. Every request is recorded in OUT/creates.tsv (kind, instance, HTTP status,
milliseconds, job id or the start of the body); a summary goes to stdout as `name value` lines.
"""
import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def main():
    bases = sys.argv[1].split(",")
    token = sys.argv[2]
    out = sys.argv[3]
    parents = int(os.environ.get("PARENTS", "1500"))
    children = int(os.environ.get("CHILDREN", "1500"))
    deps = int(os.environ.get("DEPS", "12"))
    in_flight = int(os.environ.get("IN_FLIGHT", "50"))
    lead_s = float(os.environ.get("LEAD_S", "25"))
    timeout_s = float(os.environ.get("REQUEST_TIMEOUT_S", "30"))
    rng = random.Random(int(os.environ.get("SEED", "25")))

    log = open(os.path.join(out, "creates.tsv"), "w")
    lock = threading.Lock()
    turn = [0]

    def create(kind, body):
        with lock:
            base = bases[turn[0] % len(bases)]
            turn[0] += 1
        req = urllib.request.Request(
            base + "/api/jobserver/v1/jobs",
            data=json.dumps(body).encode(),
            headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
            method="POST",
        )
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=timeout_s) as r:
                status, text = r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode("utf-8", "replace")
        except Exception as e:  # no answer at all: refused, reset, timed out
            status, text = 0, type(e).__name__ + ": " + str(e)
        ms = (time.monotonic() - t0) * 1000
        job_id = ""
        if status == 201:
            try:
                job_id = json.loads(text).get("id") or ""
            except ValueError:
                pass
        detail = job_id or text[:300].replace("\t", " ").replace("\n", " ")
        with lock:
            log.write(f"{kind}\t{base}\t{status}\t{ms:.1f}\t{detail}\n")
        return kind, status, ms, job_id

    started = time.time()
    due_ms = int((started + lead_s) * 1000)
    with ThreadPoolExecutor(in_flight) as pool:
        plain = list(pool.map(lambda _: create("plain", {"type": "noop", "data": {}, "run_at": due_ms}),
                              range(parents)))
    parent_ids = [r[3] for r in plain if r[3]]
    parents_took = time.time() - started
    print(f"parents_created {len(parent_ids)} of {parents} in {parents_took:.1f} s, due at {due_ms}")
    if parents_took > lead_s:
        print(f"WARNING the parents took longer to create than LEAD_S ({lead_s} s): not all were due together")
    if len(parent_ids) < deps:
        print("too few parents were created to go on", file=sys.stderr)
        return 2
    wait = due_ms / 1000 - time.time()
    if wait > 0:
        time.sleep(wait)

    children_started = time.time()
    with ThreadPoolExecutor(in_flight) as pool:
        with_deps = list(pool.map(
            lambda _: create("depends_on", {"type": "noop", "data": {},
                                            "depends_on": rng.sample(parent_ids, deps)}),
            range(children)))
    children_took = time.time() - children_started
    log.close()

    def pct(values, p):
        if not values:
            return 0.0
        s = sorted(values)
        return s[min(len(s) - 1, max(0, int(round(p / 100.0 * len(s) + 0.5)) - 1))]

    everything = plain + with_deps
    statuses = {}
    for r in everything:
        statuses[r[1]] = statuses.get(r[1], 0) + 1
    print(f"children_created {sum(1 for r in with_deps if r[3])} of {children} in {children_took:.1f} s "
          f"(started {children_started - due_ms / 1000:+.1f} s after the parents were due)")
    print(f"due_ms {due_ms}")
    print(f"children_started_ms {int(children_started * 1000)}")
    print("statuses " + " ".join(f"{k}:{v}" for k, v in sorted(statuses.items())))
    print(f"answered_201 {statuses.get(201, 0)}")
    print(f"answered_503 {statuses.get(503, 0)}")
    print(f"answered_other {len(everything) - statuses.get(201, 0) - statuses.get(503, 0)}")
    for kind, rows in (("plain", plain), ("depends_on", with_deps)):
        ms = [r[2] for r in rows]
        print(f"create_ms_{kind} p50 {pct(ms, 50):.0f} p99 {pct(ms, 99):.0f} max {max(ms):.0f} "
              f"over_1s {sum(1 for m in ms if m > 1000)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
