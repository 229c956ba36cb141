"""The encode step of a boundlab task, and run_in_executor, as CPython runs them.

An encode step is {"kind": "encode", "bytes": N}: json.dumps of a nested
document of about N bytes (a page of customer records with strings,
numbers, booleans and nested lists of orders and items), the same shape as
the Go side's model.Encode. The document is built once per size in each
process, before the clock starts (prepare_documents); the step encodes it
afresh each time. The C encoder holds the GIL from start to end.

A cpu or encode step with "offload": "threads" (or "gil-threads") or
"processes" runs, on the asyncio flavor, through loop.run_in_executor with
a ThreadPoolExecutor or a ProcessPoolExecutor: the task awaits the result
while the loop goes on. The pools are started, and a process pool's
workers have answered, before the clock starts (start_executors); their
size is the request's "executor" (0: os.cpu_count()). The other flavors
run offloaded steps in place: they have no loop to keep free.

Imported by boundlab_steps and by worker processes; standard library only.
"""

import asyncio
import json
import os
import random
import time

mono = time.monotonic_ns
thread_cpu = time.thread_time_ns

_WORDS = ["alpha", "bravo", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper",
          "kestrel", "lumen", "maple", "nectar", "onyx", "prairie", "quartz", "raven", "sierra", "tundra"]
_CITIES = ["Lisbon", "Osaka", "Toronto", "Nairobi", "Lima", "Tallinn", "Perth", "Bergen"]
_COUNTRIES = ["PT", "JP", "CA", "KE", "PE", "EE", "AU", "NO"]
_STATUS = ["placed", "paid", "shipped", "delivered", "returned"]

_docs = {}


def document(n):
    """The document for n bytes: records until their JSON reaches n."""
    doc = _docs.get(n)
    if doc is not None:
        return doc
    rng = random.Random(n)
    word = lambda: rng.choice(_WORDS)  # noqa: E731
    records, size, i = [], 2, 0
    while size < n or not records:
        i += 1
        first, last = word(), word()
        orders = []
        for o in range(1 + rng.randrange(3)):
            items = [{"sku": "%s-%04d" % (word(), rng.randrange(10000)), "qty": 1 + rng.randrange(5),
                      "price": int(rng.random() * 20000) / 100} for _ in range(1 + rng.randrange(4))]
            orders.append({"id": i * 10 + o,
                           "placed": "2024-%02d-%02dT%02d:%02d:00Z" % (1 + rng.randrange(12), 1 + rng.randrange(28),
                                                                       rng.randrange(24), rng.randrange(60)),
                           "status": rng.choice(_STATUS),
                           "total": sum(it["qty"] * it["price"] for it in items),
                           "items": items})
        rec = {"id": i, "name": first + " " + last, "email": "%s.%s%d@example.com" % (first, last, i),
               "active": rng.randrange(4) != 0, "score": rng.random() * 100,
               "tags": [word(), word(), "tier-%d" % rng.randrange(5)],
               "address": {"street": "%d %s street" % (1 + rng.randrange(999), word()),
                           "city": rng.choice(_CITIES), "country": rng.choice(_COUNTRIES),
                           "zip": "%05d" % rng.randrange(100000),
                           "lat": rng.random() * 180 - 90, "lon": rng.random() * 360 - 180},
               "orders": orders}
        size += len(json.dumps(rec, separators=(",", ":"))) + (1 if records else 0)
        records.append(rec)
    _docs[n] = records
    return records


def encode_job(n):
    """Encode the document for n bytes on the calling thread or process:
    returns (start, end, thread CPU ns, the JSON). A module-level function,
    so that a process pool can run it by name."""
    doc = document(n)
    start, c0 = mono(), thread_cpu()
    out = json.dumps(doc, separators=(",", ":"))
    return start, mono(), thread_cpu() - c0, out


def cpu_job(rounds):
    """Compute rounds of the CPU loop: returns (start, end, thread CPU ns)."""
    import boundlab_steps  # here, not at import: boundlab_steps imports this module

    start = mono()
    cpu = boundlab_steps.burn(rounds)
    return start, mono(), cpu, None


def _seg(kind, start, end):
    return {"kind": kind, "start": start, "end": end}


def encode_sync(step, span, ctx):
    start, end, cpu, _ = encode_job(step["bytes"])
    span["cpu_ns"] += cpu
    span["segments"].append(_seg("encode", start, end))


async def encode_async(step, span, ctx):
    if step.get("offload"):
        await _offloaded(step, span, ctx, encode_job, step["bytes"])
        return
    encode_sync(step, span, ctx)  # no await: it blocks the loop


def offloadable(inline):
    """Wrap an async cpu step so that an offloaded one runs in an executor."""
    async def step_fn(step, span, ctx):
        if step.get("offload"):
            import boundlab_steps

            await _offloaded(step, span, ctx, cpu_job, boundlab_steps.rounds_for(step["ns"], ctx["ns_per_round"]))
            return
        await inline(step, span, ctx)
    return step_fn


async def _offloaded(step, span, ctx, job, arg):
    """loop.run_in_executor(pool, job, arg): the task awaits; the loop runs."""
    pools = ctx.get("executors") or {}
    pool = pools.get(_pool_kind(step["offload"]))
    if pool is None:
        span["error"] = "no %s executor for an offloaded step" % step["offload"]
        return
    loop = asyncio.get_running_loop()
    start, end, cpu, _ = await loop.run_in_executor(pool, job, arg)
    span["cpu_ns"] += cpu
    span["segments"].append(_seg(step["kind"], start, end))


def _pool_kind(offload):
    # CPython's threads all share the GIL: "gil-threads" is what "threads"
    # are here.
    return "processes" if offload == "processes" else "threads"


def _hello(pause_s):
    time.sleep(pause_s)
    return os.getpid()


def _prepare(n, pause_s):
    """Build the document for n bytes in this worker, then pause so that
    the pool's other workers take the other requests."""
    document(n)
    time.sleep(pause_s)


def prepare_documents(tasks):
    """Build, before the clock, the document of every encode step's size,
    and encode each once (growing the interpreter's buffers): a step then
    times only its json.dumps, as the Go side's PrepareEncode arranges. A
    process pool's workers build theirs in start_executors."""
    for n in sorted({s["bytes"] for t in tasks for s in t["steps"] if s.get("kind") == "encode"}):
        json.dumps(document(n), separators=(",", ":"))


def start_executors(tasks, req):
    """The pools the batch's offloaded steps need, started before the clock;
    for a process pool, each worker has answered and built the documents."""
    kinds = {_pool_kind(s["offload"]) for t in tasks for s in t["steps"] if s.get("offload")}
    if not kinds:
        return {}
    size = req.get("executor") or os.cpu_count() or 1
    sizes = sorted({s["bytes"] for t in tasks for s in t["steps"] if s.get("kind") == "encode" and s.get("offload")})
    pools = {}
    if "threads" in kinds:
        from concurrent.futures import ThreadPoolExecutor
        pools["threads"] = ThreadPoolExecutor(max_workers=size)
        for n in sizes:
            document(n)
    if "processes" in kinds:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, wait
        mp = multiprocessing.get_context(req.get("start_method") or None)
        pool = ProcessPoolExecutor(max_workers=size, mp_context=mp)
        wait([pool.submit(_hello, 0.05) for _ in range(size)])
        for n in sizes:
            wait([pool.submit(_prepare, n, 0.05) for _ in range(size)])
        pools["processes"] = pool
    return pools


def stop_executors(pools):
    for pool in (pools or {}).values():
        pool.shutdown(wait=True)
