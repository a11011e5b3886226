"""CPU-heavy work never competes with the event loop: password hashing takes turns in one
low-priority thread, and a large document's zip directory is read in a helper process.
(How long other tabs wait meanwhile is measured by bench/event_stalls.py, not asserted here.)"""

from __future__ import annotations

import io
import os
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.unit import samples
from xobito_web.services import attachments, passwords
from xobito_web.services.errors import FileTypeRefused


class CountingHasher:
    """Stands in for Argon2: records how many run at once and at which CPU priority."""

    def __init__(self) -> None:
        self.running = self.most = 0
        self.priorities: set[int] = set()
        self.lock = threading.Lock()

    def _work(self) -> None:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.priorities.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        time.sleep(0.02)
        with self.lock:
            self.running -= 1

    def verify(self, password: str, hashed: str) -> bool:
        self._work()
        return password == "right"

    def hash(self, password: str) -> str:
        self._work()
        return "hashed"


def test_a_sign_in_storm_hashes_one_password_at_a_time_at_low_priority(monkeypatch):
    hasher = CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", hasher)
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda n: passwords.verify_password("right" if n % 2 else "wrong", "h"), range(20)))
        pool.submit(passwords.hash_password, "new password").result()
    assert results == [bool(n % 2) for n in range(20)]
    assert hasher.most == 1
    assert hasher.priorities == {passwords.LOW_PRIORITY}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) != passwords.LOW_PRIORITY


def many_entries_docx(entries: int) -> bytes:
    out = io.BytesIO(samples.docx())
    with zipfile.ZipFile(out, "a") as archive:
        for number in range(entries):
            archive.writestr(f"word/media/e{number}.xml", b"")
    return out.getvalue()


def test_a_document_with_a_huge_zip_directory_is_read_in_another_process(storage):
    staged = attachments.stage_bytes("big.docx", many_entries_docx(2_000))
    try:
        assert staged.name == "big.docx"
    finally:
        attachments.discard([staged])
    reader = attachments._zip_reader
    assert reader is not None and reader.submit(os.getpid).result() != os.getpid()


def test_an_impostor_docx_is_still_refused_by_the_helper(storage):
    impostor = io.BytesIO()
    with zipfile.ZipFile(impostor, "w") as archive:
        archive.writestr("hello.txt", b"not a document")
    with pytest.raises(FileTypeRefused):
        attachments.stage_bytes("letter.docx", impostor.getvalue())
