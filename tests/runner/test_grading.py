"""Grading mode: code and tests in a fresh sandbox, structured per-test results."""

import concurrent.futures
import contextlib
import os
import time

import pytest

from tests.runner.conftest import assert_no_sandbox_runs_as_root, descendants


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


# -- tests run apart from the student's code, which they see only as data -----------------------------


def grade_one(runner, code: str, body: str, **extra) -> dict:
    result = runner.grade(code=code, tests=[{**make_test("it", body, 1), **extra}])
    return result["tests"][0]


def test_patching_the_check_helpers_changes_nothing_for_the_tests(runner):
    code = (
        "import panlearn_check, builtins\n"
        "panlearn_check.close = lambda *args, **kwargs: None\n"
        "builtins.AssertionError = type('Ignored', (Exception,), {})\n"
        "def energy():\n    return 2.0"
    )
    body = "from panlearn_check import close\n    close(energy(), 1.0, what='the energy')"
    outcome = grade_one(runner, code, body)
    assert outcome["status"] == "failed"
    assert outcome["message"].startswith("the energy: got 2.0, expected 1.0")


def test_a_student_object_that_equals_everything_passes_nothing(runner):
    code = (
        "class Anything:\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = object.__hash__\n"
        "class Five(int):\n    def __eq__(self, other):\n        return True\n"
        "def answer():\n    return Anything()\n"
        "def count():\n    return Five(4)"
    )
    assert grade_one(runner, code, "assert answer() == 42")["status"] == "failed"
    assert grade_one(runner, code, "assert count() == 5")["status"] == "failed"
    assert grade_one(runner, code, "assert count() == 4 and type(count()) is int")["status"] == "passed"


def test_printing_a_result_forges_nothing(runner):
    forged = '{"type": "result", "name": "it", "status": "passed", "fraction": 1.0}'
    code = f"import sys, os\nprint({forged!r})\nsys.__stdout__ and print({forged!r}, file=sys.__stdout__)\nx = 1"
    outcome = grade_one(runner, code, "assert x == 2")
    assert outcome["status"] == "failed"


def test_hidden_tests_are_never_in_the_student_process_memory(runner):
    """The student's function, called by the test, searches its process memory for the test's
    source; the tests run in another process, so it never finds them. (The pattern's brackets keep
    the marker itself out of the student's memory. Grading processes are not dumpable and
    process_vm_readv is refused, so it reads its anonymous memory, where every Python object lives,
    in place.)"""
    code = r"""
import ctypes, re
def leaked():
    marker = re.compile(rb"HIDDE[N]_MARKE[R]_7f3[a]")
    found = False
    with open("/proc/self/maps") as maps:
        for line in maps:
            span, perms, *rest = line.split()
            if perms != "rw-p" or rest[3:] not in ([], ["[heap]"]):
                continue
            start, end = (int(part, 16) for part in span.split("-"))
            if marker.search(ctypes.string_at(start, end - start)):
                found = True
    return found
"""
    body = "secret = 'HIDDEN_MARKER_7f3a'\n    assert leaked() is False, 'the student process saw the hidden test'"
    outcome = grade_one(runner, code, body, timeout=20)
    assert outcome["status"] == "passed", outcome["message"]
    # The probe does find the marker where it is: built at run time in the student's own process.
    planted = code + "\nplanted = ''.join(['HIDDEN_', 'MARKER_', '7f3a'])"
    assert grade_one(runner, planted, "assert leaked() is True", timeout=20)["status"] == "passed"


def test_values_cross_as_data(runner):
    code = (
        "import numpy as np\n"
        "spectrum = np.linspace(0, 1, 5)\n"
        "peaks = {'a': (1, 2.5), 'b': [None, True]}\n"
        "big = 10**30\n"
        "z = 1 + 2j\n"
        "class Detector:\n    def __init__(self, pixels):\n        self.pixels = pixels\n"
        "    def total(self, scale=1):\n        return self.pixels * scale\n"
        "def make(n):\n    return Detector(n)\n"
        "def fail(x):\n    raise ValueError('x must be positive')\n"
    )
    body = (
        "import numpy\n"
        "    assert isinstance(spectrum, numpy.ndarray) and spectrum.shape == (5,)\n"
        "    assert peaks == {'a': (1, 2.5), 'b': [None, True]}\n"
        "    assert big == 10**30 and z == 1 + 2j\n"
        "    detector = make(7)\n"
        "    assert detector.pixels == 7 and detector.total(scale=3) == 21\n"
        "    assert 'Detector' in repr(detector)\n"
        "    try:\n        fail(-1)\n    except ValueError as error:\n        assert 'positive' in str(error)\n"
        "    else:\n        raise AssertionError('no ValueError')\n"
        "    assert np.sum(np.array([1, 2])) == 3"
    )
    outcome = grade_one(runner, code, body)
    assert outcome["status"] == "passed", outcome["message"]


