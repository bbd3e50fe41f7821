"""Run the command-line tools in processes forked from one interpreter that has already imported PyTorch.

Every tool spends about 5 s of the test machine's time importing torch, torchvision, numba, OpenCV and SciPy
before it reads its first argument, and the suite starts a few hundred of them. Here one server process pays that
once: each run is a fork of it in which the script runs as ``python SCRIPT ...`` would run it (its own ``argv``,
working folder, environment, standard streams, ``__main__``, exit status), so everything the script does happens
for real in a process of its own; only the imports are shared. The tools a run starts with ``sys.executable``
(compare.py's cells, a benchmark's runs) come through the same server. A run whose environment changes what a library
reads when it is imported (``NUMBA_*``, ``TRITON_*``, OpenMP, PyTorch and Python variables) gets a fresh
interpreter instead, as do the tests of start-up itself (threads, killing, imports), which call ``subprocess``.

What is shared stays this checkout's: a run imports ``src`` (and every preloaded library) as loaded here, even
from another folder or checkout. The caller's umask and ``TZ`` are taken over.

``python tests/zygote.py SOCKET`` is the server; ``run`` and the ``python`` shim of ``shim_folder`` are clients.
"""
import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORTED_WITH = ("NUMBA_", "TRITON_", "OMP_", "GOMP_", "KMP_", "MKL_", "OPENBLAS_", "TORCH", "PYTORCH_", "CUDA_",
                 "LD_", "PYTHON", "TQDM_")  # variables read when a library loads: a run that changes one starts afresh
PRELOAD = ("numpy", "torch", "torchvision", "cv2", "scipy.stats", "numba", "yacs.config", "tqdm", "matplotlib.figure",
           "torch.utils.tensorboard", "src.train.engine", "src.train.evaluation", "src.train.probe_job",
           "src.synthetic.runner", "src.prepare_data.runner", "src.compare.runner")

SHIM = """#!{python} -SE
import sys
sys.path.insert(0, {tests!r})
from zygote import shim_main
sys.exit(shim_main({socket!r}, {accepted!r}))
"""


# --- server -----------------------------------------------------------------------------------------------------

def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    header, fds, _, _ = socket.recv_fds(conn, 8, 3)
    size, data = int.from_bytes(header, "big"), b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return json.loads(data), fds


def _run_script(request: dict, fds: list[int]) -> None:
    """In the forked child: become ``python *argv`` in ``cwd`` with ``env``, and run it. Its ``sys.executable`` is
    the ``python`` shim, so the tools it starts in turn (compare.py's cells, the benchmarks' runs) are forks too."""
    import runpy
    sys.executable = request["shim"]
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.umask(request["umask"])  # the caller's, not the server's
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()  # TZ as the caller's environment sets it
    argv = request["argv"]
    base = [p for p in sys.path[1:] if p not in (str(ROOT), str(Path(__file__).parent))]
    extra = [p for p in request["env"].get("PYTHONPATH", "").split(os.pathsep) if p]
    if argv[0] == "-c":
        sys.argv, sys.path[:] = ["-c", *argv[2:]], ["", *extra, *base]
        main = type(sys)("__main__")
        sys.modules["__main__"] = main
        exec(compile(argv[1], "<string>", "exec"), main.__dict__)
    elif argv[0] == "-m":
        sys.argv, sys.path[:] = [argv[1], *argv[2:]], [os.getcwd(), *extra, *base]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        path = os.path.abspath(argv[0])
        if not os.path.isfile(path):
            print(f"{sys.executable}: can't open file {path!r}: [Errno 2] No such file or directory", file=sys.stderr)
            raise SystemExit(2)
        sys.argv, sys.path[:] = [argv[0], *argv[1:]], [os.path.dirname(os.path.realpath(path)), *extra, *base]
        runpy.run_path(path, run_name="__main__")


def _exit_status(request: dict, fds: list[int]) -> int:
    """Run the script; its exit status as ``python SCRIPT`` gives it (a traceback on stderr: 1)."""
    try:
        _run_script(request, fds)
        return 0
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # as the interpreter ends on an uncaught Ctrl-C: the traceback, then the signal
        sys.excepthook(*sys.exc_info())
        return -signal.SIGINT
    except BaseException:
        sys.excepthook(*sys.exc_info())
        return 1


def _exit(status: int) -> None:
    """End as the interpreter ends (threads joined, atexit handlers, streams flushed; a negative status: killed by
    that signal) but without tearing down its four thousand modules one by one, which takes two seconds. What that
    teardown would still do is not done: a file a script leaves open unflushed keeps its buffer (the tools close
    their files; a real interpreter runs the tests of start-up and exit)."""
    import atexit
    import threading
    threading._shutdown()  # joins the non-daemon threads, as the interpreter does first at exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    if status < 0:
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    os._exit(status)


def _report(conn: socket.socket, pid: int) -> None:
    """Wait for the script's process and send its exit status; if the client goes away first, kill it."""
    pidfd = os.pidfd_open(pid)
    ready, _, _ = select.select([pidfd, conn], [], [])
    if pidfd not in ready:  # the client hung up (killed): the run goes with it
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    try:
        conn.sendall(os.waitstatus_to_exitcode(status).to_bytes(4, "big", signed=True))
    except OSError:
        pass


