# boundlab's cProfile runner: runs a Python program as `python script.py`,
# `python -m module` or `python -c code` would, under the profiler that the
# standard library's cProfile is made of (_lsprof, wall-clock time), and at
# its exit writes the statistics as a pstats file and a tab-separated
# summary. A one-expression -c bootstrap (cprofile.go) loads this file into
# a namespace of its own, so that the program's __main__ is the
# interpreter's own.
#
# Arguments (after the bootstrap's): THIS_FILE OUTDIR MODE TARGET K LINE...,
# MODE one of script, module, code; LINE the command line as given after
# the interpreter (for sys.orig_argv), the program's arguments from its K-th
# word on.
#
# What the program sees is what it would see unprofiled: sys.argv,
# sys.path[0], sys.orig_argv, __main__ and its attributes, the exit status,
# tracebacks (without this file's frames), stdin and stdout. Until it exits
# this file imports nothing the interpreter has not already loaded at start
# (threading aside, which site has usually loaded), so that a module of the
# program's that shadows a standard one is still the one it gets.
#
# The profile covers every thread (before Python 3.12 through
# threading.setprofile: a profiler per thread, merged at the end; from 3.12
# one profiler sees them all) of the first process only: a forked child
# stops profiling, and only the process that started writes statistics. An
# exit through os._exit skips Python's exit handlers, so no statistics are
# written; the exit is recorded instead.

import sys

# The bootstrap ran as -c, so Python put "" (the working directory) first on
# sys.path; the program gets its own first entry below.
if not (getattr(sys.flags, "safe_path", False) or sys.flags.isolated) and sys.path[:1] == [""]:
    del sys.path[0]

import _lsprof
import atexit
import marshal
import os
import threading

HERE = __file__
OUT, MODE, TARGET = sys.argv[2:5]
LINE = sys.argv[6:]
ARGS = LINE[int(sys.argv[5]):]
PID = os.getpid()
PROFILERS = []  # the main thread's first
FORKS = [0]
INTERRUPTED = [False]
MAX_FUNCTIONS = 60


def write_lines(name, lines):
    path = os.path.join(OUT, name)
    with open(path + ".tmp", "w", encoding="utf-8", errors="surrogateescape") as f:
        for line in lines:
            f.write("\t".join(line) + "\n")
    os.replace(path + ".tmp", path)


def escape(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def start_thread_profiler(frame, event, arg):
    # threading calls this first thing in each new thread; the profiler it
    # enables replaces it as the thread's profile function.
    p = _lsprof.Profiler()
    PROFILERS.append(p)
    p.enable()


def after_fork_in_child():
    for p in PROFILERS:
        try:
            p.disable()
        except Exception:
            pass
    threading.setprofile(None)


def after_fork_in_parent():
    FORKS[0] += 1


real_os_exit = os._exit


def os_exit(status):
    if os.getpid() == PID:
        try:
            write_lines("exit.tsv", [("os_exit", str(status))])
        except Exception:
            pass
    real_os_exit(status)


def label(code):
    # pstats' key of a function: (file, first line, name); ("~", 0, name)
    # for one written in C.
    if isinstance(code, str):
        return ("~", 0, code)
    return (code.co_filename, code.co_firstlineno, code.co_name)


def snapshot(profiler):
    # The profiler's entries as pstats keeps them: func -> (primitive
    # calls, calls, own time, cumulative time, callers), callers func ->
    # (calls, primitive calls, own time, cumulative time).
    entries = profiler.getstats()
    stats, callers_of = {}, {}
    for e in entries:
        callers = {}
        callers_of[id(e.code)] = callers
        stats[label(e.code)] = (e.callcount - e.reccallcount, e.callcount, e.inlinetime, e.totaltime, callers)
    for e in entries:
        caller = label(e.code)
        for sub in e.calls or ():
            callers = callers_of.get(id(sub.code))
            if callers is None:
                continue
            edge = (sub.callcount, sub.callcount - sub.reccallcount, sub.inlinetime, sub.totaltime)
            old = callers.get(caller)
            callers[caller] = edge if old is None else tuple(a + b for a, b in zip(edge, old))
    return stats


def merge(into, stats):
    for func, (cc, nc, tt, ct, callers) in stats.items():
        old = into.get(func)
        if old is None:
            into[func] = (cc, nc, tt, ct, dict(callers))
            continue
        merged = dict(old[4])
        for c, edge in callers.items():
            prev = merged.get(c)
            merged[c] = edge if prev is None else tuple(a + b for a, b in zip(edge, prev))
        into[func] = (cc + old[0], nc + old[1], tt + old[2], ct + old[3], merged)


def ours(func):
    # This file's functions, and with -m runpy's that start the program.
    return func[0] == HERE or MODE == "module" and func[0] == "<frozen runpy>"


def drop_ours(stats):
    # Leave out this file's functions and the calls they made (the exec of
    # the program, the profiler's disable): what is left is the program's.
    for func in [f for f in stats if ours(f)]:
        del stats[func]
    for func, (cc, nc, tt, ct, callers) in list(stats.items()):
        mine = [c for c in callers if ours(c)]
        if not mine:
            continue
        for c in mine:
            enc, ecc, ett, ect = callers.pop(c)
            cc, nc, tt, ct = cc - ecc, nc - enc, tt - ett, ct - ect
        if nc <= 0:
            del stats[func]
        else:
            stats[func] = (cc, nc, max(tt, 0.0), max(ct, 0.0), callers)
    # Calls from functions left out leave their callees at the top.
    for _, _, _, _, callers in stats.values():
        for c in [c for c in callers if c not in stats]:
            del callers[c]


def finish():
    if os.getpid() != PID:
        return
    PROFILERS[0].disable()
    stats, threads = {}, 0
    for p in PROFILERS:
        s = snapshot(p)
        if s:
            threads += 1
            merge(stats, s)
    drop_ours(stats)
    with open(os.path.join(OUT, "profile.pstats"), "wb") as f:
        marshal.dump(stats, f)
    items = list(stats.items())
    keep = {}
    for col in (2, 3):
        for func, v in sorted(items, key=lambda kv: kv[1][col], reverse=True)[:MAX_FUNCTIONS]:
            keep[func] = v
    lines = [
        ("python", sys.version.split()[0]),
        ("total", repr(sum(v[2] for v in stats.values()))),
        ("threads", str(threads)),
        ("forks", str(FORKS[0])),
        ("functions", str(len(items))),
    ]
    for (file, line, name), (cc, nc, tt, ct, _) in keep.items():
        lines.append(("f", str(nc), str(cc), repr(tt), repr(ct), str(line), escape(file), escape(name), escape(short(file))))
    write_lines("profile.tsv", lines)


def short(file):
    # A file's path from the sys.path entry it is under (the longest), as
    # its module is named: multiprocessing/pool.py.
    best = file
    for p in sys.path:
        if p and file.startswith(p.rstrip(os.sep) + os.sep) and len(file) - len(p) < len(best):
            best = file[len(p.rstrip(os.sep)) + 1:]
    return best


def reraise_sigint():
    # After an unhandled KeyboardInterrupt Python ends by SIGINT, once its
    # exit handlers have run: registered first, this runs last.
    if INTERRUPTED[0] and os.getpid() == PID:
        import signal
        sys.stdout.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)


