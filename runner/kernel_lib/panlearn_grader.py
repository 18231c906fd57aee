"""Grading inside the sandbox: a pre-imported parent that forks one process per job.

The kernel host runs two of these per set of datasets, each in its own bubblewrap sandbox:

- a *student* parent, whose children run one submission's code and then answer questions about
  its values ("what is `result`?", "call `q_from(90, 1.0)`");
- a *tests* parent, whose children run an exercise's tests.

A test sees the student's values only as data (None, bools, numbers, strings, bytes, containers,
numpy arrays) decoded here into plain objects of this process; student functions and other objects
are handles, and calling one runs the call in the student's process and returns data again. So
student code can neither patch a test's interpreter nor forge a result, and the tests never exist
in a process that runs student code.

The host hands each child its own connection: a unix socket passed over the parent's control
socket (SCM_RIGHTS). Job content never passes through a parent, so no child can find another job's
code or tests in the memory it inherited. Uses only the standard library, plus numpy when present.
"""

import array
import base64
import builtins
import contextlib
import ctypes
import io
import json
import math
import os
import resource
import select
import shutil
import signal
import socket
import struct
import sys
import time
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
FRAME = struct.Struct(">I")
MAX_FRAME = 256 << 20
MAX_VALUE_BYTES = 32 << 20  # larger values stay in the student's process, behind a handle
MAX_DEPTH = 40
OUTPUT_LIMIT = 64 * 1024
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4

try:
    import numpy
except ImportError:  # pragma: no cover - numpy is part of the preloaded stack
    numpy = None


# -- framing: 4-byte length, then JSON ---------------------------------------------------------------


def send(sock: socket.socket, message: dict) -> None:
    payload = json.dumps(message, separators=(",", ":")).encode()
    sock.sendall(FRAME.pack(len(payload)) + payload)