def serve(path: str) -> None:
    """Import PRELOAD, then fork one child per request (the child forks the script's process and reports its
    exit status). Runs until killed."""
    import importlib
    for key, value in SERVER_DEFAULTS.items():  # as the training scripts set it before importing torch
        os.environ.setdefault(key, value)
    sys.path[:0] = [str(ROOT)]
    for name in PRELOAD:
        importlib.import_module(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the reporting children are reaped by the kernel
    print(json.dumps(dict(os.environ)), flush=True)  # ready: the environment as its imports left it
    while True:
        conn, _ = listener.accept()
        try:
            request, fds = _receive(conn)
        except (OSError, EOFError, ValueError):
            conn.close()
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            script = os.fork()
            if script == 0:
                conn.close()
                _exit(_exit_status(request, fds))
            for fd in fds:
                os.close(fd)
            _report(conn, script)
            os._exit(0)
        conn.close()
        for fd in fds:
            os.close(fd)


# what the server imports with where the caller sets nothing (the tools set it themselves before torch loads)
SERVER_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE"}
# read when used, not when a library loads: the forked run sees the caller's value (inductor sets its cache
# folder in os.environ the first time it looks it up, which would otherwise stop every later run from forking)
READ_WHEN_USED = ("PYTHONPATH", "TORCHINDUCTOR_CACHE_DIR")  # PYTHONPATH: sys.path is set from it for each run


def accepted_values(launched: dict, loaded: dict) -> dict[str, list]:
    """Per variable read on import, the values a run may have and still be forked: the server's at launch, and
    for one its imports set (cv2 sets LD_LIBRARY_PATH, the server OMP_WAIT_POLICY), unset or that value: a fresh
    interpreter's imports would set it so."""
    accepted = {}
    for key in set(launched) | set(loaded):
        if key.startswith(IMPORTED_WITH) and key not in READ_WHEN_USED:
            accepted[key] = [launched.get(key)]
            if loaded.get(key) != launched.get(key):
                accepted[key] += [loaded.get(key)]
    return accepted


def _same_imports(env: dict, accepted: dict[str, list]) -> bool:
    keys = {k for k in env if k.startswith(IMPORTED_WITH) and k not in READ_WHEN_USED} | set(accepted)
    return all(env.get(k) in accepted.get(k, [None]) for k in keys)


def _stands_in(argv: list[str], env: dict, accepted: dict[str, list]) -> bool:
    """Whether the server can run ``python *argv`` in ``env`` as a fresh interpreter would."""
    return bool(argv) and (not argv[0].startswith("-") or argv[0] in ("-c", "-m")) and _same_imports(env, accepted)


def _ask(socket_path: str, argv: list[str], cwd, env: dict, fds: tuple[int, int, int],
         timeout: float | None = None) -> int:
    """The exit status of ``python *argv`` run by the server; at ``timeout`` seconds the run is killed
    (TimeoutExpired)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(socket_path)
        conn.settimeout(timeout)
        shim = str(Path(socket_path).parent / "bin" / "python")
        umask = os.umask(0)
        os.umask(umask)
        data = json.dumps({"argv": list(map(str, argv)), "cwd": str(cwd), "env": env, "shim": shim,
                           "umask": umask}).encode()
        socket.send_fds(conn, [len(data).to_bytes(8, "big")], list(fds))
        conn.sendall(data)
        status = b""
        while len(status) < 4:
            try:
                chunk = conn.recv(4 - len(status))
            except TimeoutError:  # hanging up kills the run
                raise subprocess.TimeoutExpired(argv, timeout) from None
            if not chunk:
                raise RuntimeError("the test zygote ended before the run did")
            status += chunk
    return int.from_bytes(status, "big", signed=True)


# --- clients ----------------------------------------------------------------------------------------------------

class Zygote:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="zygote-"))
        self.socket = str(self.folder / "socket")
        self.env = dict(os.environ)
        self.server = subprocess.Popen([sys.executable, __file__, self.socket], stdout=subprocess.PIPE,
                                       env=self.env, cwd=ROOT)
        try:
            loaded = json.loads(self.server.stdout.readline())
        except ValueError:
            raise RuntimeError("the test zygote did not start") from None
        self.accepted = accepted_values(self.env, loaded)
        (self.folder / "bin").mkdir()
        shim = self.folder / "bin" / "python"
        shim.write_text(SHIM.format(python=sys.executable, tests=str(Path(__file__).parent), socket=self.socket,
                                    accepted=self.accepted))
        shim.chmod(0o755)
        atexit.register(self.close)

    def close(self) -> None:
        if self.server.poll() is None:
            self.server.kill()
            self.server.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


_ZYGOTE: Zygote | None = None


def zygote() -> Zygote:
    """This test process's server, started on first use."""
    global _ZYGOTE
    if _ZYGOTE is None:
        _ZYGOTE = Zygote()
    return _ZYGOTE


def run(argv: list, cwd=ROOT, env: dict | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    """``subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=cwd, env=env)``, forked from
    the server when ``env`` allows (``argv``: a script and its arguments, ``-m MODULE ...`` or ``-c CODE ...``)."""
    argv = list(map(str, argv))
    env = dict(os.environ if env is None else env)
    server = zygote()
    if not _stands_in(argv, env, server.accepted):
        return subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=cwd, env=env,
                              timeout=timeout)
    with open(os.devnull, "rb") as stdin, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        code = _ask(server.socket, argv, cwd, env, (stdin.fileno(), out.fileno(), err.fileno()), timeout)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess([sys.executable, *argv], code, out.read().decode(errors="replace"),
                                           err.read().decode(errors="replace"))


def shim_folder() -> Path:
    """A folder whose ``python`` runs its arguments through the server (put it first in a shell's PATH)."""
    return zygote().folder / "bin"


def shim_main(socket_path: str, accepted: dict[str, list]) -> int:
    """The ``python`` shim: hand this process's argv, folder, environment and streams to the server (or run the
    real interpreter where the server cannot stand in for it)."""
    env = dict(os.environ)
    if not _stands_in(sys.argv[1:], env, accepted):
        os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
    return _ask(socket_path, sys.argv[1:], os.getcwd(), env, (0, 1, 2))


if __name__ == "__main__":
    serve(sys.argv[1])