def test_a_student_function_that_hangs_times_out_that_test_only(runner):
    code = (
        "import signal\n"
        "def stuck():\n    while True:\n        pass\n"
        "def deaf():\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    while True:\n        pass\n"
        "def fine():\n    return 1"
    )
    tests = [
        {**make_test("stuck", "stuck()", 1), "timeout": 0.5},
        make_test("after_interrupt", "assert fine() == 1", 1),
        {**make_test("deaf", "deaf()", 1), "timeout": 0.5},
        make_test("after_kill", "assert fine() == 1", 1),
    ]
    result = runner.grade(code=code, tests=tests)
    by_name = outcomes(result)
    assert by_name["stuck"]["status"] == "timeout"
    assert by_name["after_interrupt"]["status"] == "passed"
    assert by_name["deaf"]["status"] == "timeout"
    assert by_name["after_kill"]["status"] == "error"
    assert "stopped responding" in by_name["after_kill"]["message"]


def test_student_output_and_errors_are_kept(runner):
    result = runner.grade(code="print('hello')\n1/0", tests=TESTS[:1])
    assert result["status"] == "completed"
    stream, error = result["student_outputs"]  # the grader captures a print whole (no IOPub between)
    assert stream["text"] == "hello\n"
    assert error["ename"] == "ZeroDivisionError"
    assert "panlearn_grader" not in "".join(error["traceback"])


def test_grades_run_side_by_side(runner):

    codes = [f"def add(a, b):\n    return a + b + {offset}" for offset in (0, 1, 0, 1)]
    with concurrent.futures.ThreadPoolExecutor(4) as executor:
        results = list(executor.map(lambda code: runner.grade(code=code, tests=TESTS[:2]), codes))
    assert [result["points"] for result in results] == [3.0, 0.0, 3.0, 0.0]


def test_a_submission_cannot_write_host_global_settings_in_proc(runner, kernel_host):
    """The grading sandboxes hide /proc/sys as kernels do: probed from the student's code and from a test."""
    from runner.sandbox import WRITABLE_PROC_PROBE

    student = WRITABLE_PROC_PROBE.replace("print(len(found), *found[:5])", "writable = found")
    probe_in_tests = WRITABLE_PROC_PROBE.replace("print(len(found), *found[:5])", "assert found == [], found[:5]")
    tests = [
        make_test("student_side", "assert writable == [], writable[:5]", 1),
        {"name": "tests_side", "source": "def test_tests_side():\n" + "\n".join(
            f"    {line}" for line in probe_in_tests.strip().splitlines()), "function": "test_tests_side", "points": 1},
    ]  # fmt: skip
    result = runner.grade(code=student, tests=tests)
    by_name = outcomes(result)
    assert by_name["student_side"]["status"] == "passed", by_name["student_side"]
    assert by_name["tests_side"]["status"] == "passed", by_name["tests_side"]
    assert_no_sandbox_runs_as_root(kernel_host)  # the grading parents, whose forks run the submissions


# -- who wrote a test's message: feedback shows a student's error a hidden test shares, never a test's own --------


def test_each_message_says_who_wrote_it(runner):
    code = (
        "def stub():\n    raise NotImplementedError()\n"
        "def bomb():\n    blocks = []\n    while True:\n        blocks.append(bytearray(16 << 20))\n"
        "def hang():\n    while True:\n        pass\n"
    )
    tests = [
        make_test("stub", "stub()", 1),
        make_test("missing", "assert energy_mev > 0", 1),
        make_test("bomb", "bomb()", 1),
        {**make_test("hang", "hang()", 1), "timeout": 0.5},
        make_test("asserts", "assert 1 == 2, 'expected 42'", 1),
        make_test(
            "caught", "try:\n        stub()\n    except NotImplementedError:\n        raise ValueError('own')", 1
        ),
    ]
    by_name = outcomes(runner.grade(code=code, tests=tests))
    said = {name: (test["message"], test["raised_by"]) for name, test in by_name.items()}
    assert said["stub"] == ("NotImplementedError: ", "student")
    assert said["missing"] == ("NameError: name 'energy_mev' is not defined", "student")
    assert said["bomb"] == (
        "MemoryError: your code used more than 256 MiB of memory, so this test was stopped.",
        "runner",
    )
    assert said["hang"] == ("This test took longer than 0.5s.", "runner")
    assert said["asserts"] == ("expected 42", "")
    assert said["caught"] == ("ValueError: own", "")  # the test's own error, not the student's


