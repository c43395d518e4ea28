"""A Jobserver remote worker: claims jobs of remote types over the worker protocol and runs them.

Standard library only (Python 3.9+). See docs/remote-workers.md.

    worker = Worker("http://localhost:8080", token=os.environ["JOBSERVER_TOKEN"])

    @worker.task("clean_data")
    def clean_data(data, ctx):
        ctx.progress(50)
        if ctx.cancelled:
            return
        ctx.result(b"...", filename="out.csv", content_type="text/csv")
        return "done"        # the completion message (optional)

    worker.run()

A task returns normally to complete the job; raises RetryableError (or any other exception) to fail
this attempt and let Jobserver retry it while attempts remain; raises FinalError to fail the job
now; raises Skip to end it skipped (nothing to do).
"""

import json
import logging
import os
import signal
import socket
import threading
import time
import traceback
import urllib.error
import urllib.request

__all__ = ["Worker", "Context", "RetryableError", "FinalError", "Skip", "LeaseLost"]
__version__ = "0.1.0"

log = logging.getLogger("jobserver_worker")


class RetryableError(Exception):
    """This attempt failed; Jobserver retries the job (after retry_after seconds, or the type's
    backoff) while attempts remain."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


class FinalError(Exception):
    """The job failed and retrying cannot help (bad input): it fails now."""


class Skip(Exception):
    """Nothing to do: the job ends skipped (its dependents treat that as success)."""


class LeaseLost(Exception):
    """The job is no longer this run's (lease expired, canceled, taken over): stop at once."""


class HttpError(Exception):
    def __init__(self, status, body):
        super().__init__("HTTP %s: %s" % (status, body[:500]))
        self.status = status
        self.body = body


class Context:
    """What a task sees of its job: its id, attempt, progress, cancellation and result."""

    def __init__(self, worker, job):
        self._worker = worker
        self.job_id = job["id"]
        self.type = job["type"]
        self.attempt = job["attempt"]
        self.max_attempts = job["max_attempts"]
        self.lease_token = job["lease_token"]
        self._progress = None
        self._message = None
        self._cancel = threading.Event()
        self.lost = False

    @property
    def cancelled(self):
        """True once a cancel was asked for (seen at a heartbeat), the lease was lost, or the worker
        is stopping: return soon."""
        return self._cancel.is_set()

    def wait(self, seconds):
        """Sleeps up to seconds; returns True early when the run should stop."""
        return self._cancel.wait(seconds)

    def progress(self, percent, message=None):
        """Reports progress (0-100) and optionally what the run is doing (the job's
        data.progress_message); sent with the next heartbeat."""
        self._progress = max(0, min(100, int(percent)))
        if message is not None:
            self._message = str(message)[:4000]

    def result(self, content, filename="result.bin", content_type="application/octet-stream"):
        """Uploads the job's result file: bytes, str, or a binary file object (streamed)."""
        if isinstance(content, str):
            content = content.encode("utf-8")
        self._worker._upload(self, content, filename, content_type)


