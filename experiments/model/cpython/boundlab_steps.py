"""The steps of a boundlab task, as CPython runs them.

A task is a short program of steps. Each step kind has a plain function
(for threads and worker processes) and a coroutine (for asyncio); both
append the segments they measure to the task's span. Times are
time.monotonic_ns(), which is CLOCK_MONOTONIC on Linux, the clock the Go
side reads too, so it can place these times on its own timeline.

To add a step kind (JSON encoding, a loopback call, ...), write its two
functions and add them to SYNC_STEPS and ASYNC_STEPS below.

This module is imported by worker processes as well as by the main script,
so it must import cleanly and do nothing at import time. Standard library
only.
"""

import asyncio
import os
import resource
import time

from boundlab_call import call_async, call_sync
from boundlab_encode import encode_async, encode_sync, offloadable

mono = time.monotonic_ns
thread_cpu = time.thread_time_ns

# --- CPU work --------------------------------------------------------------

MASK = (1 << 64) - 1
SEED = 0x9E3779B97F4A7C15

# One round is the Go side's inner step: xorshift and a multiplicative hash
# on 64 bits, with a loop-carried dependency. Go runs 512 of them per unit
# in a few nanoseconds each; CPython takes a few hundred nanoseconds each.
# Either way the work is calibrated to time, not compared round for round.

# CHUNK rounds (about 50 to 100 us on a current core) run between clock
# readings. The readings let a thread see that it was off the CPU in the
# middle of a step (waiting for the GIL) and are part of what calibration
# measures, so they do not change what a calibrated step costs.
CHUNK = 200

# A chunk whose wall time exceeds its CPU time by more than GAP_NS is one
# in which the thread waited: for the GIL, or, rarely, for a core.
GAP_NS = 200_000

# In a traced run a chunk whose wall time exceeds its CPU time by more than
# SCHED_GAP_NS held a stretch off the CPU: a thread sharing a core with
# others is switched out for about 100 us at a time, and an undisturbed
# chunk's two clocks agree to a few microseconds.
SCHED_GAP_NS = 30_000


def _mix(x, rounds):
    for _ in range(rounds):
        x ^= (x << 13) & MASK
        x ^= x >> 7
        x ^= (x << 17) & MASK
        x = (x * 0xBF58476D1CE4E5B9) & MASK
    return x


