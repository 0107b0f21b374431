"""Ctrl-C stops wipeout.run cleanly: KeyboardInterrupt promptly, the file flushed and marked incomplete (as
`wipeout run` leaves it on SIGINT); a progress callback that raises stops the run the same way."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import wipeout

CHILD = textwrap.dedent("""
    import sys, wipeout
    def progress(p):
        if p.paths_done > 0:
            print("running", flush=True)
    try:
        wipeout.run(paths=10_000_000, threads=2, chunk_paths=256, output=sys.argv[1] or None,
                    progress=progress, progress_interval=0.1)
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
        sys.exit(3)
""")


def interrupt(output, env=None):
    child = subprocess.Popen([sys.executable, "-c", CHILD, output], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, **(env or {})})
    try:
        assert child.stdout.readline().strip() == "running"
        child.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, _ = child.communicate(timeout=60)
        return child.returncode, out, time.monotonic() - sent
    finally:
        child.kill()


def test_ctrl_c_marks_the_file_incomplete(tmp_path, cli):
    out = tmp_path / "long.h5"
    code, stdout, seconds = interrupt(str(out))
    assert code == 3 and "KeyboardInterrupt" in stdout
    assert seconds < 10, f"KeyboardInterrupt took {seconds:.1f} s"
    with pytest.raises(wipeout.InputError, match="incomplete results file .* allow_incomplete=True"):
        wipeout.open(out)
    ds = wipeout.open(out, allow_incomplete=True)
    assert ds.attrs["complete"] == 0 and 0 < ds.attrs["n_paths_done"] < 10_000_000
    assert ds.attrs["n_paths_done"] % 256 == 0 and ds.sizes["path"] == ds.attrs["n_paths_done"]
    assert "(INCOMPLETE)" in cli("summary", out).stdout


def test_ctrl_c_without_output_leaves_no_file(tmp_path):
    code, stdout, seconds = interrupt("", env={"TMPDIR": str(tmp_path)})
    assert code == 3 and "KeyboardInterrupt" in stdout and seconds < 10
    assert list(tmp_path.iterdir()) == []


def test_a_failing_progress_callback_stops_the_run(tmp_path):
    def progress(p):
        raise RuntimeError("stop here")

    out = tmp_path / "stopped.h5"
    with pytest.raises(RuntimeError, match="stop here"):
        wipeout.run(paths=10_000_000, threads=2, chunk_paths=256, output=out, progress=progress,
                    progress_interval=0.05)
    assert wipeout.open(out, allow_incomplete=True).attrs["complete"] == 0


def test_progress_reports():
    seen = []
    wipeout.run(paths=300, threads=2, chunk_paths=100, progress=seen.append, progress_interval=0.05)
    assert seen and seen[-1].paths_done == seen[-1].paths_total == 300
    assert all(isinstance(p, wipeout.RunProgress) for p in seen)


def test_the_gil_is_released_while_paths_run():
    import threading

    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.01)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        start = time.perf_counter()
        wipeout.run(paths=1500, threads=1, chunk_paths=1500)  # one chunk: no return to Python in between
        end = time.perf_counter()
    finally:
        done.set()
        counter.join()
    during = [t for t in ticks if start < t < end]
    assert len(during) >= 0.25 * (end - start) / 0.01, (len(during), end - start)  # sleeps overshoot under load
