"""newsflow.malloc keeps page-sized buffers out of glibc's heap."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc malloc only")

PROBE = """
import ctypes, sys
sys.path.insert(0, {root!r})
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                               "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
if {fix}:
    from newsflow import malloc
    assert malloc.fix_mmap_threshold()
page = bytes(4 << 20)  # a big page, mapped on its own; freeing it raises a dynamic threshold to 4 MiB
del page
before = libc.mallinfo2().hblkhd
page = bytes(300_000)  # the next page-sized buffer
print(libc.mallinfo2().hblkhd - before)
"""


def _mapped_bytes(fix: bool) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", PROBE.format(root=root, fix=fix)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return int(out)


def test_a_page_sized_buffer_gets_its_own_mapping_once_the_threshold_is_fixed() -> None:
    assert _mapped_bytes(fix=False) == 0  # glibc's default: after one big free, pages go to the heap
    assert _mapped_bytes(fix=True) >= 300_000


def test_the_users_malloc_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsflow import malloc

    monkeypatch.setattr(malloc, "_done", False)
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert malloc.fix_mmap_threshold() is False
