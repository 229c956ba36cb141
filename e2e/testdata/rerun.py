"""Rerun a notebook's experiment cell in one warm kernel, with nbclient.

Usage: python3 rerun.py CONFIG.json

CONFIG holds {"notebook": PATH, "workdir": DIR, "match": TEXT,
"lines": [LINE, ...], "kernel_args": [ARG, ...], "events": PATH} and
optionally "after": SOURCE. The script starts the notebook's kernel (with
kernel_args after the kernel spec's own), runs every code cell above the
first one containing TEXT, then runs that cell once per LINE with its first
line replaced by LINE, each time followed by a cell of SOURCE if given. For
each run it appends one JSON line to the events file:

  {"event": "run", "index": I, "line": LINE, "sent": T, "reply": T,
   "idle": T, "status": S, "messages": [[T, TYPE], ...], "errors": [...],
   "texts": [...], "after": [...]}

("texts" are the cell's outputs as text, "after" the after cell's.)

with times in Unix seconds (time.time(), the clock the kernel's log and
the cell program's phase log use too): "sent" just before nbclient sends
the execute request, "reply" when the execute reply came back, "idle" when
the kernel said it was idle again, and each IOPub message as it arrived.
The kernel inherits standard error, so its log goes where this script's
standard error goes. "ready" comes before the first run, "done" after the
last, "fatal" with an "error" when the runs cannot go on.
"""
import json
import sys
import time


def main(argv):
    import nbformat
    from nbclient import NotebookClient

    with open(argv[1], encoding="utf-8") as f:
        cfg = json.load(f)
    events = open(cfg["events"], "a", encoding="utf-8")

    def emit(event, **fields):
        fields["event"] = event
        events.write(json.dumps(fields) + "\n")
        events.flush()

    nb = nbformat.read(cfg["notebook"], as_version=4)
    target = next((i for i, c in enumerate(nb.cells)
                   if c.cell_type == "code" and cfg["match"] in c.source), None)
    if target is None:
        emit("fatal", error="no code cell contains %r" % cfg["match"])
        return 1
    body = nb.cells[target].source.split("\n", 1)[1]

    run = {}

    class Client(NotebookClient):
        def process_message(self, msg, cell, cell_index):
            if cell_index == target:
                now = time.time()
                run["messages"].append([now, msg["msg_type"]])
                if msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                    run["idle"] = now
            return super().process_message(msg, cell, cell_index)

    def on_cell_execute(cell_index, **_):
        if cell_index == target:
            run["sent"] = time.time()

    def on_cell_executed(cell_index, execute_reply=None, **_):
        if cell_index == target:
            run["reply"] = time.time()
            run["status"] = ((execute_reply or {}).get("content") or {}).get("status", "")

    client = Client(nb, kernel_name=nb.metadata["kernelspec"]["name"], timeout=None,
                    startup_timeout=180, allow_errors=True,
                    extra_arguments=cfg.get("kernel_args") or [],
                    resources={"metadata": {"path": cfg["workdir"]}},
                    on_cell_execute=on_cell_execute, on_cell_executed=on_cell_executed)
    with client.setup_kernel():
        for i in range(target):
            if nb.cells[i].cell_type == "code" and nb.cells[i].source.strip():
                client.execute_cell(nb.cells[i], i)
                errors = problems(nb.cells[i])
                if errors:
                    emit("fatal", error="cell %d: %s" % (i + 1, errors[0]))
                    return 1
        emit("ready")
        for k, line in enumerate(cfg["lines"]):
            cell = nb.cells[target]
            cell.source = line + "\n" + body
            run.clear()
            run["messages"] = []
            client.execute_cell(cell, target)
            after = []
            if cfg.get("after"):
                extra = nbformat.v4.new_code_cell(cfg["after"])
                client.execute_cell(extra, target + 1)
                after = texts(extra)
            emit("run", index=k, line=line, errors=problems(cell), texts=texts(cell), after=after, **run)
    emit("done")
    return 0


def problems(cell):
    """The text of a cell's error and standard-error outputs."""
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            out.append("%s: %s" % (o.get("ename"), o.get("evalue")))
        elif o.get("output_type") == "stream" and o.get("name") == "stderr":
            out.append(o.get("text", "").strip()[:300])
    return out


def texts(cell):
    """The cell's outputs as text: streams, and HTML with its tags removed."""
    import html
    import re
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            out.append(o.get("text", ""))
        elif o.get("output_type") in ("display_data", "execute_result", "update_display_data"):
            data = o.get("data", {})
            h = data.get("text/html")
            if isinstance(h, list):
                h = "".join(h)
            out.append(html.unescape(re.sub(r"<[^>]*>", "", h)) if h else data.get("text/plain", ""))
        elif o.get("output_type") == "error":
            out.append("%s: %s" % (o.get("ename"), o.get("evalue")))
    return [t for t in out if t]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