def test_limits_that_stop_every_test_are_the_runners_words(runner):
    result = runner.grade(code="while True: pass", tests=TESTS[:2])
    assert {test["raised_by"] for test in result["tests"]} == {"runner"}


# -- the forking parent is out of its children's reach ------------------------------------------------------------

# Every other process the job can find in /proc: the forking parents, the other jobs, their keepers.
OTHERS = """
import os

own = int(os.readlink("/proc/self"))  # the sandbox's number for this process: getpid() says 1 here
others = [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and int(entry) not in (1, own)]
"""

TAMPER_PARENT = (
    OTHERS
    + """
import sys

target = sys.argv[-1].encode()  # inherited from the forking parent: its preload list
opened, refused = [], 0
for pid in others:
    try:
        memory = open(f"/proc/{pid}/mem", "r+b", 0)
    except OSError:
        refused += 1
        continue
    opened.append(pid)
    with open(f"/proc/{pid}/maps") as maps, memory:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("rw"):
                continue
            start, end = (int(value, 16) for value in span.split("-"))
            try:
                memory.seek(start)
                data = memory.read(end - start)
            except OSError:
                continue
            at = data.find(target)
            while at >= 0:
                memory.seek(start + at)
                memory.write(target.upper())
                at = data.find(target, at + 1)
"""
)


def test_a_submission_cannot_rewrite_the_forking_parent(runner):
    """A student's process opened its forking parent's memory and rewrote it, so the next, separate submission
    ran with what it wrote (review of 2026-12-04). The job's /proc is its own namespace's, where the parent does
    not exist, and the parent is not dumpable besides: its memory, and every other grading process's, is out of
    reach."""
    first = runner.grade(
        code=TAMPER_PARENT, tests=[make_test("refused", "assert opened == others == [], (opened, others)", 1)]
    )
    assert outcomes(first)["refused"]["status"] == "passed", outcomes(first)["refused"]["message"]
    second = runner.grade(code="import sys\npreload = sys.argv[-1]",
                          tests=[make_test("intact", "assert preload == preload.lower(), preload", 1)])  # fmt: skip
    assert outcomes(second)["intact"]["status"] == "passed", outcomes(second)["intact"]


STOP_EVERYONE = (
    OTHERS
    + """
import signal

refused = sent = 0
for target in (*others, os.getppid() or -1, -1):
    try:
        os.kill(target, signal.SIGSTOP)
        sent += 1
    except (PermissionError, ProcessLookupError):
        refused += 1
in_own_namespace = (os.getpid(), os.getppid())
"""
)


def grade_victim_then_attacker(runner, victim, attacker, *, head_start: float):
    """Grade `victim` and, `head_start` seconds into it, `attacker`, side by side; each is (code, tests).
    Returns (attacker's result, victim's result)."""
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        victim_run = executor.submit(runner.grade, code=victim[0], tests=victim[1])
        time.sleep(head_start)
        attacker_run = executor.submit(runner.grade, code=attacker[0], tests=attacker[1])
        return attacker_run.result(), victim_run.result()


def test_a_submission_cannot_stop_a_neighbour_or_the_parent(runner):
    """Two grades at once: one sends SIGSTOP to every process it can find, its parent and -1; the other, a second
    into its own run, still completes with its full score, and a grade after both takes its usual time.
    The attacker is pid 1 of a pid namespace of its own, where its parent does not exist."""

    victim_code = "import time\ntime.sleep(1.5)\ndef add(a, b):\n    return a + b"
    attacker_tests = [
        make_test("refused", "assert others == [] and sent == 0 and refused == 2, (others, sent, refused)", 1),
        make_test("own_namespace", "assert in_own_namespace == (1, 0), in_own_namespace", 1),
    ]
    attacked, victim_result = grade_victim_then_attacker(
        runner, (victim_code, TESTS[:2]), (STOP_EVERYONE, attacker_tests), head_start=0.5
    )
    for name in ("refused", "own_namespace"):
        assert outcomes(attacked)[name]["status"] == "passed", outcomes(attacked)[name]["message"]
    assert victim_result["status"] == "completed" and victim_result["points"] == 3.0, victim_result
    started = time.monotonic()
    after = runner.grade(code="def add(a, b):\n    return a + b", tests=TESTS[:2])
    assert after["points"] == 3.0 and time.monotonic() - started < 5


