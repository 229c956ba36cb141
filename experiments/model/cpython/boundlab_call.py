"""The call step of a boundlab task, as CPython runs it.

A call is one request to a loopback server over a new TCP connection:
connect, send one line, read the answering line, close. There is no
connection pool: each call holds a socket of its own while it lasts. Its
step is {"kind": "call", "addr": "127.0.0.1:PORT", "ns": TIMEOUT_NS}; the
timeout bounds the whole call, connecting included.

A call that fails does not raise: it sets the span's "error" and
"error_kind" (the same kinds as the Go side's model.ErrKind), and the task
ends there while the rest of the batch goes on.

Imported by boundlab_steps; standard library only.
"""

import asyncio
import errno
import socket
import time

mono = time.monotonic_ns

REQUEST = b"boundlab call\n"
MAX_RESPONSE = 512


def seg(kind, start, end):
    return {"kind": kind, "start": start, "end": end}


def classify(exc):
    """The kind of a call's error, as model.Classify names them."""
    if isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE):
        return "too-many-open-files"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (socket.timeout, TimeoutError, asyncio.TimeoutError)):
        return "timeout"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError,
                        EOFError, asyncio.IncompleteReadError)):
        return "reset"
    return "other"


def _fail(span, step, exc):
    span["error"] = "call %s: %s" % (step["addr"], str(exc) or type(exc).__name__)
    span["error_kind"] = classify(exc)


def _split(addr):
    host, port = addr.rsplit(":", 1)
    return host, int(port)


def call_sync(step, span, ctx):
    """The call with a blocking socket: the GIL is released while it waits
    (in connect, send and recv), as for any of CPython's socket calls."""
    host, port = _split(step["addr"])
    timeout = step["ns"] / 1e9
    deadline = time.monotonic() + timeout
    start = mono()
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(max(deadline - time.monotonic(), 1e-6))
            s.sendall(REQUEST)
            buf = b""
            while b"\n" not in buf:
                s.settimeout(max(deadline - time.monotonic(), 1e-6))
                chunk = s.recv(MAX_RESPONSE)
                if not chunk:
                    raise EOFError("the server closed the connection before answering")
                buf += chunk
    except Exception as e:  # a failed call fails its task only
        _fail(span, step, e)
    span["segments"].append(seg("call", start, mono()))


async def call_async(step, span, ctx):
    """The call with asyncio.open_connection under asyncio.wait_for: the
    task yields to the loop while it connects and while it waits for the
    answer."""
    host, port = _split(step["addr"])
    start = mono()
    streams = []

    async def exchange():
        reader, writer = await asyncio.open_connection(host, port)
        streams.append(writer)
        writer.write(REQUEST)
        await writer.drain()
        line = await reader.readline()
        if not line.endswith(b"\n"):
            raise EOFError("the server closed the connection before answering")

    try:
        await asyncio.wait_for(exchange(), step["ns"] / 1e9)
    except Exception as e:  # a failed call fails its task only
        _fail(span, step, e)
    finally:
        for w in streams:
            w.close()
    span["segments"].append(seg("call", start, mono()))
