"""boundlab's cpython model: run a batch of tasks on CPython itself.

The Go side (experiments/model/cpython.go) starts this script with the
request as JSON on stdin and reads one JSON document from stdout. Progress
goes, one line per report, to file descriptor 3 if it is open. Standard
library only; Python 3.8 or later.

A request is either a probe:

    {"mode": "probe", "calibrate": true}

which answers with the interpreter's facts and, if asked, the calibration
of the CPU loop ("check": true instead asks for a short one, to re-check a
calibration kept from an earlier run), with when the interpreter started
and the calibration ran, for a benchmark of the notebook's overhead; or a
run:

    {"mode": "run", "flavor": "threads" | "asyncio" | "processes",
     "concurrency": N, "ns_per_round": F, "heartbeat_ns": N,
     "switch_interval_ns": N (0: the interpreter's default),
     "start_method": "fork" | "forkserver" | "spawn" ("": the default),
     "tasks": [{"steps": [{"kind": "cpu", "ns": N}, ...], "payload_bytes": N}]}

which runs the tasks under the flavor's mechanism and answers with a span
per task, the totals, and for asyncio the event loop's lag. Every time is
time.monotonic_ns() (CLOCK_MONOTONIC); "t0" is the run's start, when the
first task was submitted, and "end" when the last one had ended.

Each flavor is the lecture's mechanism as a Python programmer writes it:

    threads    concurrent.futures.ThreadPoolExecutor(max_workers=N)
    asyncio    asyncio.gather of one task each, under asyncio.Semaphore(N),
               with a heartbeat timer measuring the loop's lag
    processes  concurrent.futures.ProcessPoolExecutor(max_workers=N),
               started and answering before the clock starts

To add a flavor, write run_<flavor>(req, rec) and add it to FLAVORS.
"""

import time

STARTED_NS = time.monotonic_ns()  # the interpreter has started: for the probe's timing

import gc  # noqa: E402 (the imports below come after the start time)
import json
import os
import platform
import resource
import sys
import sysconfig
import threading

import boundlab_cpu

# Imported by load_run_modules, for a run only: a probe needs none of them.
boundlab_encode = boundlab_memory = steps = None

SCHEMA = 1
mono = boundlab_cpu.mono


def load_run_modules():
    """Import what a run needs (asyncio among it), which a probe, run in
    every notebook cell that uses this model, does without."""
    global boundlab_encode, boundlab_memory, steps
    import boundlab_encode
    import boundlab_memory
    import boundlab_steps as steps


# --- Facts -----------------------------------------------------------------


def interpreter_facts():
    """What the interpreter is: enough to tell a free-threaded build (and
    whether its GIL is in fact off) from the usual one."""
    import multiprocessing

    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return {
        "implementation": sys.implementation.name,
        "version": platform.python_version(),
        "executable": sys.executable,
        "compiler": platform.python_compiler(),
        # A free-threaded build (python3.13t and later) is compiled with
        # Py_GIL_DISABLED; it may still run with the GIL on (PYTHON_GIL=1).
        "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gil_enabled": bool(is_gil_enabled()) if is_gil_enabled else True,
        "switch_interval_ns": round(sys.getswitchinterval() * 1e9),
        "start_method": multiprocessing.get_start_method(),
        "cpus": os.cpu_count() or 0,
    }


# --- Measuring a run -------------------------------------------------------


def peak_rss_reset():
    """Reset this process's peak resident memory (Linux), as the Go side
    does, so the run's peak is its own and not the start-up's."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_times():
    """User and system CPU of this process and its reaped children, in ns."""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((s.ru_utime + c.ru_utime) * 1e9), round((s.ru_stime + c.ru_stime) * 1e9)


def machine_busy():
    """CPU time every process on the machine has used since boot, in ns
    (/proc/stat: user, nice, system, irq, softirq, steal; 10 ms ticks), or
    -1. Two readings less the run's own CPU say how busy the rest of a
    shared machine was meanwhile."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        ticks = [int(v) for v in fields[1:9]]
    except (OSError, ValueError):
        return -1
    busy = sum(ticks) - ticks[3] - ticks[4]  # less idle and iowait
    return busy * 10_000_000


class GCTimer:
    """Counts the garbage collector's collections and their pauses."""

    def __init__(self):
        self.count = 0
        self.pause = 0
        self._t = 0

    def __call__(self, phase, info):
        if phase == "start":
            self._t = mono()
        else:
            self.count += 1
            self.pause += mono() - self._t


class Progress:
    """Reports tasks done on fd 3, at most every 50 ms and at the end, so
    that the reports cost the run nothing measurable."""

    def __init__(self, total):
        self.total = total
        self.done = 0
        self.last = 0
        self.lock = threading.Lock()
        try:
            self.out = os.fdopen(3, "w", buffering=1)
        except OSError:
            self.out = None

    def tick(self):
        with self.lock:
            self.done += 1
            now = mono()
            if self.out and (now - self.last > 50_000_000 or self.done == self.total):
                self.last = now
                try:
                    self.out.write("%d\n" % self.done)
                except OSError:
                    self.out = None