def _read_exact(sock: socket.socket, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("the host closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def receive(sock: socket.socket) -> dict:
    (size,) = FRAME.unpack(_read_exact(sock, FRAME.size))
    if size > MAX_FRAME:
        raise EOFError("frame too large")
    return json.loads(_read_exact(sock, size))


# -- values as data --------------------------------------------------------------------------------


class TooLarge(Exception):
    pass


class Encoder:
    """Turns a value into JSON data; what is not data goes to `other` (a handle, or an error)."""

    def __init__(self, other):
        self.other = other
        self.size = 0

    def _count(self, size: int) -> None:
        self.size += size
        if self.size > MAX_VALUE_BYTES:
            raise TooLarge()

    def encode(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise TooLarge()
        kind = type(value)
        if value is None or kind is bool:
            return value
        if kind is int:
            return value if abs(value) < 2**53 else {"$int": str(value)}
        if kind is float:
            return value if math.isfinite(value) else {"$float": repr(value)}
        if kind is str:
            self._count(len(value))
            return value
        if kind is complex:
            return {"$complex": [self.encode(value.real), self.encode(value.imag)]}
        if kind in (bytes, bytearray):
            self._count(len(value))
            return {"$bytes": base64.b64encode(bytes(value)).decode()}
        if kind in (list, tuple, set, frozenset):
            self._count(8 * len(value))
            items = [self.encode(item, depth + 1) for item in value]
            return items if kind is list else {"$" + kind.__name__: items}
        if kind is dict:
            self._count(8 * len(value))
            return {"$dict": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        if numpy is not None and isinstance(value, (numpy.ndarray, numpy.generic)):
            array_value = numpy.asarray(value)
            if array_value.dtype.hasobject:
                return self.other(value)
            self._count(array_value.nbytes)
            buffer = io.BytesIO()
            numpy.save(buffer, array_value, allow_pickle=False)
            tag = "$ndarray" if isinstance(value, numpy.ndarray) else "$npscalar"
            return {tag: base64.b64encode(buffer.getvalue()).decode()}
        # Subclasses of the plain types become the plain type, through the base class's own code,
        # so an overridden __eq__ or __iter__ never reaches a test.
        for base in (bool, int, float, str, complex, tuple, list, dict, set, frozenset, bytes):
            if isinstance(value, base):
                return self.encode(_as_base(value, base), depth)
        return self.other(value)


def _as_base(value, base):
    if base is dict:
        return dict(dict.items(value))
    if base in (tuple, list, set, frozenset):
        return base(base.__iter__(value))
    if base is str:
        return str.__getitem__(value, slice(None))
    if base is bytes:
        return bytes.__getitem__(value, slice(None))
    return {bool: bool.__bool__, int: int.__int__, float: float.__float__, complex: complex.__complex__}[base](value)


def decode(data, handle):
    """JSON data back into plain values; handles (`$handle`, `$ref`) go to `handle`."""
    if isinstance(data, list):
        return [decode(item, handle) for item in data]
    if not isinstance(data, dict):
        return data
    if "$handle" in data or "$ref" in data:
        return handle(data)
    if len(data) != 1:
        raise ValueError("malformed value")
    tag, body = next(iter(data.items()))
    if tag == "$names":  # the reply to `get`: a mapping of the student's names to their values
        return {str(name): decode(value, handle) for name, value in body.items()}
    if tag == "$int":
        return int(body)
    if tag == "$float":
        return float(body)
    if tag == "$complex":
        return complex(decode(body[0], handle), decode(body[1], handle))
    if tag == "$bytes":
        return base64.b64decode(body)
    if tag in ("$tuple", "$set", "$frozenset"):
        return {"$tuple": tuple, "$set": set, "$frozenset": frozenset}[tag](decode(body, handle))
    if tag == "$dict":
        return {_hashable(decode(k, handle)): decode(v, handle) for k, v in body}
    if tag in ("$ndarray", "$npscalar") and numpy is not None:
        value = numpy.load(io.BytesIO(base64.b64decode(body)), allow_pickle=False)
        return value if tag == "$ndarray" else value[()]
    raise ValueError(f"unknown value tag {tag!r}")


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def describe_exception(error: BaseException) -> dict:
    return {"type": type(error).__name__, "message": str(error)[:2000]}


# -- the student's side ----------------------------------------------------------------------------


class CappedText(io.TextIOBase):
    """stdout and stderr of the student's code: kept up to a limit, the rest counted and dropped."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.size, self.dropped = limit, [], 0, 0

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        room = self.limit - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(len(text), room)
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[{self.dropped} more characters of output not shown]\n"
        self.parts, self.size, self.dropped = [], 0, 0
        return text


def _student_traceback(error: BaseException) -> list[str]:
    """The traceback from the student's own code down, without this module's frames."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return traceback.format_exception(type(error), error, tb)


class StudentProcess:
    """Runs the submission, then answers the tests' questions about its namespace."""

    def __init__(self, conn: socket.socket):
        self.conn = conn
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.handles: dict[int, object] = {}
        self.output = CappedText(OUTPUT_LIMIT)
        self.errors = CappedText(OUTPUT_LIMIT)  # apart: some tests fail on stderr output, as nbgrader does

    def handle_for(self, value) -> dict:
        key = id(value)
        self.handles[key] = value
        if isinstance(value, types.ModuleType):
            return {"$handle": key, "$module": value.__name__}
        try:
            text = object.__repr__(value) if isinstance(value, type) else repr(value)
        except BaseException:
            text = object.__repr__(value)
        return {"$handle": key, "type": type(value).__qualname__, "repr": str(text)[:300], "callable": callable(value)}

    def resolve(self, data: dict):
        if "$ref" in data:
            return self.handles[data["$ref"]]
        raise ValueError("tests can only send data and handles of the student's own values")

    def encode(self, value):
        encoder = Encoder(self.handle_for)
        try:
            return encoder.encode(value)
        except TooLarge:
            return self.handle_for(value)

    def run(self, job: dict) -> None:
        sys.stdout, sys.stderr = self.output, self.errors
        status = {"type": "ran", "status": "ok"}
        try:
            for label, source in (("setup", job.get("setup", "")), ("cell", job["code"])):
                if source:
                    exec(compile(source, f"<{label}>", "exec"), self.namespace)
        except MemoryError:
            self.handles.clear()
            status = {"type": "ran", "status": "memory"}
        except BaseException as error:  # the student's error is a result, not a crash
            status = {
                "type": "ran",
                "status": "error",
                "error": {**describe_exception(error), "traceback": _student_traceback(error)},
            }
        status["output"] = self.output.take() + self.errors.take()
        send(self.conn, status)
        self.serve()

    def serve(self) -> None:
        while True:
            try:
                request = receive(self.conn)
            except EOFError:
                return
            reply = {"type": "reply", "id": request.get("id")}
            try:
                reply["value"] = self.answer(request)
            except KeyboardInterrupt:
                reply["raised"] = {"type": "KeyboardInterrupt", "message": "interrupted after the test's time limit"}
            except BaseException as error:
                reply["raised"] = describe_exception(error)
            reply["output"], reply["stderr"] = self.output.take(), self.errors.take()
            send(self.conn, reply)

    def answer(self, request: dict):
        op = request["op"]
        if op == "get":
            values = {}
            for name in request["names"]:
                if name in self.namespace and name != "__builtins__":
                    values[name] = self.encode(self.namespace[name])
            return {"$names": values}
        target = self.handles[request["ref"]]
        if op == "call":
            args = decode(request.get("args", []), self.resolve)
            kwargs = dict(decode(request.get("kwargs", []), self.resolve))
            return self.encode(target(*args, **kwargs))
        if op == "getattr":
            return self.encode(getattr(target, request["name"]))
        if op == "getitem":
            return self.encode(target[decode(request["key"], self.resolve)])
        if op == "len":
            return len(target)
        if op == "list":
            return self.encode(list(target))
        if op == "contains":
            return bool(decode(request["item"], self.resolve) in target)
        raise ValueError(f"unknown request {op!r}")


# -- the tests' side -------------------------------------------------------------------------------


class TestTimeout(BaseException):
    pass


class StudentCodeError(Exception):
    """An exception raised by the student's code whose type is not a builtin one."""


class Link:
    """The tests' line to the student's process (through the host)."""

    def __init__(self, conn: socket.socket):
        self.conn = conn
        self.next_id = 0
        self.output: list[str] = []
        self.student_error: BaseException | None = None  # the last exception the student's code raised

    def ask(self, request: dict):
        self.next_id += 1
        request = {**request, "type": "rpc", "id": self.next_id}
        send(self.conn, request)
        try:
            while True:
                reply = receive(self.conn)
                if reply.get("id") == self.next_id:
                    break
        except TestTimeout:
            send(self.conn, {"type": "abandon", "id": self.next_id})
            raise
        if reply.get("output"):
            sys.stdout.write(reply["output"])
        if reply.get("stderr"):
            sys.stderr.write(reply["stderr"])
        if "raised" in reply:
            self.student_error = _exception_from(reply["raised"])
            raise self.student_error
        return decode(reply["value"], self.proxy)

    def proxy(self, data: dict):
        module = data.get("$module")
        if module:
            try:
                return __import__(module, fromlist=["_"])  # our own copy of the module, not the student's
            except Exception:
                pass
        return StudentObject(self, data)


def _exception_from(raised: dict) -> BaseException:
    name, message = str(raised.get("type", "Exception")), str(raised.get("message", ""))
    if name == "KeyboardInterrupt":
        return TestTimeout()
    kind = getattr(builtins, name, None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        return kind(message)
    return StudentCodeError(f"{name}: {message}")


class StudentObject:
    """A value that lives in the student's process. Calls and lookups run there and return data;
    comparisons and arithmetic are not forwarded, so no student __eq__ can pass a test."""

    __slots__ = ("_link", "_ref", "_repr", "_type")

    def __init__(self, link: Link, data: dict):
        object.__setattr__(self, "_link", link)
        object.__setattr__(self, "_ref", data["$handle"])
        object.__setattr__(self, "_type", str(data.get("type", "object")))
        object.__setattr__(self, "_repr", str(data.get("repr", "<student object>")))

    def _ask(self, op: str, **fields):
        return self._link.ask({"op": op, "ref": self._ref, **fields})

    def __call__(self, *args, **kwargs):
        encoder = Encoder(_refuse)
        return self._ask("call", args=encoder.encode(list(args)), kwargs=encoder.encode(list(kwargs.items())))

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._ask("getattr", name=name)

    def __getitem__(self, key):
        return self._ask("getitem", key=Encoder(_refuse).encode(key))

    def __len__(self) -> int:
        return int(self._ask("len"))

    def __iter__(self):
        return iter(self._ask("list"))

    def __contains__(self, item) -> bool:
        return bool(self._ask("contains", item=Encoder(_refuse).encode(item)))

    def __repr__(self) -> str:
        return self._repr

    def __setattr__(self, name, value):
        raise TypeError(f"tests cannot change the student's {self._type} object")


def _refuse(value):
    if isinstance(value, StudentObject):
        return {"$ref": value._ref}
    raise TypeError(f"tests can only pass data to the student's code, not {type(value).__name__}")


def referenced_names(code: types.CodeType) -> set[str]:
    """Every global name the test's code (and the code nested in it) may look up."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= referenced_names(constant)
    return names


def _alarm(signum, frame):
    raise TestTimeout()


def memory_message(memory_mib: int) -> str:
    """A MemoryError of the student's code, in the words the live kernels use for the same limit."""
    return f"MemoryError: your code used more than {memory_mib} MiB of memory, so this test was stopped."


def raised_by(error: BaseException, link: Link, asked: set[str], scope: dict) -> str:
    """Who wrote the error's message: "student" for an exception the student's code raised (the test
    let it through unchanged) or a name the test asked the student's code for and did not get, ""
    for the test's own errors. Feedback may show a student's error that a hidden test also got
    (exercises/scoring.py); a test's own message stays the test's secret."""
    if error is link.student_error:
        return "student"
    if type(error) is NameError and error.name in asked and error.name not in scope:
        return "student"
    return ""


def run_tests(conn: socket.socket, job: dict) -> None:
    link = Link(conn)
    signal.signal(signal.SIGALRM, _alarm)
    memory_mib = int(job.get("memory_mib", 512))
    for test in job["tests"]:
        started = time.monotonic()
        captured = io.StringIO()
        entry = {"type": "result", "name": test["name"], "status": "passed", "fraction": 1.0, "message": ""}
        link.student_error, wanted, scope = None, set(), {}
        try:
            signal.setitimer(signal.ITIMER_REAL, float(test["timeout"]))
            try:
                with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
                    code = compile(test["source"], f"<test {test['name']}>", "exec")
                    wanted = referenced_names(code) - {test["function"]}
                    scope = {"__builtins__": builtins, "__name__": "panlearn_test"}
                    if wanted:
                        scope.update(link.ask({"op": "get", "names": sorted(wanted)}))
                    exec(code, scope)
                    value = scope[test["function"]]()
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if value is False:
                entry.update(status="failed", fraction=0.0)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                fraction = max(0.0, min(1.0, float(value)))
                entry.update(fraction=fraction, status="passed" if fraction >= 1.0 else "partial")
        except TestTimeout:
            entry.update(status="timeout", fraction=0.0, message=f"This test took longer than {test['timeout']:g}s.",
                         raised_by="runner")  # fmt: skip
        except AssertionError as error:
            entry.update(status="failed", fraction=0.0, message=str(error)[:2000],
                         raised_by=raised_by(error, link, wanted, scope))  # fmt: skip
        except MemoryError as error:
            by = raised_by(error, link, wanted, scope)
            message = memory_message(memory_mib) if by == "student" else f"MemoryError: {error}"[:2000]
            entry.update(status="error", fraction=0.0, message=message, raised_by="runner" if by else "")
        except BaseException as error:
            entry.update(status="error", fraction=0.0, message=f"{type(error).__name__}: {error}"[:2000],
                         raised_by=raised_by(error, link, wanted, scope))  # fmt: skip
        entry["output"] = captured.getvalue()[-4000:]
        entry["duration_ms"] = round((time.monotonic() - started) * 1000, 2)
        send(conn, entry)
    send(conn, {"type": "done"})


# -- the parent: fork a child per connection -------------------------------------------------------


def _limit_child(memory_mib: int, cpu_seconds: int) -> None:
    """Per job: memory as address space on top of what the parent already maps, and CPU time."""
    with open("/proc/self/status") as status:
        mapped = next(int(line.split()[1]) << 10 for line in status if line.startswith("VmSize:"))
    address_space = mapped + (memory_mib << 20)
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        address_space = min(address_space, hard)
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def child_main(role: str, conn: socket.socket) -> None:
    job = receive(conn)
    _limit_child(int(job.get("memory_mib", 512)), int(job.get("cpu_seconds", 60)))
    if role == "student":
        os.chdir(os.environ.get("HOME", "/tmp"))  # the job's own, empty
        StudentProcess(conn).run(job)
    else:
        run_tests(conn, job)


# -- a live kernel: the same fork, then an ipykernel ------------------------------------------------

CONNECTION_FILE = "/run/kernel/connection.json"  # in the job's own /run/kernel


def _placed_by_host(conn: socket.socket) -> dict:
    """Tells the host this process's pid with its credentials, which Linux translates into the host's pid
    namespace, and waits while the host moves it into the kernel's own cgroup (memory, pids) and sets its
    priority: nothing of the kernel runs before that, and what it forks inherits both. Then the job: the
    kernel's connection, which never passes through the parent."""
    frame = json.dumps({"type": "started"}).encode()  # the pid that counts is in the credentials
    credentials = struct.pack("3i", os.getpid(), os.getuid(), os.getgid())
    conn.sendmsg([FRAME.pack(len(frame)) + frame], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, credentials)])
    return receive(conn)


PR_SET_NAME = 15
KERNEL_NAME = b"ipykernel"  # /proc/<pid>/comm: the forked kernel shows the parent's command line


def kernel_main(job: dict) -> None:
    """The job's pid 1 stays as its init: it reaps what the kernel's code leaves behind (orphans come to pid
    1, and each zombie holds one of the kernel's pids) and ends with the kernel, which Linux can kill
    (pid 1 of a namespace ignores what it has no handler for, SIGKILL from inside included). The kernel
    is pid 2, the leader of a process group of its own: its kill(0) reaches neither init nor the keeper."""
    kernel = os.fork()
    if kernel:
        _init(kernel)
    os.setpgid(0, 0)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_NAME, KERNEL_NAME, 0, 0, 0)
    cpu = int(job.get("cpu_seconds", 3600))  # the parent has none of its own: it forks for the host's life
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    with open(CONNECTION_FILE, "w") as stream:
        json.dump(job["connection"], stream)
    os.chdir(os.environ.get("HOME", "/tmp"))
    # What a kernel started on its own has: its arguments, the working directory on sys.path (the parent
    # runs isolated, -I, which leaves it out), no bytecode written, and random numbers of its own (numpy's
    # global generator was seeded once, in the parent: every fork would draw the same numbers).
    sys.argv = ["ipykernel_launcher", "-f", CONNECTION_FILE]
    sys.path.insert(0, "")
    sys.dont_write_bytecode = True
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    from ipykernel.kernelapp import IPKernelApp  # imported by the parent already

    app = IPKernelApp.instance()
    app.initialize(["-f", CONNECTION_FILE, "--HistoryManager.enabled=False"])
    app.start()


def _init(kernel: int) -> None:
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
        if pid == kernel:
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _fork_child(role: str, control: socket.socket, fd: int, libc, private_bytes: int, uid: int | None) -> int:
    pid = os.fork()
    if pid:
        os.close(fd)
        return pid
    code, job, conn = 0, None, None
    try:
        control.close()
        os.setsid()
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # other jobs' processes cannot read this one's memory
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        conn = socket.socket(fileno=fd)
        if role == "kernel":
            job = _placed_by_host(conn)
        else:
            send(conn, {"type": "started", "pid": os.getpid()})  # the pid the host interrupts and kills by
        import panlearn_jobns
        import panlearn_signals  # imported by the parent before its first fork: no import cost here

        # Its own pid namespace and /tmp, /dev/shm and home; this process stays behind as the keeper.
        panlearn_jobns.enter_job_namespaces(
            libc,
            size_bytes=private_bytes,
            home=os.environ.get("HOME", "/tmp"),
            uid=uid,
            close_in_keeper=(conn.fileno(),),
            loopback=job is not None,
        )
        # Signals reach this job only: a job must not run if it could stop its neighbours or the parent. A live
        # kernel is kept from them by its pid namespace and process group (kernel_main), and signals its own.
        if not panlearn_signals.confine_signals(libc, signals=job is None):  # None: an unknown architecture
            raise OSError("could not confine the job's signals and namespaces")
        null = os.open(os.devnull, os.O_RDWR)
        for target in (0, 1, 2):  # nothing of the parent's: its control socket is fd 0
            if target != null:
                os.dup2(null, target)
        if null > 2:
            os.close(null)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if job is not None:
            conn.close()  # a live kernel talks ZMQ on its own sockets from here
            kernel_main(job)
        else:
            child_main(role, conn)
    except BaseException as error:
        code = 1
        if job is not None:  # a kernel that could not be made: the host logs why (the job's socket, if still open)
            with contextlib.suppress(Exception):
                send(conn, {"type": "failed", "error": f"{type(error).__name__}: {error}"[:500]})
    finally:
        os._exit(code)


def _reap(children: dict[int, int | None], *, block_for: int | None = None) -> None:
    """`children`: each job's keeper and the uid the job runs as (None: the sandbox's own)."""
    if block_for is not None and block_for in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(block_for, 0)
        children.pop(block_for, None)
    while children:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            children.clear()
            break
        if pid == 0:
            break
        children.pop(pid, None)


def _uids_running() -> set[int]:
    """The uids of every process of this sandbox, zombies included: the jobs' pid namespaces are nested in
    the sandbox's, so its /proc lists them all."""
    uids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, StopIteration), open(f"/proc/{entry}/status") as status:
                uids.update(map(int, next(line for line in status if line.startswith("Uid:")).split()[1:]))
    return uids


def _job_uid(children: dict[int, int | None], order: list[int]) -> int | None:
    """A uid of `order` that no job holds: none whose keeper runs, and none that any process still has (a
    killed job's keeper can be reaped before its pid namespace is gone). Waits a little for one; None if none
    came. Least recently used first, so that a uid just given back has time to go."""
    deadline = time.monotonic() + 5.0
    while True:
        held = set(children.values())
        candidates = [uid for uid in order if uid not in held]
        if candidates:
            running = _uids_running()
            for uid in candidates:
                if uid not in running:
                    order.remove(uid)
                    order.append(uid)
                    return uid
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)
        _reap(children)


