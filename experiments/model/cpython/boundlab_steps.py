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
from boundlab_cpu import CHUNK, SCHED_GAP_NS, burn, calibrate, mono, rounds_for, seg, thread_cpu  # noqa: F401 (the steps' API)
from boundlab_encode import encode_async, encode_sync, offloadable

# --- Spans -----------------------------------------------------------------


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