def path0():
    # What Python puts first on sys.path for the program, or None where it
    # puts nothing there (-P, -I, PYTHONSAFEPATH).
    if getattr(sys.flags, "safe_path", False) or sys.flags.isolated:
        return None
    if MODE == "script":
        return os.path.dirname(os.path.realpath(TARGET))
    if MODE == "module":
        return os.getcwd()
    return ""


def main():
    main_dict = sys.modules["__main__"].__dict__
    p0 = path0()
    if p0 is not None:
        sys.path.insert(0, p0)
    if MODE == "script":
        path = TARGET
        if sys.version_info >= (3, 9) and not os.path.isabs(TARGET):
            path = os.path.join(os.getcwd(), TARGET)
        with open(TARGET, "rb") as f:
            source = f.read()
        code = compile(source, path, "exec", dont_inherit=True)
        sys.argv[:] = [TARGET] + ARGS
        loader = sys.modules["_frozen_importlib_external"].SourceFileLoader("__main__", path)
        main_dict.update(__file__=path, __cached__=None, __loader__=loader)
    elif MODE == "module":
        # run() runs it as python -m does, through runpy.
        code = None
        sys.argv[:] = ["-m"] + ARGS
    else:
        code = compile(TARGET, "<string>", "exec", dont_inherit=True)
        sys.argv[:] = ["-c"] + ARGS
    if hasattr(sys, "orig_argv"):
        sys.orig_argv[1:] = LINE

    atexit.register(reraise_sigint)
    atexit.register(finish)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=after_fork_in_child, after_in_parent=after_fork_in_parent)
    os._exit = os_exit
    profiler = _lsprof.Profiler()
    PROFILERS.append(profiler)
    if sys.version_info < (3, 12):
        threading.setprofile(start_thread_profiler)
    profiler.enable()
    run(code, main_dict)


def run(code, main_dict):
    # Everything called from here on is the program's or is left out of
    # the profile as this file's.
    # As Python does, a script's __file__ goes once it has run, but not
    # before exit handlers run on sys.exit.
    try:
        if code is None:
            import runpy
            runpy._run_module_as_main(TARGET, True)
        else:
            exec(code, main_dict)
    except SystemExit:
        raise
    except BaseException as e:
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename == HERE:
            tb = tb.tb_next
        INTERRUPTED[0] = isinstance(e, KeyboardInterrupt)
        sys.excepthook(type(e), e.with_traceback(tb), tb)
        forget_file(main_dict)
        sys.exit(1)
    forget_file(main_dict)


def forget_file(main_dict):
    if MODE == "script":
        main_dict.pop("__file__", None)
        main_dict.pop("__cached__", None)


main()