def _sweep(own_sid: int, children: dict[int, int | None]) -> None:
    """Kill processes that outlived their job or left its session: only jobs' sessions may run."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        session = int(fields[3])
        if pid == 1 or session == own_sid or session in children or fields[0] == "Z":
            continue
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def parent_main(role: str, preload: list[str], job_uids: int = 0) -> None:
    """`job_uids`: how many uids (1..job_uids) the sandbox maps for jobs, each a host uid of its own;
    0: jobs run as the parent's uid."""
    os.closerange(3, 1 << 16)  # what bwrap left open (its --userns-block-fd): no job inherits it
    if role != "kernel":  # a kernel keeps the sandbox's inline backend, chosen before pyplot is imported
        os.environ["MPLBACKEND"] = "agg"
    if HERE not in sys.path:
        sys.path.insert(0, HERE)  # panlearn_check for tests, panlearn_data for student code
    import panlearn_jobns  # noqa: F401  before the first fork: each job isolates itself with these
    import panlearn_signals  # noqa: F401

    libc = ctypes.CDLL(None, use_errno=True)

    mpl_cache = "/opt/mplcache"
    if os.path.isdir(mpl_cache):
        shutil.copytree(mpl_cache, "/tmp/matplotlib", dirs_exist_ok=True)
    for name in preload:
        with contextlib.suppress(ImportError):
            __import__(name)
    if "matplotlib" in preload:
        with contextlib.suppress(ImportError):
            import matplotlib.pyplot  # noqa: F401
    if role == "kernel":
        from ipykernel.kernelapp import IPKernelApp  # noqa: F401  the kernel machinery, once for every fork
    # Not dumpable: the jobs it forks run as the same uid, and could otherwise open /proc/<parent>/mem
    # and rewrite what every later job starts from (or read the code of the jobs before them).
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    import gc

    gc.collect()
    gc.freeze()  # children share the preloaded objects' pages instead of copying them on first GC
    control = socket.socket(fileno=0)
    own_sid = os.getsid(0)
    children: dict[int, int | None] = {}  # keeper -> its job's uid
    uid_order = list(range(1, job_uids + 1))
    # Each job's private /tmp, /dev/shm and home are each as large as the sandbox's own /tmp.
    tmp = os.statvfs("/tmp")
    private_bytes = tmp.f_blocks * tmp.f_frsize
    control.sendall(b"R" + struct.pack(">i", os.getpid()))
    while True:
        readable, _, _ = select.select([control], [], [], 1.0)
        _reap(children)
        if not readable:
            if role != "kernel":
                _sweep(own_sid, children)
            continue
        fds = array.array("i")
        message, ancillary, _, _ = control.recvmsg(5, socket.CMSG_SPACE(fds.itemsize))
        if not message:
            return  # the host is gone
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
        command, target = message[:1], struct.unpack(">i", message[1:5])[0] if len(message) == 5 else 0
        if command == b"F" and fds:
            _reap(children)
            uid = _job_uid(children, uid_order) if job_uids else None
            if job_uids and uid is None:
                os.close(fds[0])  # no uid free: the host sees the connection close and retries elsewhere
            else:
                children[_fork_child(role, control, fds[0], libc, private_bytes, uid)] = uid
        elif command in (b"K", b"I") and target in children:
            with contextlib.suppress(OSError):
                os.killpg(target, signal.SIGKILL if command == b"K" else signal.SIGINT)
            if command == b"K":
                _reap(children, block_for=target)  # a killed job is gone before the next one forks
                if role != "kernel":
                    _sweep(own_sid, children)
        for extra in fds[1:]:
            os.close(extra)


if __name__ == "__main__":
    # role, how many job uids the sandbox maps (0: none), the modules to preload
    parent_main(sys.argv[1], [name for name in sys.argv[3].split(",") if name], int(sys.argv[2]))
