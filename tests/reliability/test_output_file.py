"""Atomic writes: a failed or killed writer leaves the old file whole and no partial file in its place."""

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workloads.errors import WorkloadError
from workloads.output_file import atomic_write, check_output_path

ROOT = Path(__file__).resolve().parents[2]


def test_a_write_that_fails_midway_keeps_the_old_file(tmp_path):
    target = tmp_path / "w.npz"
    target.write_bytes(b"old contents")

    def half_then_disk_full(handle):
        handle.write(b"new, half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(WorkloadError, match="No space left on device"):
        atomic_write(target, half_then_disk_full, "weights file")
    assert target.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]


def test_a_write_replaces_the_file_and_keeps_its_mode(tmp_path):
    target = tmp_path / "t.json"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write(target, lambda handle: handle.write(b"new"))
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_writer_killed_with_sigkill_leaves_the_old_file(tmp_path):
    target = tmp_path / "trace.json"
    target.write_text("old, complete")
    code = (
        "import sys, time\n"
        "from workloads.output_file import atomic_write\n"
        "def slow(handle):\n"
        "    handle.write(b'partial')\n"
        "    handle.flush()\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(60)\n"
        f"atomic_write({str(target)!r}, slow)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert target.read_text() == "old, complete"  # the partial bytes are in a temporary file only


def test_check_output_path_refuses_what_cannot_be_a_file(tmp_path):
    for path, why in ((tmp_path, "a directory"), (Path("/dev/zero"), "a device")):
        with pytest.raises(WorkloadError, match=why):
            check_output_path(path, "--trace")
    with pytest.raises(WorkloadError, match=r"\.png"):
        check_output_path(tmp_path / "plot.bmp", "--plot", (".png",))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_a_folder_without_write_permission_is_refused_before_writing(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(WorkloadError, match="writable folder"):
            check_output_path(folder / "t.json", "--trace")
    finally:
        folder.chmod(0o700)
