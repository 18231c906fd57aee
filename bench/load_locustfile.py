"""The students of bench/load_bench.py, for locust (run from its own venv: no Django here, only HTTP).

Each simulated student does the lesson once, with think times: signs in, opens the lesson, runs its five
cells (each timed from the request, as Shift+Enter sends it, to the end of the stream, queue wait and a
kernel's start included), submits the graded exercise and polls until the feedback is there, then opens
their progress. The plan (lesson, cells, exercise, students) comes from LOAD_PLAN, a JSON file the bench
writes; what was measured goes to LOAD_RESULTS when the run stops.
"""

import json
import os
import random
import time

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"]).read())  # noqa: SIM115  read once at import
STALE = b'"stale": true'  # a notice that the kernel is new: the student runs the cells above again
FEEDBACK_TIMEOUT_S = 120.0
STARTED = {"count": 0}
RESULTS = {
    "cells_ms": [],  # (end time, ms) of every run that ended with a result
    "feedback_ms": [],  # (end time, ms) from Submit to graded feedback
    "sign_in_ms": [],  # (end time, ms) from the sign-in page's request to the signed-in redirect
    "submissions_sent": [],  # submission ids answered 202
    "submissions_waiting": [],  # ids still not graded when the student gave up waiting
    "sessions_recovered": 0,  # runs that found their kernel gone (its host dead) and ran in a fresh one
    "cell_failures": [],
    "students_done": 0,  # went through the whole lesson
    "students_finished": 0,  # done, or stopped by a failure
}


class SignInFailed(Exception):
    """The student could not sign in, so does nothing else (counted as a failure already)."""


def think(low: float, high: float) -> None:
    time.sleep(random.uniform(low, high))


class Student(HttpUser):
    wait_time = between(0, 0)  # think times are inside the one task: a student does the lesson once

    def on_start(self) -> None:
        self.number = STARTED["count"]
        STARTED["count"] += 1

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def fail(self, name: str, start: float, message: str) -> None:
        events.request.fire(request_type="STEP", name=name, response_time=(time.perf_counter() - start) * 1000,
                            response_length=0, exception=RuntimeError(message), context={})  # fmt: skip

    def sign_in(self) -> None:
        start = time.perf_counter()
        self.client.get("/accounts/login/", name="sign-in page")
        username = PLAN["students"][self.number % len(PLAN["students"])]
        with self.client.post(
            "/accounts/login/",
            data={"username": username, "password": PLAN["password"], "csrfmiddlewaretoken": self.csrf()},
            headers={"Referer": self.host + "/accounts/login/"},
            allow_redirects=False,
            name="sign in",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in answered {response.status_code}")
                raise SignInFailed()
        RESULTS["sign_in_ms"].append((time.time(), (time.perf_counter() - start) * 1000))

    def run_cell(self, cell_id: str, code: str) -> bool:
        """Run one cell; True when its kernel host had died and it ran in a fresh kernel."""
        start = time.perf_counter()
        body, recovered = b"", False
        try:
            with self.client.post(
                f"/learn/cells/{PLAN['lesson']}/run",
                json={"cell_id": cell_id, "code": code, "tab": f"load-{self.number}"},
                headers={"X-CSRFToken": self.csrf(), "Referer": self.host + PLAN["lesson_url"]},
                stream=True,
                name="run cell",
                catch_response=True,
            ) as response:
                for chunk in response.iter_content(chunk_size=None):
                    body += chunk
                elapsed_ms = (time.perf_counter() - start) * 1000
                result = body.partition(b"event: result\ndata: ")[2].partition(b"\n")[0]
                status = json.loads(result).get("status") if result else None
                recovered = STALE in body
                # After the notice the cell ran in a fresh kernel: a NameError there is the lesson's state
                # lost, which the student restores by running the cells above again (lesson() does).
                if response.status_code != 200 or (status != "ok" and not (recovered and status == "error")):
                    text = body[-300:].decode(errors="replace")
                    response.failure(f"run {response.status_code}, status {status}: {text}")
                    RESULTS["cell_failures"].append(text)
                    return False
                response.success()
        except Exception as error:  # a dropped stream
            self.fail("run cell", start, repr(error))
            RESULTS["cell_failures"].append(repr(error))
            return False
        RESULTS["cells_ms"].append((time.time(), elapsed_ms))
        RESULTS["sessions_recovered"] += recovered
        return recovered

    def submit(self) -> None:
        start = time.perf_counter()
        url = f"/learn/exercises/{PLAN['lesson']}/{PLAN['exercise']}/submit"
        headers = {"X-CSRFToken": self.csrf(), "Referer": self.host + PLAN["lesson_url"]}
        with self.client.post(url, json={"code": PLAN["solution"]}, headers=headers, name="submit",
                              catch_response=True) as response:  # fmt: skip
            if response.status_code != 202:
                response.failure(f"submit answered {response.status_code}: {response.text[:200]}")
                return
            submission = response.json()["submission"]
        RESULTS["submissions_sent"].append(submission)
        status_url = f"/learn/exercises/{PLAN['lesson']}/submissions/{submission}"
        while time.perf_counter() - start < FEEDBACK_TIMEOUT_S:
            time.sleep(0.5)
            answer = self.client.get(status_url, name="submission status")
            if answer.status_code == 200 and answer.json()["status"] == "graded":
                RESULTS["feedback_ms"].append((time.time(), (time.perf_counter() - start) * 1000))
                return
            if answer.status_code == 200 and answer.json()["status"] == "failed":
                self.fail("feedback", start, f"grading failed: {answer.json().get('message')}")
                return
        RESULTS["submissions_waiting"].append(submission)  # counted by the bench, which waits longer

    @task
    def lesson(self) -> None:
        try:
            self.sign_in()
            think(1, 3)
            self.client.get(PLAN["lesson_url"], name="lesson page")
            index = 0
            while index < len(PLAN["cells"]):
                think(2, 5)
                if self.run_cell(*PLAN["cells"][index]) and index:
                    index = 0  # "Run the cells above again to continue."
                    continue
                index += 1
            think(3, 8)
            self.submit()
            think(1, 3)
            self.client.get("/learn/progress/", name="progress page")
            RESULTS["students_done"] += 1
        except SignInFailed:
            pass  # counted by sign_in()
        finally:
            RESULTS["students_finished"] += 1
        # Stay, idle: a user that stops would be replaced by a new one, and each student comes once.
        time.sleep(24 * 3600)


@events.test_start.add_listener
def stop_when_every_student_is_done(environment, **kwargs) -> None:
    """Quit once every student has finished, from a greenlet of its own: a user's greenlet that called
    quit() would be killed with the others, part way through."""
    import gevent

    def watch() -> None:
        while RESULTS["students_finished"] < PLAN["total"]:
            gevent.sleep(1)
        environment.runner.quit()

    gevent.spawn(watch)


@events.quitting.add_listener
def write_results(environment, **kwargs) -> None:
    stats = environment.stats.total
    RESULTS["requests"] = stats.num_requests
    RESULTS["failures"] = stats.num_failures
    RESULTS["errors"] = {f"{error.method} {error.name}: {error.error}"[:240]: error.occurrences
                         for error in environment.stats.errors.values()}  # fmt: skip
    with open(os.environ["LOAD_RESULTS"], "w") as handle:
        json.dump(RESULTS, handle)