class Worker:
    """Claims jobs of its tasks' types and runs them on up to `concurrency` threads."""

    def __init__(self, url, token, name=None, concurrency=1, lease_seconds=30,
                 wait_seconds=20, stop_grace_seconds=30, timeout_seconds=60):
        self.url = url.rstrip("/") + "/api/jobserver/v1"
        self.token = token
        self.name = name or "%s-%d" % (socket.gethostname()[:60], os.getpid())
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.stop_grace_seconds = stop_grace_seconds
        self.timeout_seconds = timeout_seconds
        self._tasks = {}
        self._stopping = threading.Event()
        self._running = {}
        self._lock = threading.Lock()

    # ---- declaring tasks ---------------------------------------------------------------------

    def task(self, type_name):
        """Decorator: the function(data, ctx) that runs jobs of this remote type."""
        def register(fn):
            self._tasks[type_name] = fn
            return fn
        return register

    # ---- HTTP --------------------------------------------------------------------------------

    def _request(self, method, path, body=None, headers=None, timeout=None):
        data = None
        h = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
        if body is not None and not isinstance(body, (bytes, bytearray)) and not hasattr(body, "read"):
            data = json.dumps(body).encode("utf-8")
            h["Content-Type"] = "application/json"
        else:
            data = body
        h.update(headers or {})
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout_seconds) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raise HttpError(e.code, e.read().decode("utf-8", "replace"))

    def _write(self, ctx, what, body):
        body = dict(body, lease_token=ctx.lease_token)
        for attempt in range(5):
            try:
                return self._request("POST", "/jobs/%s/%s" % (ctx.job_id, what), body)[1]
            except HttpError as e:
                if e.status == 409:
                    raise LeaseLost(e.body)
                if e.status < 500 and e.status != 429:
                    raise
                err = e
            except (urllib.error.URLError, OSError) as e:
                err = e
            # the same request with the same token is safe to repeat: Jobserver answers the same
            time.sleep(min(2 ** attempt, 10))
        raise err

    def _upload(self, ctx, content, filename, content_type):
        headers = {
            "Content-Type": content_type,
            "Content-Disposition": 'attachment; filename="%s"' % filename.replace('"', "_"),
            "Jobserver-Lease-Token": str(ctx.lease_token),
        }
        try:
            self._request("PUT", "/jobs/%s/result" % ctx.job_id, content, headers)
        except HttpError as e:
            if e.status == 409:
                ctx.lost = True
                ctx._cancel.set()
                raise LeaseLost(e.body)
            raise

    # ---- running -----------------------------------------------------------------------------

    def _heartbeat(self, ctx, done):
        interval = max(1.0, self.lease_seconds / 3.0)
        while not done.wait(interval):
            body = {}
            if ctx._progress is not None:
                body["progress"] = ctx._progress
            if ctx._message is not None:
                body["message"] = ctx._message
            try:
                answer = self._write(ctx, "heartbeat", body)
                if answer and answer.get("cancel_requested"):
                    ctx._cancel.set()
            except LeaseLost:
                log.warning("job %s: lease lost; stopping the run", ctx.job_id)
                ctx.lost = True
                ctx._cancel.set()
                return
            except Exception:  # the server is unreachable: the next beat tries again
                log.exception("job %s: heartbeat failed", ctx.job_id)

    def _run_one(self, job):
        ctx = Context(self, job)
        with self._lock:
            self._running[ctx.job_id] = ctx
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(ctx, done), daemon=True)
        beat.start()
        try:
            fn = self._tasks[job["type"]]
            try:
                message = fn(job.get("data") or {}, ctx)
                if ctx.lost:
                    return
                if ctx.cancelled:
                    # a cancel request (the job ends canceled), or the worker stopped before the
                    # task did (the job is retried while attempts remain)
                    why = "the worker stopped" if self._stopping.is_set() else "a cancel request"
                    self._write(ctx, "fail", {"error": "stopped: " + why})
                else:
                    body = {} if message is None else {"message": str(message)[:4000]}
                    self._write(ctx, "complete", body)
            except LeaseLost:
                ctx.lost = True
            except Skip as e:
                self._write(ctx, "skip", {"reason": str(e)[:4000]})
            except FinalError as e:
                self._write(ctx, "fail", {"error": _error(e), "retryable": False})
            except RetryableError as e:
                body = {"error": _error(e)}
                if e.retry_after is not None:
                    body["retry_after_seconds"] = int(e.retry_after)
                self._write(ctx, "fail", body)
            except Exception as e:
                log.exception("job %s failed", ctx.job_id)
                self._write(ctx, "fail", {"error": _error(e) + "\n" + traceback.format_exc()[-3000:]})
        except LeaseLost:
            log.warning("job %s: lease lost; its answer was refused", ctx.job_id)
        except Exception:
            log.exception("job %s: recording its end failed", ctx.job_id)
        finally:
            done.set()
            with self._lock:
                self._running.pop(ctx.job_id, None)

    def stop(self, *_):
        """Stops claiming; running tasks see ctx.cancelled after stop_grace_seconds."""
        if not self._stopping.is_set():
            log.info("stopping: no new claims; %d job(s) running", len(self._running))
        self._stopping.set()

    def run(self):
        """Claims and runs jobs until SIGTERM or SIGINT (or stop()); then lets running jobs finish
        (up to stop_grace_seconds, after which they see ctx.cancelled and their run fails, to be
        retried) and returns."""
        if not self._tasks:
            raise ValueError("no tasks: declare them with @worker.task(type)")
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        threads = []
        log.info("worker %s: claiming %s", self.name, ", ".join(sorted(self._tasks)))
        while not self._stopping.is_set():
            threads = [t for t in threads if t.is_alive()]
            free = self.concurrency - len(threads)
            if free <= 0:
                time.sleep(0.05)
                continue
            try:
                status, answer = self._request(
                    "POST", "/workers/claims",
                    {"worker": self.name, "types": sorted(self._tasks), "max": free,
                     "lease_seconds": self.lease_seconds, "wait_seconds": self.wait_seconds},
                    timeout=self.wait_seconds + self.timeout_seconds)
            except (HttpError, urllib.error.URLError, OSError) as e:
                if isinstance(e, HttpError) and e.status in (400, 401, 403):
                    raise
                log.warning("claim failed (%s); trying again", e)
                self._stopping.wait(2)
                continue
            for job in (answer or {}).get("jobs", []) if status == 200 else []:
                t = threading.Thread(target=self._run_one, args=(job,), daemon=True)
                t.start()
                threads.append(t)
        deadline = time.monotonic() + self.stop_grace_seconds
        for t in threads:
            t.join(max(0, deadline - time.monotonic()))
        with self._lock:
            left = list(self._running.values())
        for ctx in left:
            ctx._cancel.set()
        for t in threads:
            t.join(10)
        log.info("worker %s stopped", self.name)


def _error(e):
    text = str(e) or e.__class__.__name__
    return text[:4000]
