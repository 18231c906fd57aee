"""Smoke test of a running demo, as a new user meets it (the fresh-install stage of scripts/test.sh).

It speaks HTTP only, to the demo that scripts/demo.sh started from a fresh clone in a venv built
from requirements.txt alone: the home page, the branded 404, a visitor's live cell, the demo
student's graded code exercise, the nbgrader assignment's student notebook, and the statements
those left in the built-in store, each checked with ralph-malph's xAPI models. The tests run in
file order and share one demo.
"""

import json
import re
import time
from html import unescape
from pathlib import Path

import httpx
import pytest
from ralph.models.xapi.base.statements import BaseXapiStatement

from demo.material.assignment import NBGRADER_ASSIGNMENT
from demo.material.courses import REFLECTOMETRY_COURSE
from demo.material.data_course import ANALYSES, DATA_COURSE
from demo.material.exercises import CODE_EXERCISES

GRADING_TIMEOUT_S = 120
DELIVERY_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def visitor(demo_url):
    with httpx.Client(base_url=demo_url, timeout=60, follow_redirects=True) as client:
        yield client


@pytest.fixture(scope="module")
def student(demo_url):
    with httpx.Client(base_url=demo_url, timeout=60, follow_redirects=True) as client:
        login = client.get("/accounts/login/")
        token = _field(login.text, "csrfmiddlewaretoken")
        signed_in = client.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token, "username": "student", "password": "panlearn-student"},
            headers={"Referer": f"{demo_url}/accounts/login/"},
        )
        assert "Sign out" in signed_in.text or "/accounts/logout/" in signed_in.text, "the demo student cannot sign in"
        yield client


def _field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no {name} on the page"
    return match.group(1)


def _attribute(html: str, name: str) -> str:
    match = re.search(rf'{name}="([^"]*)"', html)
    assert match, f"no {name} on the page"
    return unescape(match.group(1))


def _lesson_url(slug: str) -> str:
    return f"/{DATA_COURSE['slug']}/{slug}/"


def _read_run_stream(response: httpx.Response) -> tuple[list[dict], dict]:
    outputs, event = [], None
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = json.loads(line.removeprefix("data: "))
            if event == "output":
                outputs.append(data["part"])
            elif event in ("result", "failed"):
                return outputs, {"event": event, **data}
    raise AssertionError("the run stream ended without a result")


def test_the_home_page_serves_its_static_files(visitor):
    home = visitor.get("/")
    assert home.status_code == 200
    assert DATA_COURSE["title"] in home.text
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', home.text)
    assert stylesheet, "the home page links no stylesheet"
    assert re.search(r"\.[0-9a-f]{12}\.css$", stylesheet.group(1)), "static files are not WhiteNoise's hashed copies"
    assert visitor.get(stylesheet.group(1)).status_code == 200


def test_an_unknown_address_gets_the_branded_404_and_no_debug_page(visitor):
    missing = visitor.get("/no-such-page/at-all/")
    assert missing.status_code == 404
    assert "Page not found" in missing.text
    assert "URLconf" not in missing.text and "DEBUG = True" not in missing.text


def test_a_visitor_runs_a_live_cell_on_real_data(visitor):
    lesson = visitor.get(_lesson_url(ANALYSES[0].slug))
    assert lesson.status_code == 200
    assert _attribute(lesson.text, "data-can-run") == "true", "visitors may not run the demo's cells"
    base_url = _attribute(lesson.text, "data-base-url")
    cell_id = _attribute(lesson.text, "data-cell-id")
    code = "import os\nprint(sorted(os.listdir('/data'))[:3], 6 * 7)"
    with visitor.stream(
        "POST",
        f"{base_url}run",
        json={"cell_id": cell_id, "code": code, "tab": "smoke-test"},
        headers={"X-CSRFToken": visitor.cookies["csrftoken"], "Referer": str(lesson.url)},
    ) as response:
        assert response.status_code == 200, response.read()
        outputs, result = _read_run_stream(response)
    text = "".join(part.get("text", "") for part in outputs)
    assert result["event"] == "result" and result["status"] == "ok", (result, text)
    assert "42" in text


