"""Grading mode: code and tests in a fresh sandbox, structured per-test results."""

import pytest


def make_test(name: str, body: str, points: float) -> dict:
    return {"name": name, "source": f"def test_{name}():\n    {body}", "function": f"test_{name}", "points": points}


TESTS = [
    make_test("adds", "assert add(1, 2) == 3, 'add(1, 2) should be 3'", 2),
    make_test("negative", "assert add(-1, -1) == -2", 1),
    make_test("partial", "return 0.5 if add(0, 0) == 0 else 0", 2),
    make_test("prints", "print('checking')\n    assert add(2, 2) == 4", 1),
    make_test("hidden", "assert add(10**20, 1) == 10**20 + 1", 4),
]


def outcomes(result) -> dict:
    return {test["name"]: test for test in result["tests"]}


def test_correct_code_scores_per_test_points(runner):
    result = runner.grade(code="def add(a, b):\n    return a + b", tests=TESTS)
    assert result["status"] == "completed"
    by_name = outcomes(result)
    assert by_name["adds"]["status"] == "passed"
    assert by_name["partial"]["status"] == "partial"
    assert by_name["partial"]["points"] == 1.0
    assert by_name["prints"]["output"] == "checking\n"
    assert (result["points"], result["points_possible"]) == (9.0, 10.0)


def test_wrong_code_fails_with_messages(runner):
    result = runner.grade(code="def add(a, b):\n    return a - b", tests=TESTS)
    by_name = outcomes(result)
    assert by_name["adds"]["status"] == "failed"
    assert by_name["adds"]["message"] == "add(1, 2) should be 3"
    assert by_name["negative"]["status"] == "failed"
    assert result["points"] == 1.0  # only the partial test's half of 2 points: add(0, 0) == 0 still holds


def test_missing_function_is_an_error_not_a_crash(runner):
    result = runner.grade(code="x = 1", tests=TESTS[:1])
    assert result["tests"][0]["status"] == "error"
    assert "NameError" in result["tests"][0]["message"]


def test_student_code_timeout_runs_no_test(runner):
    result = runner.grade(code="while True: pass", tests=TESTS[:2])
    assert result["status"] == "timeout"
    assert "timeout" in result["limits_hit"]
    assert [test["status"] for test in result["tests"]] == ["not_run", "not_run"]
    assert result["points"] == 0


def test_a_slow_test_times_out_alone(runner):
    slow = {"name": "slow", "source": "def test_slow():\n    while True: pass", "function": "test_slow", "timeout": 0.5}
    result = runner.grade(code="def add(a, b):\n    return a + b", tests=[slow, TESTS[0]])
    by_name = outcomes(result)
    assert by_name["slow"]["status"] == "timeout"
    assert by_name["adds"]["status"] == "passed"


def test_memory_bomb_is_reported_as_a_limit(runner):
    result = runner.grade(code="blocks = []\nwhile True: blocks.append(bytearray(16 << 20))", tests=TESTS[:1])
    assert result["status"] == "died"
    assert "memory" in result["limits_hit"]
    assert "MiB of memory" in result["message"]


def test_student_code_cannot_see_tests_before_they_run(runner):
    snoop = "import gc\nseen = [o for o in gc.get_objects() if isinstance(o, str) and 'test_hidden' in o]\n"
    code = snoop + "def add(a, b):\n    return a + b if not seen else 0"
    result = runner.grade(code=code, tests=TESTS)
    assert outcomes(result)["hidden"]["status"] == "passed"


def test_grading_never_uses_a_live_session(runner, session):
    session_id, user = session
    runner.execute(session_id, user=user, code="def add(a, b):\n    return 42")
    result = runner.grade(code="def add(a, b):\n    return a + b", tests=TESTS[:1])
    assert outcomes(result)["adds"]["status"] == "passed"


@pytest.mark.parametrize("tests", [[], "not a list", [{"name": "x"}]])
def test_malformed_grading_requests_are_rejected(runner, tests):
    from runner.exceptions import RunnerError

    with pytest.raises(RunnerError):
        runner.grade(code="1", tests=tests)
