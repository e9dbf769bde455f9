"""The submission's process, seen from the grader: started with limits, asked one request at a
time, killed with everything it started.

- Its own process (``_child.py`` under ``python -I``), session and temporary folder; stdin is
  ``/dev/null``, stdout and stderr go to files the grader reads only to explain a crash.
- Limits: address space (``--memory``), file size, no core files. When the grader runs as root and
  the ``nobody`` account can run this Python, the child runs as ``nobody``: it then cannot read
  the grader's memory, signal it or write its files.
- Every request has a timeout; a request not answered in time ends the process.
- The grader is a child subreaper (Linux): a process the submission leaves behind, even one that
  left its session, is reparented to the grader and killed when the worker is closed.
- Answers are length-limited JSON lines; ``grading.py`` validates them before reading them.
"""

import ctypes
import json
import os
import pwd
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

CHILD = Path(__file__).with_name("_child.py")
MAX_ANSWER = 64 << 20  # bytes in one answer line
IMPORT_SECONDS = 30.0  # to start Python and NumPy and import the submission
PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36
_guarded = []  # set once this process is the grader's: then orphans are its to kill
_live = set()  # pids of workers that are running, which reaping spares


class Hung(Exception):
    """The submission did not answer within the timeout (``args[0]``: the case, when known)."""


class Ended(Exception):
    """The submission's process ended (or sent something unreadable) before answering."""


class Broken(Exception):
    """The grading environment, not the submission, failed (e.g. NumPy does not import)."""


class ImportFailed(Exception):
    """The submission does not import: the error, as the child described it."""

    def __init__(self, error: dict):
        super().__init__(error_line(error))
        self.error = error


def guard_grader() -> None:
    """Makes this process a child subreaper and not dumpable (Linux): orphans of the submission
    come back to it to be killed, and a process of the same user cannot read its memory."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        _guarded.append(True)


def reap_orphans() -> None:
    """Kills and reaps every child of this grader that is not a running worker: the processes a
    submission left behind, reparented here by the subreaper."""
    if not _guarded:
        return
    me = os.getpid()
    for _ in range(100):
        orphans = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in _live:
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                    orphans.append(int(entry))
        if not orphans:
            return
        for pid in orphans:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


@dataclass
class Limits:
    """What the submission's process may use."""

    timeout: float = 5.0  # seconds per request
    memory_mb: int = 1024  # address space
    file_mb: int = 64  # largest file it may write
    user: Optional[str] = None  # the account it runs as (``Sandbox`` sets it when that works)


class Sandbox:
    """Starts workers for one submission, all with the same limits. It keeps a spare worker
    starting while a test runs, so the next test does not wait for Python and NumPy to load; and
    decides at its first start whether the child can run as ``nobody`` (when the grader is root),
    by starting an empty file that way."""

    def __init__(self, submission: Path, limits: Limits):
        self.submission, self.limits = submission, limits
        self.notes = []
        self._spare: Optional[Worker] = None
        self._decided = False

    def start(self) -> "Worker":
        """A ready worker; raises ``ImportFailed`` when the submission does not import."""
        if not self._decided:
            self._decided = True
            self._decide_account()
        worker = self._spare or Worker(self.submission, self.limits)
        self._spare = Worker(self.submission, self.limits)
        return worker.ready()

    def close(self) -> None:
        if self._spare is not None:
            self._spare.close()
            self._spare = None

    def _decide_account(self) -> None:
        if os.geteuid() != 0 or self.limits.user is not None:
            return
        self.limits.user = "nobody"
        with tempfile.TemporaryDirectory() as folder:
            empty = Path(folder) / "empty.py"
            empty.write_text("")
            try:
                Worker(empty, self.limits).ready().close()
            except (OSError, KeyError, Broken, ImportFailed) as error:
                self.limits.user = None
                self.notes.append(f"The submission ran as root: the account nobody cannot run this Python ({error}).")