def test_the_student_submits_a_graded_code_exercise_and_sees_the_score(student):
    spec = CODE_EXERCISES[0]
    lesson = student.get(_lesson_url(spec["lesson"]))
    if 'action="/learn/courses/' in lesson.text and "Enrol in this course" in lesson.text:
        action = re.search(r'<form method="post" action="(/learn/courses/\d+/enrol/)">', lesson.text).group(1)
        student.post(action, data={"csrfmiddlewaretoken": _field(lesson.text, "csrfmiddlewaretoken")},
                     headers={"Referer": str(lesson.url)})  # fmt: skip
        lesson = student.get(_lesson_url(spec["lesson"]))
    section = re.search(
        rf'data-exercise-id="(\d+)" data-base-url="([^"]+)"[^>]*aria-label="Exercise: {re.escape(spec["title"])}"',
        lesson.text,
    )
    assert section, f"the lesson has no exercise {spec['title']!r}"
    base_url = section.group(2)  # the exercise block's own endpoints (/learn/exercises/<lesson>/)
    headers = {"X-CSRFToken": student.cookies["csrftoken"], "Referer": str(lesson.url)}
    sent = student.post(f"{base_url}{section.group(1)}/submit", json={"code": spec["solution_code"]},
                        headers=headers)  # fmt: skip
    assert sent.status_code == 202, sent.text
    deadline = time.monotonic() + GRADING_TIMEOUT_S
    while True:
        state = student.get(f"{base_url}submissions/{sent.json()['submission']}").json()
        if state["status"] not in ("queued", "grading") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert state["status"] == "graded", state
    assert state["possible"] > 0 and state["points"] == state["possible"], state
    shown = student.get(_lesson_url(spec["lesson"])).text
    assert f"of {state['possible']:g} points" in shown


def test_the_student_downloads_the_nbgrader_assignments_notebook(student):
    lesson = student.get(f"/{REFLECTOMETRY_COURSE['slug']}/{NBGRADER_ASSIGNMENT['lesson']['slug']}/")
    assert lesson.status_code == 200
    link = re.search(r'<a href="(/documents/\d+/[^"]+\.ipynb)">Download the student notebook</a>', lesson.text)
    assert link, "the assignment lesson links no student notebook"
    notebook = student.get(link.group(1))
    assert notebook.status_code == 200 and "attachment" in notebook.headers["content-disposition"]
    cells = json.loads(notebook.text)["cells"]
    sources = "\n".join("".join(cell["source"]) for cell in cells)
    assert "def momentum_transfer" in sources and "BEGIN SOLUTION" not in sources and "HIDDEN TESTS" not in sources


def test_the_statements_reach_the_store_and_ralph_accepts_every_one(demo_url, demo_dir):
    secrets = json.loads((Path(demo_dir) / "var" / "demo-secrets.json").read_text())
    password = secrets["PANLEARN_TRACKING_STORE_PASSWORD"]
    headers = {"X-Experience-API-Version": "1.0.3"}
    with httpx.Client(base_url=demo_url, auth=("panlearn", password), headers=headers, timeout=30) as store:
        deadline = time.monotonic() + DELIVERY_TIMEOUT_S
        while True:
            statements, url = [], "/xapi/statements?limit=200"
            while url:
                page = store.get(url)
                assert page.status_code == 200, page.text
                statements += page.json()["statements"]
                url = page.json().get("more") or ""
            verbs = {statement["verb"]["id"].rsplit("/", 1)[-1] for statement in statements}
            if {"scored", "passed"} <= verbs or time.monotonic() > deadline:
                break
            time.sleep(1)
    assert {"registered", "answered", "scored", "passed"} <= verbs, verbs
    for statement in statements:
        BaseXapiStatement.model_validate(statement)