class Recorder:
    """The run's books: a span per task, the heartbeat's lag samples, the
    workers, and the totals around t0 and end."""

    def __init__(self, req):
        self.req = req
        self.tasks = req["tasks"]
        self.spans = [steps.new_span(i) for i in range(len(self.tasks))]
        self.lags = []
        self.workers = []
        self.progress = Progress(len(self.tasks))
        self.gc = GCTimer()
        self.t0 = self.end = 0
        self.rss0 = 0
        self.setup = {}

    def begin(self):
        gc.callbacks.append(self.gc)
        peak_rss_reset()
        self.rss0 = boundlab_memory.rss()
        self.cpu0 = cpu_times()
        self.busy0 = machine_busy()
        self.t0 = mono()

    def finish(self):
        """Close the books. end is set by the flavor when the last task has
        ended; CPU is read here, after a pool's workers have been reaped."""
        u, s = cpu_times()
        busy = machine_busy()
        gc.callbacks.remove(self.gc)
        switches = sum(1 for sp in self.spans for g in sp["segments"] if g["kind"] == "gil-wait")
        return {
            "schema": SCHEMA,
            "flavor": self.req["flavor"],
            "concurrency": self.req["concurrency"],
            "interpreter": interpreter_facts(),
            "t0": self.t0,
            "end": self.end,
            "spans": self.spans,
            "loop_lag": self.lags,
            "workers": self.workers,
            "totals": {
                "cpu_user_ns": u - self.cpu0[0],
                "cpu_sys_ns": s - self.cpu0[1],
                "peak_rss_bytes": peak_rss(),
                "start_rss_bytes": self.rss0,
                "gc_cycles": self.gc.count,
                "gc_pause_ns": self.gc.pause,
                "gil_waits": switches,
                "machine_busy_ns": busy - self.busy0 if busy >= 0 and self.busy0 >= 0 else -1,
            },
        }


class WorkerIds:
    """Numbers threads 0, 1, 2, ... in the order they first run a task."""

    def __init__(self):
        self.ids = {}
        self.lock = threading.Lock()

    def current(self):
        me = threading.get_ident()
        with self.lock:
            return self.ids.setdefault(me, len(self.ids))


def payload_for(task):
    n = task.get("payload_bytes", 0)
    return os.urandom(n) if n else None


# --- Flavors ---------------------------------------------------------------


def run_threads(req, rec):
    """ThreadPoolExecutor(max_workers=N): every task submitted at t0; a
    thread runs Python code only while it holds the GIL."""
    from concurrent.futures import ThreadPoolExecutor, wait

    # With two threads or more, a stretch of a CPU step in which its thread
    # did not run is, almost always, a wait for the GIL: record it. With one
    # it can only be the OS running something else: leave it in the step.
    ctx = {"ns_per_round": req["ns_per_round"], "gaps": req["concurrency"] > 1, "trace": req.get("trace", False)}
    ids = WorkerIds()

    def job(i):
        span = rec.spans[i]
        span["worker"] = ids.current()
        span["start"] = mono()
        steps.run_steps(rec.tasks[i], span, ctx)
        span["end"] = mono()
        rec.progress.tick()

    with ThreadPoolExecutor(max_workers=req["concurrency"]) as pool:
        rec.begin()
        futures = []
        for i in range(len(rec.tasks)):
            rec.spans[i]["queued"] = mono()
            futures.append(pool.submit(job, i))
        wait(futures)
        rec.end = mono()
    for f in futures:
        f.result()  # a bug in a step raises here, with its traceback


def run_asyncio(req, rec):
    """asyncio.gather over one task each, under asyncio.Semaphore(N), with a
    heartbeat: a timer every heartbeat_ns whose lateness is the loop's lag."""
    import asyncio

    ctx = {"ns_per_round": req["ns_per_round"], "trace": req.get("trace", False)}
    period = req.get("heartbeat_ns", 10_000_000) / 1e9
    # run_in_executor's pools, started before the clock (boundlab_encode).
    ctx["executors"] = boundlab_encode.start_executors(rec.tasks, req)

    async def main():
        loop = asyncio.get_running_loop()
        sem = asyncio.Semaphore(req["concurrency"])
        free = list(range(req["concurrency"] - 1, -1, -1))  # slot numbers
        pending = [len(rec.tasks)]
        beat = {"due": None, "handle": None}

        def heartbeat(due):
            rec.lags.append({"due": round(due * 1e9), "lag_ns": round((loop.time() - due) * 1e9)})
            schedule()

        def schedule():
            if pending[0] > 0:
                due = loop.time() + period
                beat["due"], beat["handle"] = due, loop.call_at(due, heartbeat, due)
            else:
                beat["due"] = None

        async def one(i):
            span = rec.spans[i]
            async with sem:
                span["worker"] = free.pop()
                span["start"] = mono()
                await steps.run_steps_async(rec.tasks[i], span, ctx)
                span["end"] = mono()
                free.append(span["worker"])
                pending[0] -= 1
                rec.progress.tick()

        rec.begin()
        tasks = []
        for i in range(len(rec.tasks)):
            rec.spans[i]["queued"] = mono()
            tasks.append(loop.create_task(one(i)))
        schedule()
        await asyncio.gather(*tasks)
        rec.end = mono()
        # A heartbeat that fell due while the last tasks ran still reports
        # its lag: the loop was blocked all that time.
        if beat["due"] is not None:
            beat["handle"].cancel()
            if loop.time() >= beat["due"]:
                heartbeat(beat["due"])

    asyncio.run(main())
    boundlab_encode.stop_executors(ctx["executors"])


