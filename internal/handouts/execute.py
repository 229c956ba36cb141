"""Execute one notebook for `boundlab handouts`, with nbclient.

Usage: python3 execute.py SOURCE.ipynb EXECUTED.ipynb WORKDIR [GATE]

Runs every cell of SOURCE on the kernel its metadata names, with WORKDIR as
the kernel's working directory (GoNB's GONB_DIR), and writes the executed
notebook to EXECUTED. With GATE, a cell index, the first code cell from
GATE on waits, before it runs, for a line on standard input: the cells
above it (the set-up, which measures nothing) run while the build finishes
the previous notebook. Progress goes to standard output as JSON lines:

  {"event": "start", "cells": N, "kernel": NAME}
  {"event": "kernel_ready"}
  {"event": "waiting", "index": I}
  {"event": "cell_start", "index": I}
  {"event": "cell_progress", "index": I, "text": TEXT}
  {"event": "cell_end", "index": I, "seconds": S, "status": "ok", "outputs": [...]}
  {"event": "done"}
  {"event": "fatal", "error": TEXT}

"cell_progress" is the running cell's own progress bar as text (the
text/plain form of the display kernel.Run updates in place, whose display
id begins with "boundlab_progress_"), at most four times a second.

The events get a descriptor of their own: the kernel and everything it
starts inherit standard output pointed at standard error, so a process left
behind cannot hold the event stream open. SIGTERM (or SIGINT) shuts the
kernel down (nbclient's handler) and ends the run.
"""
import json
import os
import sys
import time

# The event stream: a private copy of standard output, not inherited by
# the kernel (os.dup makes a descriptor that is closed on exec).
_events = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr


# The display id of kernel.Run's progress bar begins with this (see
# progressIDPrefix in kernel/run.go).
PROGRESS_ID = "boundlab_progress_"


def emit(event, **fields):
    fields["event"] = event
    _events.write(json.dumps(fields) + "\n")
    _events.flush()


def main(argv):
    if len(argv) not in (4, 5):
        emit("fatal", error="usage: execute.py SOURCE EXECUTED WORKDIR [GATE]")
        return 2
    src, dst, workdir = argv[1], argv[2], argv[3]
    gate = {"index": int(argv[4]) if len(argv) == 5 else None}
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError as e:
        emit("fatal", error="%s cannot import nbformat and nbclient: %s" % (sys.executable, e))
        return 3
    nb = nbformat.read(src, as_version=4)
    kernel = (nb.metadata.get("kernelspec") or {}).get("name")
    if not kernel:
        emit("fatal", error="the notebook names no kernel (metadata.kernelspec.name)")
        return 3

    started = {}

    def runs(cell):
        return cell.cell_type == "code" and cell.source.strip() != ""

    def on_notebook_start(**_):
        emit("kernel_ready")

    def on_cell_start(cell, cell_index, **_):
        if runs(cell):
            if gate["index"] is not None and cell_index >= gate["index"]:
                gate["index"] = None
                emit("waiting", index=cell_index)
                sys.stdin.readline()
            started[cell_index] = time.monotonic()
            emit("cell_start", index=cell_index)

    def on_cell_executed(cell, cell_index, execute_reply=None, **_):
        content = (execute_reply or {}).get("content") or {}
        emit("cell_end", index=cell_index,
             seconds=time.monotonic() - started.get(cell_index, time.monotonic()),
             status=content.get("status", ""), outputs=cell.get("outputs", []))

    progress = {"at": 0.0}

    class Client(NotebookClient):
        def process_message(self, msg, cell, cell_index):
            if msg["msg_type"] in ("display_data", "update_display_data"):
                report_progress(msg["content"], cell_index)
            return super().process_message(msg, cell, cell_index)

    def report_progress(content, cell_index):
        display = (content.get("transient") or {}).get("display_id") or ""
        text = (content.get("data") or {}).get("text/plain")
        now = time.monotonic()
        if display.startswith(PROGRESS_ID) and text and now - progress["at"] >= 0.25:
            progress["at"] = now
            emit("cell_progress", index=cell_index, text=text)

    client = Client(
        nb,
        kernel_name=kernel,
        timeout=None,  # boundlab handouts --timeout limits the whole notebook
        startup_timeout=180,
        allow_errors=True,  # boundlab decides what fails, and stops the run
        resources={"metadata": {"path": workdir}},
        on_notebook_start=on_notebook_start,
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    emit("start", cells=len(nb.cells), kernel=kernel)
    try:
        client.execute()
    except BaseException as e:  # DeadKernelError after SIGTERM, a kernel that never started, ...
        emit("fatal", error="%s: %s" % (type(e).__name__, e))
        return 1
    nbformat.write(nb, dst)
    emit("done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