LIST_PROCESSES = (
    OTHERS
    + """
import time

seen = set()
for _ in range(20):  # over a second, while the neighbour runs
    seen.update(int(entry) for entry in os.listdir("/proc") if entry.isdigit())
    time.sleep(0.05)
host_details = {}
for path in ("/proc/cmdline", "/proc/loadavg", "/proc/sys/kernel/random/boot_id"):
    try:
        host_details[path] = open(path).read()
    except OSError as error:
        host_details[path] = type(error).__name__
"""
)


def test_a_grade_sees_only_its_own_processes(runner):
    """A submission listed a neighbour's pid and the parents' through the sandbox's /proc (review of
    2026-12-04). Each job has a procfs of its own pid namespace: while a neighbour runs, /proc lists the job's
    own process alone, and the host's boot line, load and boot id stay hidden as in every sandbox."""
    victim_code = "import time\ntime.sleep(1.5)\ndef add(a, b):\n    return a + b"
    attacker_tests = [
        make_test("alone", "assert seen == {1} and own == 1, (seen, own)", 1),
        make_test("hidden", "assert host_details == {'/proc/cmdline': '', '/proc/loadavg': '', "
                            "'/proc/sys/kernel/random/boot_id': 'FileNotFoundError'}, host_details", 1),
    ]  # fmt: skip
    attacked, victim_result = grade_victim_then_attacker(
        runner, (victim_code, TESTS[:2]), (LIST_PROCESSES, attacker_tests), head_start=0.3
    )
    for name in ("alone", "hidden"):
        assert outcomes(attacked)[name]["status"] == "passed", outcomes(attacked)[name]["message"]
    assert victim_result["status"] == "completed" and victim_result["points"] == 3.0, victim_result


CAPABILITIES = (
    "capabilities = {line.split(':')[0]: int(line.split()[1], 16) for line in open('/proc/self/status')\n"
    "                if line.startswith('Cap')}\n"
)


def test_a_grade_holds_no_capability_not_even_in_its_bounding_set(runner):
    """The grading parent holds CAP_SYS_ADMIN (and CAP_SETPCAP) for its jobs' namespaces. A job drops both from
    every set, the bounding set included (review of 2026-12-05: CAP_SYS_ADMIN stayed there, so only
    NO_NEW_PRIVS kept an executed file from regaining it). Checked in the student's code and in the tests."""
    expected = "{'CapInh': 0, 'CapPrm': 0, 'CapEff': 0, 'CapBnd': 0, 'CapAmb': 0}"
    result = runner.grade(
        code=CAPABILITIES + "def add(a, b):\n    return a + b",
        tests=[
            make_test("student_side", f"assert capabilities == {expected}, capabilities", 1),
            {"name": "tests_side", "function": "test_tests_side", "points": 1, "source": (
                "def test_tests_side():\n"
                "    lines = [line.split() for line in open('/proc/self/status') if line.startswith('Cap')]\n"
                "    status = {name.rstrip(':'): int(value, 16) for name, value in lines}\n"
                f"    assert status == {expected}, status"
            )},
        ],
    )  # fmt: skip
    assert result["status"] == "completed", result
    for name in ("student_side", "tests_side"):
        assert outcomes(result)[name]["status"] == "passed", outcomes(result)[name]["message"]


PLACES = "import os\nplaces = ('/tmp', '/dev/shm', os.path.expanduser('~'))\n"


