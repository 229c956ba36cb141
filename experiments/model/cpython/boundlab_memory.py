"""What live asyncio tasks hold in memory, as CPython counts it.

The Go side (experiments/model/cpython_memory.go) asks for

    {"mode": "memory", "live": N}

and gets back, for N tasks created with loop.create_task, gathered with
asyncio.gather, and each run to its first await (asyncio.sleep of an
hour), the memory they hold once all of them are alive at once:

    rss_bytes      the resident memory added (a first pass, tracemalloc off)
    create_ns      the time to create them and run each to its await
    traced_bytes   what tracemalloc counts as allocated by the tasks (a
                   second pass, tracemalloc on: it slows allocation)
    sites          per type of object, the objects added and their bytes
                   (sys.getsizeof, gc.get_objects): the lecture's coroutine
                   objects, Task wrappers, futures, and what else there is

Both passes follow a gc.collect(), and both end by cancelling the tasks.
Standard library only.
"""

import asyncio
import gc
import sys
import time
import tracemalloc

mono = time.monotonic_ns


def rss():
    """This process's resident memory in bytes (Linux), or 0."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


async def _waiter():
    await asyncio.sleep(3600)


def by_type():
    """Objects the garbage collector tracks, counted and sized by type."""
    out = {}
    for o in gc.get_objects():
        t = type(o)
        name = t.__module__ + "." + t.__qualname__ if t.__module__ not in ("builtins",) else t.__qualname__
        n, b = out.get(name, (0, 0))
        out[name] = (n + 1, b + sys.getsizeof(o))
    return out


async def _pass(n, measure):
    """Create n tasks, let each reach its await, measure, cancel them."""
    loop = asyncio.get_running_loop()
    gc.collect()
    before = measure()
    t0 = mono()
    tasks = [loop.create_task(_waiter()) for _ in range(n)]
    gathered = asyncio.gather(*tasks)
    # One trip round the loop: every task's first step was scheduled
    # before this coroutine's wake-up, so each runs to its await first.
    await asyncio.sleep(0)
    created = mono() - t0
    gc.collect()
    after = measure()
    gathered.cancel()
    try:
        await gathered
    except asyncio.CancelledError:
        pass
    del tasks, gathered
    gc.collect()
    return before, after, created


def run(req):
    n = int(req["live"])

    # Pass 1: resident memory, nothing slowing allocation down.
    r0, r1, created = asyncio.run(_pass(n, rss))

    # Pass 2: tracemalloc's count, and the objects by type.
    def traced():
        return tracemalloc.get_traced_memory()[0], by_type()

    tracemalloc.start()
    (t0, k0), (t1, k1), _ = asyncio.run(_pass(n, traced))
    tracemalloc.stop()

    sites = []
    for name, (cnt, size) in k1.items():
        c0, s0 = k0.get(name, (0, 0))
        dn, db = cnt - c0, size - s0
        # Types of which the tasks added at least one object per ten tasks.
        if dn * 10 >= n and db > 0:
            sites.append({"site": name, "bytes": db, "objects": dn})
    sites.sort(key=lambda s: -s["bytes"])
    return {
        "tasks": n,
        "rss_bytes": r1 - r0,
        "create_ns": created,
        "traced_bytes": t1 - t0,
        "sites": sites,
        "version": sys.version.split()[0],
    }
