"""A remote worker for the job type clean_data: run it beside Jobserver.

    export JOBSERVER_URL=http://localhost:8080 JOBSERVER_TOKEN=...   # a token with jobs_worker
    python3 clients/python/examples/clean_data.py

Each job takes WORK_SECONDS (default 1), reports progress, honours a cancel, and leaves a small
CSV as its result.
"""

import logging
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # run from a checkout, uninstalled
from jobserver_worker import FinalError, Worker  # noqa: E402

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

worker = Worker(
    os.environ.get("JOBSERVER_URL", "http://localhost:8080"),
    token=os.environ["JOBSERVER_TOKEN"],
    lease_seconds=int(os.environ.get("LEASE_SECONDS", "30")),
)


@worker.task("clean_data")
def clean_data(data, ctx):
    print("claimed %s attempt %d token %s" % (ctx.job_id, ctx.attempt, ctx.lease_token), flush=True)
    if data.get("rows") == "bad":
        raise FinalError("rows: not a number")  # retrying cannot help: the job fails now
    seconds = float(os.environ.get("WORK_SECONDS", "1"))
    steps = 10
    for step in range(steps):
        if ctx.wait(seconds / steps):  # True when a cancel was asked for
            return None
        ctx.progress((step + 1) * 100 // steps)
    ctx.result("row,value\n1,clean\n", filename="clean.csv", content_type="text/csv")
    print("done %s" % ctx.job_id, flush=True)
    return "cleaned"


if __name__ == "__main__":
    worker.run()