def run_delay():
    """The calling thread's run-queue delay so far, in ns: the kernel's
    account of its time runnable, waiting for a CPU
    (/proc/thread-self/schedstat); None where the kernel keeps none."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as f:
            return int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None


def burn(rounds, segments=None, gaps=False, sched=None, chunk_ns=0):
    """Compute `rounds` rounds of mixing on the calling thread.

    Appends ("cpu", start, end) segments to `segments` if given; with
    gaps=True, a stretch in which the thread did not run (it was waiting
    for the GIL) becomes a "gil-wait" segment between two cpu ones, placed
    mid-chunk (the wait happened somewhere in it). With a `sched` list (a
    traced run), the step's scheduling goes there too: "on-cpu" but for the
    stretches off the CPU longer than SCHED_GAP_NS, of which the part the
    kernel counted as run-queue delay is "runnable", placed at the
    stretch's end (a thread woken with the GIL queues for a core then). Without gaps, a lone computing thread
    off its CPU can only be waiting for one: where the kernel keeps no
    run-queue delay, the whole stretch is runnable. chunk_ns, if given, is
    what a chunk's computing costs, to place a stretch in a chunk whose CPU
    time also holds the GIL's hand-over. Returns the thread's CPU time
    spent, in ns.
    """
    x = SEED ^ rounds
    start = t_prev = mono()
    c_start = c_prev = thread_cpu()
    seg_start = on_start = start
    d_prev = run_delay() if sched is not None else None
    look = segments is not None and (gaps or sched is not None)
    least = SCHED_GAP_NS if sched is not None else GAP_NS
    done = 0
    while done < rounds:
        n = min(CHUNK, rounds - done)
        x = _mix(x, n)
        done += n
        t, c = mono(), thread_cpu()
        ran = c - c_prev
        off = (t - t_prev) - ran
        if look and off > least:
            # The chunk's computing, half each side of the stretch: no more
            # than a chunk costs (chunk_ns, where known), since a thread
            # waiting for the GIL spends some CPU in the waiting itself.
            work = min(ran, chunk_ns) if chunk_ns else ran
            gap_start = t_prev + work // 2
            gap_end = t - (work - work // 2)
            queued = 0
            if sched is not None:
                d = run_delay()
                if d is not None and d_prev is not None:
                    queued = min(max(d - d_prev, 0), gap_end - gap_start)
                elif not gaps:
                    queued = gap_end - gap_start
                d_prev = d
                sched.append(seg("on-cpu", on_start, gap_start))
                if queued:
                    sched.append(seg("runnable", gap_end - queued, gap_end))
                on_start = gap_end
            if gaps and off > GAP_NS and gap_end - queued > gap_start:
                segments.append(seg("cpu", seg_start, gap_start))
                segments.append(seg("gil-wait", gap_start, gap_end - queued))
                seg_start = gap_end - queued
        t_prev, c_prev = t, c
    if segments is not None:
        segments.append(seg("cpu", seg_start, t_prev))
    if sched is not None:
        sched.append(seg("on-cpu", on_start, t_prev))
    _sink.append(x & 1)
    del _sink[:-1]
    return c_prev - c_start


_sink = [0]  # keeps the result of the mixing alive


def calibrate(trials=20, each_ns=10_000_000, pause_s=0.06):
    """Measure the cost of one round on this machine, in ns.

    Like the Go side's Calibrate: find a round count that takes about
    `each_ns`, then take the fastest of `trials` runs of it, the cost on an
    undisturbed core (noise can only lengthen a run). The trials are spread
    over a second and a half: on a shared machine the interpreter's speed
    can drop by 40% for a second at a time (Go's tight loop hardly
    notices), and the fastest trial should be a fast moment.
    """
    n = 64
    while True:
        t = mono()
        burn(n)
        el = mono() - t
        if el >= each_ns // 4:
            n = max(1, n * each_ns // max(el, 1))
            break
        n *= 4
    times = []
    for k in range(trials):
        if k:
            time.sleep(pause_s)
        t = mono()
        burn(n)
        times.append((mono() - t) / n)
    return {"ns_per_round": min(times), "slowest_ns_per_round": max(times),
            "chunk_rounds": CHUNK, "trial_rounds": n, "trials": trials}


def rounds_for(ns, ns_per_round):
    """The rounds that compute for about `ns` nanoseconds."""
    if ns <= 0:
        return 0
    return max(1, round(ns / ns_per_round))


# --- Spans -----------------------------------------------------------------


def seg(kind, start, end):
    return {"kind": kind, "start": start, "end": end}


def new_span(i):
    return {"task": i, "worker": -1, "queued": 0, "start": 0, "end": 0,
            "cpu_ns": 0, "segments": [], "sched": [], "error": ""}


# --- Step kinds ------------------------------------------------------------
#
# A step is a dict: {"kind": "cpu", "ns": N} computes for N ns (converted to
# rounds with the run's calibration); {"kind": "wait", "ns": N} sleeps N ns.
# ctx carries the calibration, whether to look for GIL waits, and whether
# the run is traced (its CPU steps' scheduling recorded in span["sched"]).


def cpu_sync(step, span, ctx):
    sched = span["sched"] if ctx.get("trace") else None
    span["cpu_ns"] += burn(rounds_for(step["ns"], ctx["ns_per_round"]),
                           span["segments"], ctx.get("gaps", False), sched,
                           round(CHUNK * ctx["ns_per_round"]))


def wait_sync(step, span, ctx):
    start = mono()
    time.sleep(step["ns"] / 1e9)  # releases the GIL
    span["segments"].append(seg("wait", start, mono()))


async def cpu_async(step, span, ctx):
    # No await inside: the whole step runs without yielding, and blocks the
    # event loop, as CPU-bound code in a coroutine does.
    cpu_sync(step, span, ctx)


async def wait_async(step, span, ctx):
    start = mono()
    await asyncio.sleep(step["ns"] / 1e9)
    span["segments"].append(seg("wait", start, mono()))


SYNC_STEPS = {"cpu": cpu_sync, "wait": wait_sync, "call": call_sync, "encode": encode_sync}
ASYNC_STEPS = {"cpu": offloadable(cpu_async), "wait": wait_async, "call": call_async, "encode": encode_async}


def unsupported(step):
    return "step kind %r is not supported by the cpython runner" % step.get("kind")


def run_steps(task, span, ctx):
    """Run a task's steps on the calling thread, filling in span."""
    for step in task["steps"]:
        fn = SYNC_STEPS.get(step["kind"])
        if fn is None:
            span["error"] = unsupported(step)
            return
        fn(step, span, ctx)
        if span["error"]:  # a failed step (a call) ends its task
            return


async def run_steps_async(task, span, ctx):
    """Run a task's steps as a coroutine, filling in span."""
    for step in task["steps"]:
        fn = ASYNC_STEPS.get(step["kind"])
        if fn is None:
            span["error"] = unsupported(step)
            return
        await fn(step, span, ctx)
        if span["error"]:  # a failed step (a call) ends its task
            return


# --- Worker processes ------------------------------------------------------
#
# These run in a ProcessPoolExecutor's workers: they must be module-level
# functions, so that they pickle by name.


def hello(pause_s):
    """Say which process this is and when it answered, after a pause that
    lets the pool's other workers take the other hellos."""
    at = mono()
    time.sleep(pause_s)
    return os.getpid(), at


def run_in_worker(i, task, ctx, payload):
    """Run task i in this worker process and return its span, with the
    worker's pid and peak memory. The payload comes back as the result, so
    that it crosses the pipe both ways, pickled."""
    span = new_span(i)
    span["start"] = mono()
    run_steps(task, span, ctx)
    span["end"] = mono()
    span["pid"] = os.getpid()
    span["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return span, payload