class Worker:
    """One process of the submission's, answering requests."""

    def __init__(self, submission: Path, limits: Limits):
        self.limits = limits
        self.process = None
        self._requests = self._answers = None
        self._buffer = b""
        self._last_id = 0
        self.names = None
        self.folder = Path(tempfile.mkdtemp(prefix="ferrograd-grade-"))
        self.logs = Path(tempfile.mkdtemp(prefix="ferrograd-grade-logs-"))
        copy = self.folder / "submitted.py"
        shutil.copyfile(submission, copy)
        account = None
        if limits.user is not None:
            entry = pwd.getpwnam(limits.user)
            account = entry.pw_uid, entry.pw_gid
            os.chown(self.folder, *account)
            copy.chmod(0o644)
        requests_read, self._requests = os.pipe()
        self._answers, answers_write = os.pipe()

        def limit():  # runs in the child between fork and exec
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb << 20,) * 2)
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb << 20,) * 2)
            if account:
                os.setgroups([])
                os.setgid(account[1])
                os.setuid(account[0])

        env = {
            "PATH": os.defpath,
            "HOME": str(self.folder),
            "TMPDIR": str(self.folder),
            "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        try:
            with open(self.logs / "stdout", "wb") as out, open(self.logs / "stderr", "wb") as err:
                self.process = subprocess.Popen(
                    [sys.executable, "-I", str(CHILD), str(copy), str(requests_read), str(answers_write)],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    cwd=self.folder,
                    env=env,
                    pass_fds=(requests_read, answers_write),
                    start_new_session=True,
                    preexec_fn=limit,
                )
            _live.add(self.process.pid)
        except BaseException:
            self.close()
            raise
        finally:
            os.close(requests_read)
            os.close(answers_write)

    def ready(self) -> "Worker":
        """Waits for the child's greeting: raises ``ImportFailed`` when the submission does not
        import, ``Broken`` when NumPy does not."""
        if self.names is not None:
            return self
        seconds = max(IMPORT_SECONDS, self.limits.timeout)
        deadline = time.monotonic() + seconds
        try:
            while True:
                hello = self._read(deadline)
                if "environment" in hello:
                    self.close()
                    raise Broken(str(hello["environment"])[:2000])
                if "import_error" in hello:
                    self.close()
                    raise ImportFailed(checked_error(hello["import_error"]))
                if isinstance(hello.get("ready"), list):
                    self.names = hello["ready"]
                    return self
        except Hung:
            raise ImportFailed({"type": "TimeoutError", "message": f"the import did not finish within {seconds:g} s", "where": None})
        except Ended as ended:
            raise ImportFailed({"type": "the process ended", "message": str(ended), "where": None})

    def request(self, message: dict, timeout: Optional[float] = None) -> dict:
        """Sends one request and waits for its answer (at most ``timeout``, else the limit's)."""
        self._last_id += 1
        message = dict(message, id=self._last_id)
        try:
            os.write(self._requests, (json.dumps(message) + "\n").encode())
        except (OSError, TypeError):
            raise Ended(self._ending())
        deadline = time.monotonic() + (self.limits.timeout if timeout is None else timeout)
        while True:
            answer = self._read(deadline)
            if answer.get("id") != self._last_id:  # a stale or forged line: only the answer counts
                if time.monotonic() > deadline:
                    self.close()
                    raise Hung()
                continue
            if "ended" in answer:
                self.close()
                raise Ended("it stopped: " + error_line(checked_error(answer["ended"])))
            return answer

    def _read(self, deadline: float) -> dict:
        """The next JSON object the child sends, waiting until ``deadline``. Lines that are not
        JSON objects are skipped: only the protocol's messages count, and those are checked."""
        while True:
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([self._answers], [], [], remaining)[0]:
                    self.close()
                    raise Hung()
                chunk = os.read(self._answers, 1 << 16)
                if not chunk:
                    raise Ended(self._ending())
                self._buffer += chunk
                if len(self._buffer) > MAX_ANSWER:
                    self.close()
                    raise Ended("it sent an answer too large to read")
            line, self._buffer = self._buffer.split(b"\n", 1)
            try:
                answer = json.loads(line)
            except ValueError:
                continue
            if isinstance(answer, dict):
                return answer
            if time.monotonic() > deadline:
                self.close()
                raise Hung()

    def _ending(self) -> str:
        """How the process ended, with the end of what it wrote to stderr."""
        try:
            status = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            status = None
        tail = self._stderr_tail()
        self.close()
        if status is None:
            how = "it closed its answers without exiting"
        elif status < 0:
            how = f"it was killed by signal {signal.Signals(-status).name}"
        else:
            how = f"it exited with status {status}"
        return how + (f"; the end of its stderr:\n{tail}" if tail else "")

    def _stderr_tail(self, lines: int = 8) -> str:
        try:
            text = (self.logs / "stderr").read_bytes()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def close(self) -> None:
        """Kills the process, its session and any orphan it left; removes its folders."""
        if self.process is not None:
            if self.process.returncode is None:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                self.process.kill()
                self.process.wait()
            _live.discard(self.process.pid)
        reap_orphans()
        for name in ("_requests", "_answers"):
            fd = getattr(self, name)
            if fd is not None:
                os.close(fd)
                setattr(self, name, None)
        shutil.rmtree(self.folder, ignore_errors=True)
        shutil.rmtree(self.logs, ignore_errors=True)


def checked_error(value) -> dict:
    """An error description from the child, keeping only what a report prints, as strings."""
    if not isinstance(value, dict):
        return {"type": "?", "message": "an unreadable error", "where": None}
    where = value.get("where")
    if not (isinstance(where, dict) and type(where.get("line")) is int and isinstance(where.get("code"), str)):
        where = None
    return {
        "type": str(value.get("type", "?"))[:200],
        "message": str(value.get("message", ""))[:2000],
        "where": where and {"line": where["line"], "code": where["code"][:2000]},
    }


def error_line(error: dict) -> str:
    """``TypeName: message``."""
    return error["type"] + (f": {error['message']}" if error["message"] else "")