def run_processes(req, rec):
    """ProcessPoolExecutor(max_workers=N), with the interpreter's default
    start method. The workers are started, and have each answered, before
    the clock starts: their start-up is setup, as in the Go processes
    model."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    mp = multiprocessing.get_context(req.get("start_method") or None)
    n = req["concurrency"]
    ctx = {"ns_per_round": req["ns_per_round"], "trace": req.get("trace", False)}
    payloads = [payload_for(t) for t in rec.tasks]
    pool_start = mono()
    with ProcessPoolExecutor(max_workers=n, mp_context=mp) as pool:
        hellos = [pool.submit(steps.hello, 0.05) for _ in range(n)]
        pids = []
        spawn = {}
        for f in hellos:
            pid, at = f.result()
            if pid not in spawn:
                pids.append(pid)
                spawn[pid] = at - pool_start
        rec.setup = {"pool_start": pool_start, "pool_ready": mono(),
                     "start_method": mp.get_start_method()}

        rec.begin()
        futures = {}
        for i, t in enumerate(rec.tasks):
            rec.spans[i]["queued"] = mono()
            f = pool.submit(steps.run_in_worker, i, t, ctx, payloads[i])
            f.add_done_callback(lambda _: rec.progress.tick())
            futures[f] = i
        stats = {}
        for f in as_completed(futures):
            span, _ = f.result()
            pid = span.pop("pid")
            rss = span.pop("peak_rss_bytes")
            if pid not in spawn:  # a worker that missed the hellos
                pids.append(pid)
                spawn[pid] = 0
            span["worker"] = pids.index(pid)
            span["queued"] = rec.spans[span["task"]]["queued"]
            rec.spans[span["task"]] = span
            st = stats.setdefault(pid, {"tasks": 0, "peak_rss_bytes": 0})
            st["tasks"] += 1
            st["peak_rss_bytes"] = max(st["peak_rss_bytes"], rss)
        rec.end = mono()
    # Leaving the with block shut the pool down and reaped the workers, so
    # their CPU is counted among this process's children.
    for pid in pids:
        st = stats.get(pid, {"tasks": 0, "peak_rss_bytes": 0})
        rec.workers.append({"pid": pid, "spawn_ns": spawn[pid], **st})


FLAVORS = {"threads": run_threads, "asyncio": run_asyncio, "processes": run_processes}


# --- Main ------------------------------------------------------------------


def main():
    if sys.version_info < (3, 8):
        sys.exit("boundlab needs Python 3.8 or later, this is %s" % platform.python_version())
    req = json.load(sys.stdin)
    mode = req.get("mode")
    if mode == "probe":
        out = {"schema": SCHEMA, "interpreter": interpreter_facts()}
        # "calibrate": the full calibration; "check": a short re-check of a
        # kept one (five trials in a row, about 60 ms).
        for key, kw in (("calibrate", {}), ("check", {"trials": 5, "pause_s": 0})):
            if req.get(key):
                t = mono()
                out["calibration"] = boundlab_cpu.calibrate(**kw)
                out["timing"] = {"started_ns": STARTED_NS, "calibrate_start_ns": t, "calibrate_end_ns": mono()}
                break
        json.dump(out, sys.stdout)
        return
    load_run_modules()
    if mode == "memory":  # live tasks' memory: boundlab_memory.py
        json.dump(boundlab_memory.run(req), sys.stdout)
        return
    if mode != "run":
        sys.exit("unknown mode %r" % mode)
    flavor = FLAVORS.get(req.get("flavor"))
    if flavor is None:
        sys.exit("unknown flavor %r (known: %s)" % (req.get("flavor"), ", ".join(FLAVORS)))
    if req.get("switch_interval_ns"):
        sys.setswitchinterval(req["switch_interval_ns"] / 1e9)
    rec = Recorder(req)
    # Encode steps' documents are built now, before any flavor starts its
    # clock (in its worker processes, a process pool builds its own).
    boundlab_encode.prepare_documents(rec.tasks)
    flavor(req, rec)
    out = rec.finish()
    out["setup"] = rec.setup
    if req.get("trace"):
        # How far an edge of a traced step's scheduling may be off: a
        # stretch off the CPU is placed mid-chunk, and a shorter one than
        # SCHED_GAP_NS is not seen (boundlab_steps.burn).
        out["trace_resolution_ns"] = round(steps.CHUNK * req["ns_per_round"]) + steps.SCHED_GAP_NS
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
