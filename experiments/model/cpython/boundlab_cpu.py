"""The CPU work of a boundlab task, as CPython runs it, and its calibration.

Apart from boundlab_steps so that a probe (which runs in every notebook
cell that uses the cpython model) imports no more than it needs: asyncio
alone takes longer to import than a re-check of the calibration takes to
run. Standard library only; nothing runs at import time.
"""

import time

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


# A segment of a task's span: what it did from start to end.
def seg(kind, start, end):
    return {"kind": kind, "start": start, "end": end}
