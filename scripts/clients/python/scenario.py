"""What a Taipy user does with the Python client generated from /openapi (generator `python`,
package jobserver_client): create a job through /api/v1/jobs, read its status until it has run,
read a missing job's 404 as the typed TaipyMessage, then list the jobs. Exits 1 at the first
thing that is not as the API says.

Usage: PYTHONPATH=<generated client> python3 scenario.py BASE_URL TOKEN
"""
import sys
import time

import jobserver_client
from jobserver_client.exceptions import NotFoundException
from jobserver_client.models import TaipyMessage


def fail(what):
    print(f"python client scenario FAILED: {what}", file=sys.stderr)
    sys.exit(1)


def main(base, token):
    config = jobserver_client.Configuration(host=base, access_token=token)
    with jobserver_client.ApiClient(config) as client:
        taipy = jobserver_client.TaipyApi(client)

        created = taipy.taipy_create_job(task_id="sleep")  # the sleep task config: one second
        job = created.job
        if created.message != "Job was created." or not job.id.startswith("JOB_sleep_"):
            fail(f"created: {created}")
        print(f"created {job.id} ({job.status}, task {job.task_id}, {job.creation_date})")

        deadline = time.monotonic() + 30
        while job.status != "Status.COMPLETED":
            if job.status in ("Status.FAILED", "Status.CANCELED", "Status.ABANDONED"):
                fail(f"the job ended {job.status}")
            if time.monotonic() > deadline:
                fail(f"not completed in 30 s: {job}")
            time.sleep(0.2)
            job = taipy.taipy_get_job(job.id).job
        print(f"{job.id} is {job.status}")

        try:
            taipy.taipy_get_job("JOB_sleep_00000000-0000-4000-8000-000000000000")
            fail("a missing job was found")
        except NotFoundException as e:
            error = TaipyMessage.from_json(e.body)
            if "does not exist" not in error.message:
                fail(f"404 body: {e.body}")
            print(f"404: {error.message}")

        listed = taipy.taipy_get_jobs(page=0, per_page=10000)
        if job.id not in [j.id for j in listed]:
            fail(f"{job.id} is not in the list of {len(listed)} jobs")
        print(f"listed {len(listed)} jobs, {job.id} among them")
    print("python client scenario: OK")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
