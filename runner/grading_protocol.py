"""Grading results, shared by both backends, and the in-kernel harness of the gateway backend.

The kernel host grades with forked processes and keeps the tests apart from the student's code
(`grading_parents.py`). A Jupyter Kernel Gateway offers no such parent, so there the student's code runs
first as its own cell and only then are the tests sent, as a second cell: nothing the student's
code does can read a hidden test before it runs, but code that patches the interpreter can still
interfere with the tests after it. Each test is the source of one function; it passes by
returning None or True, earns partial credit by returning a fraction in [0, 1], fails by raising
AssertionError and errors on any other exception. Results come back as one display_data bundle of
our own mime type, tagged with a nonce the student never sees.
"""

import json
import math
import secrets
from dataclasses import dataclass, field

RESULT_MIME = "application/vnd.panlearn.grading+json"
MAX_TESTS = 200

HARNESS = r"""
def __panlearn_run_tests(__tests, __nonce):
    import json as _json, signal as _signal, time as _time, traceback as _traceback, io as _io, contextlib as _cl
    from IPython.display import display as _display

    class _TestTimeout(BaseException):
        pass

    def _alarm(signum, frame):
        raise _TestTimeout()

    _signal.signal(_signal.SIGALRM, _alarm)
    results = []
    namespace = get_ipython().user_ns
    for test in __tests:
        started = _time.monotonic()
        captured = _io.StringIO()
        entry = {"name": test["name"], "status": "passed", "fraction": 1.0, "message": "", "output": ""}
        try:
            scope = dict(namespace)
            exec(compile(test["source"], "<test " + test["name"] + ">", "exec"), scope)
            function = scope[test["function"]]
            _signal.setitimer(_signal.ITIMER_REAL, float(test["timeout"]))
            try:
                with _cl.redirect_stdout(captured), _cl.redirect_stderr(captured):
                    value = function()
            finally:
                _signal.setitimer(_signal.ITIMER_REAL, 0)
            if value is False:
                entry.update(status="failed", fraction=0.0)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                fraction = max(0.0, min(1.0, float(value)))
                entry.update(fraction=fraction, status="passed" if fraction >= 1.0 else "partial")
        except _TestTimeout:
            entry.update(status="timeout", fraction=0.0, message="This test took longer than %gs." % test["timeout"],
                         raised_by="runner")
        except AssertionError as error:
            entry.update(status="failed", fraction=0.0, message=str(error)[:2000])
        except BaseException as error:
            entry.update(status="error", fraction=0.0, message=("%s: %s" % (type(error).__name__, error))[:2000])
        entry["output"] = captured.getvalue()[-4000:]
        entry["duration_ms"] = round((_time.monotonic() - started) * 1000, 2)
        results.append(entry)
    _display({"%(mime)s": {"nonce": __nonce, "results": results}}, raw=True)
""".replace("%(mime)s", RESULT_MIME)


@dataclass(frozen=True)
class GradingTest:
    name: str
    source: str
    function: str
    points: float = 1.0
    timeout: float = 5.0


@dataclass
class TestOutcome:
    name: str
    status: str  # passed, partial, failed, error, timeout, not_run
    points: float
    points_possible: float
    message: str = ""
    output: str = ""
    duration_ms: float = 0.0
    # Who wrote `message`: "student" (the student's code raised it), "runner" (a limit, in our words) or
    # "" (the test itself). Feedback decides by it what of a hidden test's message is a secret.
    raised_by: str = ""


@dataclass
class GradingResult:
    status: str  # "completed", "timeout", "died", "error"
    tests: list[TestOutcome] = field(default_factory=list)
    student_outputs: list[dict] = field(default_factory=list)
    limits_hit: list[str] = field(default_factory=list)
    message: str = ""
    duration_ms: float = 0.0

    @property
    def points(self) -> float:
        return round(sum(test.points for test in self.tests), 6)

    @property
    def points_possible(self) -> float:
        return round(sum(test.points_possible for test in self.tests), 6)


def harness_cell(tests: list[GradingTest], nonce: str) -> str:
    payload = [
        {"name": test.name, "source": test.source, "function": test.function, "timeout": test.timeout} for test in tests
    ]
    return f"{HARNESS}\n__panlearn_run_tests(__import__('json').loads({json.dumps(payload)!r}), {nonce!r})\n"


def new_nonce() -> str:
    return secrets.token_hex(16)


def parse_results(outputs: list[dict], tests: list[GradingTest], nonce: str) -> list[TestOutcome] | None:
    """The outcomes reported under our nonce, matched to the requested tests; None if absent."""
    for output in outputs:
        bundle = output.get("data", {}).get(RESULT_MIME) if output.get("output_type") == "display_data" else None
        if not isinstance(bundle, dict) or bundle.get("nonce") != nonce:
            continue
        reported = {entry.get("name"): entry for entry in bundle.get("results", []) if isinstance(entry, dict)}
        outcomes = []
        for test in tests:
            entry = reported.get(test.name)
            if entry is None:
                outcomes.append(TestOutcome(test.name, "not_run", 0.0, test.points))
                continue
            outcomes.append(outcome_of(test, entry))
        return outcomes
    return None


def outcome_of(test: GradingTest, entry: dict) -> TestOutcome:
    """A test's outcome as the tests process reported it (untrusted: credit capped to the test's points,
    texts cut short)."""
    fraction = _fraction(entry.get("fraction", 0.0))
    return TestOutcome(
        name=test.name,
        status=str(entry.get("status", "error")),
        points=round(test.points * fraction, 6),
        points_possible=test.points,
        message=str(entry.get("message", ""))[:2000],
        output=str(entry.get("output", ""))[:4000],
        duration_ms=float(entry.get("duration_ms", 0.0)),
        raised_by=raised_by_of(entry),
    )


def _fraction(value) -> float:
    """The share of a test's points a report claims, in [0, 1]; anything else (NaN, inf, text) earns none."""
    try:
        fraction = float(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, min(1.0, fraction)) if math.isfinite(fraction) else 0.0


def raised_by_of(entry: dict) -> str:
    value = entry.get("raised_by")
    return value if value in ("student", "runner") else ""


def not_run(tests: list[GradingTest], status: str, message: str) -> list[TestOutcome]:
    """Every test stopped by a limit before it ran: the runner's message, which tells nothing of a test."""
    return [TestOutcome(test.name, status, 0.0, test.points, message, raised_by="runner") for test in tests]


def grading_tests_from(raw_tests) -> list[GradingTest]:
    """Validate a request's tests (the host's /v1/grade and the gateway client share this)."""
    if not isinstance(raw_tests, list) or not 0 < len(raw_tests) <= MAX_TESTS:
        raise ValueError(f"tests must be a list of 1 to {MAX_TESTS} tests")
    return [
        GradingTest(
            name=str(item["name"]),
            source=str(item["source"]),
            function=str(item["function"]),
            points=float(item.get("points", 1.0)),
            timeout=min(float(item.get("timeout", 5.0)), 120.0),
        )
        for item in raw_tests
    ]