def test_concurrent_grades_have_private_tmp_shm_and_home(runner):
    """Two grades at once (review of 2026-12-04: one read the other's /tmp, and filling the shared home made
    the other's writes fail). The victim writes its files, waits, then writes more and reads its own back;
    meanwhile the attacker looks for them and fills every place it can write. The victim keeps its score."""

    victim_code = PLACES + (
        "import time\n"
        "for place in places:\n    open(os.path.join(place, 'victim.txt'), 'w').write('my answers')\n"
        "time.sleep(2.0)\n"
        "for place in places:\n    open(os.path.join(place, 'later.bin'), 'wb').write(bytes(1 << 20))\n"
        "mine = [open(os.path.join(place, 'victim.txt')).read() for place in places]\n"
    )
    victim_tests = [make_test("kept", "assert mine == ['my answers'] * 3, mine", 2)]
    attacker_code = PLACES + (
        # Not the directories on the way to a virtualenv below /tmp, which each job binds back read-only
        "import sys\n"
        "bound = {path[len(place) + 1 :].split('/')[0] for path in (sys.prefix, sys.base_prefix)\n"
        "         for place in places if path.startswith(place + '/')}\n"
        "seen = sorted(name for place in places for name in os.listdir(place) if name not in bound)\n"
        "filled = []\n"
        "for place in places:\n"
        "    try:\n"
        "        with open(os.path.join(place, 'fill'), 'wb') as sink:\n"
        "            while True:\n                sink.write(bytes(1 << 20))\n"
        "    except OSError as error:\n        filled.append(error.errno)\n"
    )
    attacker_tests = [
        make_test("sees_nothing", "assert seen == [], seen", 1),
        make_test("filled_its_own", "import errno\n    assert filled == [errno.ENOSPC] * 3, filled", 1),
    ]
    attacked, victim_result = grade_victim_then_attacker(
        runner, (victim_code, victim_tests), (attacker_code, attacker_tests), head_start=0.7
    )
    for name in ("sees_nothing", "filled_its_own"):
        assert outcomes(attacked)[name]["status"] == "passed", outcomes(attacked)[name]["message"]
    assert victim_result["status"] == "completed" and victim_result["points"] == 2.0, victim_result


def test_a_stopped_grading_parent_is_replaced(runner, kernel_host):
    """However a parent comes to stop (the host's operator, a bug), the grade waiting on it is graded on a new
    parent, and the grades after it do not wait for the stopped one again."""
    import os
    import signal

    code = "def add(a, b):\n    return a + b"
    assert runner.grade(code=code, tests=TESTS[:2])["points"] == 3.0  # the pair for no datasets is up

    def grader_parents() -> list[int]:
        found = []
        for pid in descendants(kernel_host.process.pid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    argv = cmdline.read().split(b"\0")
            except OSError:
                continue
            if any(arg.endswith(b"panlearn_grader.py") for arg in argv) and b"student" in argv:
                found.append(pid)
        return found

    stopped = []
    for pid in grader_parents():
        with contextlib.suppress(ProcessLookupError):  # the last grade's fork, exiting
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
    assert stopped, "no student grading parent found under the kernel host"
    try:
        first = runner.grade(code=code, tests=TESTS[:2])
        assert first["status"] == "completed" and first["points"] == 3.0, first
        started = time.monotonic()
        second = runner.grade(code=code, tests=TESTS[:2])
        assert second["points"] == 3.0 and time.monotonic() - started < 5  # no second wait on the stopped one
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def test_files_a_grade_leaves_are_gone_before_the_next_one(runner):
    """What one submission wrote to /tmp, /dev/shm and the home directory was read by the next (review of
    2026-12-04). Each job now mounts its own, which vanish with it."""
    leave = (
        "import os\n"
        "for path in ('/tmp/left.txt', '/dev/shm/left', os.path.expanduser('~/left.txt')):\n"
        "    open(path, 'w').write('answers of the previous student')\n"
        "os.makedirs('/tmp/left-dir/sub', exist_ok=True)\n"
    )
    first = runner.grade(code=leave, tests=[make_test("ran", "assert True", 1)])
    assert first["status"] == "completed"
    look = (
        "import os\n"
        "found = [p for p in ('/tmp/left.txt', '/dev/shm/left', os.path.expanduser('~/left.txt'), '/tmp/left-dir')"
        " if os.path.exists(p)]\n"
    )
    second = runner.grade(code=look, tests=[make_test("clean", "assert found == [], found", 1)])
    assert outcomes(second)["clean"]["status"] == "passed", outcomes(second)["clean"]["message"]


def test_concurrent_grades_share_no_sockets_nor_ipc(runner):
    """Review of 2026-12-05: jobs still shared abstract unix sockets, loopback ports and System V IPC. The
    victim listens on an abstract socket and a loopback port and makes a shared-memory segment, then waits;
    the attacker, meanwhile, finds none of them. The victim keeps its score."""

    victim_code = (
        "import ctypes, socket, time\n"
        "listener = socket.socket(socket.AF_UNIX)\nlistener.bind('\\0panlearn-victim')\nlistener.listen()\n"
        "port = socket.socket()\nport.bind(('127.0.0.1', 47999))\nport.listen()\n"
        "segment = ctypes.CDLL(None).shmget(4242, 4096, 0o1600)\n"
        "time.sleep(2.0)\n"
    )
    victim_tests = [make_test("set_up", "assert segment >= 0", 1)]
    attacker_code = (
        "import ctypes, socket\nfound = []\n"
        "for address, family in (('\\0panlearn-victim', socket.AF_UNIX), (('127.0.0.1', 47999), socket.AF_INET)):\n"
        "    probe = socket.socket(family)\n"
        "    try:\n        probe.connect(address)\n        found.append(address)\n"
        "    except OSError:\n        pass\n"
        "if ctypes.CDLL(None).shmget(4242, 0, 0) >= 0:\n    found.append('shm')\n"
    )
    attacked, victim_result = grade_victim_then_attacker(
        runner,
        (victim_code, victim_tests),
        (attacker_code, [make_test("nothing", "assert found == [], found", 1)]),
        head_start=0.8,
    )
    assert outcomes(attacked)["nothing"]["status"] == "passed", outcomes(attacked)["nothing"]["message"]
    assert victim_result["points"] == 1.0, victim_result


# -- a host uid of its own per grading job (security issue 16) ---------------------------------------------------

OWN_IDS = (
    "import os, time\n"
    "ids = {line.split(':')[0]: line.split()[1:] for line in open('/proc/self/status')"
    " if line.startswith(('Uid:', 'Gid:'))}\n"
    "mine = os.getuid()\n"
    "went_back = []\n"
    "for name, call in (('setuid 0', lambda: os.setuid(0)), ('setresuid 0', lambda: os.setresuid(0, 0, 0)),\n"
    "                   ('setuid other', lambda: os.setuid(mine % 50 + 1)), ('setgid 0', lambda: os.setgid(0)),\n"
    "                   ('setgroups 0', lambda: os.setgroups([0]))):\n"
    "    try:\n        call()\n    except PermissionError:\n        continue\n"
    "    if os.getresuid() != (mine,) * 3 or os.getgroups():\n        went_back.append(name)\n"
    "print('uid', mine)\n"
    "time.sleep(1.5)\n"
)


def _job_host_uids(host_pid: int) -> dict[int, set[int]]:
    """The host uids of every grading job's code below the host: sandboxed processes of a grading parent's that
    have no child (the parent has its keepers, a keeper its job), by runner.sandbox.host_uids."""
    from runner.sandbox import host_uids
    from tests.runner.conftest import code_running_host_uids

    found = {}
    for pid in code_running_host_uids(host_pid):
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as children:
                if children.read().split():
                    continue
        except OSError:
            continue
        uids = host_uids(pid)
        if uids:
            found[pid] = uids
    return found


@pytest.mark.skipif(os.geteuid() != 0, reason="a root host maps a range of job uids (PANLEARN_RUNNER_JOB_UIDS)")
def test_concurrent_grades_run_as_host_uids_of_their_own(runner, kernel_host):
    """Security issue 16: every grading job ran as the one sandbox uid, so per-uid accounting was shared. Two
    grades at once: each student's code runs as a uid no other job has, neither 0 nor the sandbox's host uid, seen
    inside (/proc/self/status) and from the host (runner.sandbox.host_uids), and cannot set any other uid again."""
    from runner.job_ids import DEFAULT_JOB_IDS
    from runner.sandbox import sandbox_host_uid

    start, count = map(int, DEFAULT_JOB_IDS.split(":"))
    tests = [
        make_test("own_uid", "assert ids['Uid'] == [str(mine)] * 4 and mine != 0, ids", 1),
        make_test("own_gid", "assert ids['Gid'] == [str(mine)] * 4, ids", 1),
        make_test("no_way_back", "assert went_back == [], went_back", 1),
    ]
    seen: dict[int, set[int]] = {}
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        runs = [executor.submit(runner.grade, code=OWN_IDS, tests=tests) for _ in range(2)]
        deadline = time.monotonic() + 1.2
        while time.monotonic() < deadline:  # while both students' code sleeps
            seen.update(_job_host_uids(kernel_host.process.pid))
            time.sleep(0.05)
        results = [run.result() for run in runs]
    inside = []
    for result in results:
        for name in ("own_uid", "own_gid", "no_way_back"):
            assert outcomes(result)[name]["status"] == "passed", outcomes(result)[name]["message"]
        inside.append(int(result["student_outputs"][0]["text"].split()[1]))
    assert inside[0] != inside[1] and 0 not in inside, inside
    host_side = {uid for uids in seen.values() for uid in uids}
    in_range = {uid for uid in host_side if start <= uid < start + count}
    assert len(in_range) >= 2, f"two student jobs at once, with host uids of their own: {seen}"
    assert 0 not in host_side and sandbox_host_uid() not in in_range, seen
    assert all(len(uids) == 1 for uids in seen.values()), f"a job's processes hold one uid each: {seen}"


PIPE_SIZE = "import fcntl\nF_GETPIPE_SZ, F_SETPIPE_SZ = 1032, 1031\n"


def test_a_grade_that_uses_up_its_pipe_buffers_leaves_a_neighbours_alone(runner):
    """Linux counts pipe buffers per uid: past pipe-user-pages-soft (16384 pages), an unprivileged user's new pipes
    get two pages. A grade grows pipes to 1 MiB until Linux refuses, then opens pipes until a new one is that small,
    and keeps them all; a concurrent grade, meanwhile,
    opens a pipe and still gets the full 64 KiB, and keeps its full score. With one uid for every job, the victim's
    pipe shrank to 8 KiB."""
    victim_code = PIPE_SIZE + (
        "import os, time\ntime.sleep(1.5)\n"
        "reading, writing = os.pipe()\nvictim_size = fcntl.fcntl(writing, F_GETPIPE_SZ)\n"
    )
    victim_tests = [make_test("full_pipe", "assert victim_size == 65536, victim_size", 2)]
    attacker_code = PIPE_SIZE + (
        "import os, time\nkept, refused = [], None\n"
        "for _ in range(400):\n"
        "    reading, writing = os.pipe()\n    kept.append((reading, writing))\n"
        "    try:\n        fcntl.fcntl(writing, F_SETPIPE_SZ, 1 << 20)\n"
        "    except PermissionError:\n        refused = len(kept)\n        break\n"
        "shrunk = None\n"
        "for _ in range(40):  # then pipes of the default size, up to the limit itself\n"
        "    reading, writing = os.pipe()\n    kept.append((reading, writing))\n"
        "    if fcntl.fcntl(writing, F_GETPIPE_SZ) < 65536:\n        shrunk = fcntl.fcntl(writing, F_GETPIPE_SZ)\n"
        "        break\n"
        "time.sleep(2.5)\n"
    )
    attacker_tests = [make_test("used_up", "assert refused and shrunk, (refused, shrunk, len(kept))", 1)]
    attacked, victim_result = grade_victim_then_attacker(
        runner, (victim_code, victim_tests), (attacker_code, attacker_tests), head_start=0.2
    )
    assert outcomes(attacked)["used_up"]["status"] == "passed", outcomes(attacked)["used_up"]["message"]
    assert victim_result["status"] == "completed" and victim_result["points"] == 2.0, victim_result


INOTIFY_AND_MQUEUE = (
    "import ctypes, errno, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "def refused(result):\n    return result < 0 and ctypes.get_errno() == errno.EPERM\n"
    "inotify = refused(libc.inotify_init1(0))\n"
    "libc.mq_open.restype = ctypes.c_int\n"
    "mqueue = refused(libc.mq_open(b'/panlearn-probe', os.O_CREAT | os.O_RDWR, 0o600, None))\n"
)


def test_a_grade_may_not_take_inotify_or_message_queues(runner):
    """Linux counts inotify instances (128 per user) and POSIX message queues up the user-namespace chain,
    against the uid that made every sandbox's namespace, whatever a job's own uid: one grade that took them
    all left a concurrent grade (and every kernel) with none (review of 2026-12-06). A grade needs neither:
    its filter refuses both."""
    tests = [make_test("refused", "assert inotify and mqueue, (inotify, mqueue)", 1)]
    result = runner.grade(code=INOTIFY_AND_MQUEUE, tests=tests)
    assert outcomes(result)["refused"]["status"] == "passed", outcomes(result)["refused"]["message"]
