"""Attachments: receive, check, store and find the files of a message (docs/product.md
"Attachments", "Replies").

The flow, in three steps:

1. **Stage** each uploaded file as it arrives: `stage_upload` (an `rx.UploadFile` or any object
   with an async `read(size)`), `stage_chunk_stream` (Reflex's streamed `rx.UploadChunkIterator`),
   `stage_chunks` / `stage_bytes` (plain bytes, for tests and scripts). The bytes go in chunks to
   a temporary file under `<storage root>/tmp/`, counted and hashed on the way; reading stops
   as soon as a file passes 10 MB, so no more than one chunk is ever held in memory. The name
   is cleaned and the type judged by extension **and** by content (puremagic, plus a zip
   directory check for .docx/.zip and a UTF-8 check for .txt). Any refusal raises
   InvalidInput naming the file, and the temporary file is removed.
2. **Attach** the staged files inside the message's transaction (`attach_files`, called by
   tickets.create_ticket / post_reply): each file is moved to
   `<storage root>/tickets/{workspace_id}/replies/<random name>` and its row added. If that
   transaction does not commit, the moved files are deleted again (session events), so a failed
   commit leaves neither a row nor a file.
3. **Find** a file for download (`get_attachment_for_download`): only for a ticket the user may
   see, only an attachment of that ticket and workspace; anything else is NotFound.

Whoever stages files owns the temporary copies until they are attached: call `discard(files)` in
a `finally` (it skips files that were moved into place).

Plain Python: never imports reflex.
"""

from __future__ import annotations

import asyncio
import codecs
import hashlib
import io
import multiprocessing
import os
import secrets
import shutil
import tempfile
import threading
import time
import unicodedata
import zipfile
from collections.abc import AsyncIterable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import puremagic
from sqlalchemy import event, insert
from sqlmodel import Session, col, select

from xobito_web.config import settings
from xobito_web.models import Attachment, Reply, utcnow
from xobito_web.services.access import visible_ticket_id
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import FileTooLarge, FileTypeRefused, InvalidInput, NotFound
from xobito_web.services.ids import as_id

MAX_FILE_SIZE = 10 * 1024 * 1024  # bytes, per file
MAX_FILES = 10  # per message
MAX_NAME_LENGTH = 255  # characters, the column's size
CHUNK_SIZE = 256 * 1024  # what is read (and held) at a time
FIELD = "attachments"  # the form field named by every InvalidInput here
FALLBACK_STEM = "attachment"
TOO_MANY_FILES = f"Attach at most {MAX_FILES} files to one message."


# --- The allowed types -------------------------------------------------------------------


@dataclass(frozen=True)
class FileKind:
    label: str  # in "… is not a PDF file."
    content_type: str  # what is stored and served
    sniffed_as: frozenset[str]  # puremagic extensions that prove it (empty: text, checked apart)
    inline: bool = False  # may be shown in the page (image previews)


_JPEG = FileKind("JPEG image", "image/jpeg", frozenset({".jpg", ".jpeg", ".jpe", ".jfif"}), inline=True)
KINDS: dict[str, FileKind] = {
    "jpg": _JPEG,
    "jpeg": _JPEG,
    "png": FileKind("PNG image", "image/png", frozenset({".png"}), inline=True),
    "gif": FileKind("GIF image", "image/gif", frozenset({".gif"}), inline=True),
    "pdf": FileKind("PDF file", "application/pdf", frozenset({".pdf"})),
    # OLE2 compound file (Word 97-2003); puremagic files that signature under .doc.
    "doc": FileKind("Word document", "application/msword", frozenset({".doc"})),
    # A zip (PK header) that also holds word/document.xml, checked with zipfile below.
    "docx": FileKind(
        "Word document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        frozenset({".docx", ".zip"}),
    ),
    "txt": FileKind("UTF-8 text file", "text/plain; charset=utf-8", frozenset()),
    "zip": FileKind("ZIP archive", "application/zip", frozenset({".zip"})),
}
ALLOWED_EXTENSIONS = tuple(KINDS)
INLINE_CONTENT_TYPES = frozenset(kind.content_type for kind in KINDS.values() if kind.inline)
# What a text file must not turn out to be (a PDF or a GIF can be plain ASCII at the start).
_BINARY_SIGNATURES = frozenset().union(*(kind.sniffed_as for kind in KINDS.values()))


# --- Records -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentRecord:
    """One file of a message, as the thread shows it (safe to keep in UI state)."""

    id: int
    name: str
    size: int
    content_type: str

    @property
    def is_image(self) -> bool:
        """May be previewed inline (jpg, png, gif)."""
        return self.content_type in INLINE_CONTENT_TYPES


@dataclass(frozen=True)
class StagedFile:
    """A received and checked file, waiting in a temporary file to be attached to a message."""

    name: str  # the cleaned original name
    path: Path  # the temporary file under <storage root>/tmp/
    size: int
    sha256: str
    content_type: str

    @property
    def extension(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower()


# --- Names -------------------------------------------------------------------------------


def clean_name(raw: str | None) -> str:
    """A name safe to store and show: no folders, no control or invisible format characters,
    no leading dots, at most 255 characters with the extension kept; "attachment.<ext>" when
    nothing else is left.
    """
    text = unicodedata.normalize("NFC", str(raw or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]  # the last path segment, any OS
    # Cc: control characters (NUL, newlines…); Cf: invisible format characters such as the
    # right-to-left override that makes "gpj.exe" look like "exe.jpg".
    text = "".join(" " if char in "\t\n\r" else char for char in text)
    text = "".join(char for char in text if unicodedata.category(char) not in ("Cc", "Cf"))
    text = " ".join(text.split())  # no runs of spaces, none at either end
    stem, dot, extension = text.rpartition(".")
    if not dot:
        stem, extension = text, ""
    stem = stem.lstrip(". ").rstrip(". ")
    extension = extension.strip()
    suffix = f".{extension}" if extension else ""
    if len(suffix) > 32:  # not an extension at all, just a long name with a dot in it
        stem, suffix = f"{stem}.{extension}" if stem else extension, ""
    stem = (stem or FALLBACK_STEM)[: MAX_NAME_LENGTH - len(suffix)].rstrip(". ") or FALLBACK_STEM
    return f"{stem}{suffix}"


def _quoted(name: str) -> str:
    return f'"{name}"'


def _kind_of(name: str) -> FileKind:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = KINDS.get(extension)
    if kind is None:
        allowed = ", ".join(ALLOWED_EXTENSIONS)
        raise FileTypeRefused(f"{_quoted(name)} is not an allowed file type. Allowed: {allowed}.", FIELD)
    return kind


# --- Staging -----------------------------------------------------------------------------


def temp_dir(storage_root: Path | None = None) -> Path:
    return Path(storage_root or settings.storage_root) / "tmp"


def storage_dir(workspace_id: int, storage_root: Path | None = None) -> Path:
    return Path(storage_root or settings.storage_root) / "tickets" / str(int(workspace_id)) / "replies"


class _Receiver:
    """Writes one file's chunks to a temporary file, counting, hashing and checking as it goes."""

    def __init__(self, raw_name: str | None, storage_root: Path | None):
        self.name = clean_name(raw_name)
        self.kind = _kind_of(self.name)  # refused before a byte is read
        folder = temp_dir(storage_root)
        folder.mkdir(parents=True, exist_ok=True)
        handle, path = tempfile.mkstemp(dir=folder, prefix="upload-", suffix=".part")
        self.path = Path(path)
        self.file = os.fdopen(handle, "wb")
        self.size = 0
        self.digest = hashlib.sha256()
        self.text = (
            codecs.getincrementaldecoder("utf-8")("strict") if self.kind.content_type.startswith("text/") else None
        )

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if self.size > MAX_FILE_SIZE:
            raise self.refuse(f"{_quoted(self.name)} is larger than {MAX_FILE_SIZE // (1024 * 1024)} MB.", FileTooLarge)
        if self.text is not None:
            self._check_text(chunk, final=False)
        self.digest.update(chunk)
        self.file.write(chunk)

    def finish(self) -> StagedFile:
        self.file.close()
        if self.size == 0:
            raise self.refuse(f"{_quoted(self.name)} is empty.")
        if self.text is not None:
            self._check_text(b"", final=True)
        if not _content_matches(self.path, self.kind):
            raise self.refuse(f"{_quoted(self.name)} is not a {self.kind.label}.", FileTypeRefused)
        return StagedFile(
            name=self.name,
            path=self.path,
            size=self.size,
            sha256=self.digest.hexdigest(),
            content_type=self.kind.content_type,
        )

    def _check_text(self, chunk: bytes, final: bool) -> None:
        if b"\x00" in chunk:
            raise self.refuse(f"{_quoted(self.name)} is not a {self.kind.label}.", FileTypeRefused)
        assert self.text is not None  # called for text kinds only
        try:
            self.text.decode(chunk, final)
        except UnicodeDecodeError:
            raise self.refuse(f"{_quoted(self.name)} is not a {self.kind.label}.", FileTypeRefused) from None

    def refuse(self, message: str, kind: type[InvalidInput] = InvalidInput) -> InvalidInput:
        """Drop the temporary file; the error to raise."""
        self.abort()
        return kind(message, FIELD)

    def abort(self) -> None:
        self.file.close()
        self.path.unlink(missing_ok=True)


def _content_matches(path: Path, kind: FileKind) -> bool:
    """Judge the content with puremagic (signatures at the start and end of the file), plus a
    look at the zip directory for .docx and .zip: the extension alone proves nothing.
    """
    try:
        with path.open("rb") as stream:
            matches = puremagic.magic_stream(stream)  # no file name given: content only
    except puremagic.PureError:  # no known signature
        matches = []
    # The strongest signatures found (puremagic rates by signature length); a file that looks
    # like several things equally (OLE2, PK zip family) counts as any of them.
    best = {match.extension for match in matches if match.confidence == matches[0].confidence} if matches else set()

    if not kind.sniffed_as:  # text: valid UTF-8 without NUL (checked while receiving) and
        return not (best & _BINARY_SIGNATURES)  # not a PDF, image, Office file or zip in disguise
    if not best & kind.sniffed_as:
        return False
    if kind is KINDS["docx"]:
        return _zip_names(path) >= {"[Content_Types].xml", "word/document.xml"}
    if kind is KINDS["zip"]:
        return zipfile.is_zipfile(path)
    return True


def _zip_names(path: Path) -> set[str]:
    """The names in a zip's directory, read in a helper process.

    Reading a directory of 110,000 entries is half a second of pure Python: in a thread of the
    server it would hold the GIL, and every other tab's events would wait for it.
    """
    global _zip_reader
    with _zip_reader_lock:
        if _zip_reader is None:
            _zip_reader = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"))
        reader = _zip_reader
    try:
        return reader.submit(zip_names_here, str(path)).result(timeout=ZIP_READ_SECONDS)
    except (BrokenProcessPool, FutureTimeout, OSError):
        with _zip_reader_lock:  # a helper that died or hangs is replaced next time
            if _zip_reader is reader:
                _zip_reader = None
        reader.shutdown(wait=False, cancel_futures=True)
        return set()  # not shown to be a document: refused


def zip_names_here(path: str) -> set[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return set()


_zip_reader: ProcessPoolExecutor | None = None
_zip_reader_lock = threading.Lock()
ZIP_READ_SECONDS = 60


class ReadsAsync(Protocol):
    """What `stage_upload` needs: rx.UploadFile and starlette's UploadFile both fit."""

    async def read(self, size: int = -1) -> bytes: ...


async def stage_upload(upload: ReadsAsync, name: str | None = None, storage_root: Path | None = None) -> StagedFile:
    """Receive one uploaded file (`rx.UploadFile`: name from its `.filename`) in chunks."""
    receiver = await asyncio.to_thread(
        _Receiver, name if name is not None else getattr(upload, "filename", None), storage_root
    )
    try:
        while chunk := await upload.read(CHUNK_SIZE):
            await asyncio.to_thread(receiver.feed, chunk)
        return await asyncio.to_thread(receiver.finish)
    except BaseException:
        receiver.abort()
        raise


async def stage_uploads(uploads: Sequence[ReadsAsync], storage_root: Path | None = None) -> list[StagedFile]:
    """All the files of one message; more than 10 are refused before any is read.

    On any refusal the files staged so far are removed again.
    """
    check_count(uploads)
    staged: list[StagedFile] = []
    try:
        for upload in uploads:
            staged.append(await stage_upload(upload, storage_root=storage_root))
    except BaseException:
        discard(staged)
        raise
    return staged


async def stage_chunk_stream(chunks: AsyncIterable[Any], storage_root: Path | None = None) -> list[StagedFile]:
    """All the files of one message from Reflex's streamed upload (`rx.UploadChunkIterator`).

    Chunks carry `.filename`, `.offset` and `.data`; a file starts at offset 0 or with a new
    name. Refusing stops reading at once: the 11th file at its first chunk, a big file at
    10 MB + 1 byte. Writing, hashing and the content checks (a large .docx's zip directory
    takes a while) run in a worker thread, never on the event loop.
    """
    staged: list[StagedFile] = []
    receiver: _Receiver | None = None
    try:
        async for chunk in chunks:
            if receiver is None or chunk.offset == 0 or clean_name(chunk.filename) != receiver.name:
                if receiver is not None:
                    staged.append(await asyncio.to_thread(receiver.finish))
                    receiver = None
                if len(staged) >= MAX_FILES:
                    raise InvalidInput(TOO_MANY_FILES, FIELD)
                receiver = await asyncio.to_thread(_Receiver, chunk.filename, storage_root)
            await asyncio.to_thread(receiver.feed, chunk.data)
        if receiver is not None:
            staged.append(await asyncio.to_thread(receiver.finish))
            receiver = None
    except BaseException:
        if receiver is not None:
            receiver.abort()
        discard(staged)
        raise
    return staged


def stage_chunks(name: str | None, chunks: Iterable[bytes], storage_root: Path | None = None) -> StagedFile:
    """Receive one file from plain byte chunks (scripts, tests)."""
    receiver = _Receiver(name, storage_root)
    try:
        for chunk in chunks:
            receiver.feed(chunk)
        return receiver.finish()
    except BaseException:
        receiver.abort()
        raise


def stage_bytes(name: str | None, data: bytes, storage_root: Path | None = None) -> StagedFile:
    """Receive one file held in memory (tests, scripts)."""
    stream = io.BytesIO(data)
    return stage_chunks(name, iter(lambda: stream.read(CHUNK_SIZE), b""), storage_root)


def discard(files: Iterable[StagedFile]) -> None:
    """Remove temporary files that were not attached (a no-op for those moved into place)."""
    for staged in files:
        staged.path.unlink(missing_ok=True)


def sweep_temp_files(older_than_seconds: float = 3600, storage_root: Path | None = None) -> int:
    """Remove temporary files a crashed process left behind (staged, never attached nor
    discarded); returns how many. Safe while uploads run: a file being written is recent."""
    folder = temp_dir(storage_root)
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in folder.glob("upload-*.part"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another process got there first
            continue
    return removed


def check_count(files: Sequence[Any]) -> None:
    if len(files) > MAX_FILES:
        raise InvalidInput(TOO_MANY_FILES, FIELD)


def check_staged(files: Sequence[StagedFile]) -> None:
    """What a message may carry, checked before anything of it is written."""
    check_count(files)
    for staged in files:
        if not isinstance(staged, StagedFile):
            raise TypeError(f"expected a StagedFile, got {type(staged).__name__}")
        if not staged.path.is_file():
            raise InvalidInput(f"{_quoted(staged.name)} was not received completely. Attach it again.", FIELD)


# --- Attaching, inside the message's transaction -----------------------------------------

_MOVED = "xobito_attachment_files_moved"


def attach_files(
    session: Session,
    workspace_id: int,
    ticket_id: int,
    reply_id: int | None,
    files: Sequence[StagedFile],
    storage_root: Path | None = None,
) -> list[AttachmentRecord]:
    """Move the staged files into place and add their rows, in the caller's transaction.

    The files are moved before the commit; if the transaction then rolls back (or its commit
    fails) they are deleted again, so nothing is left without a row.
    """
    check_staged(files)
    if not files:
        return []
    session.connection()  # the transaction has begun, so its end is seen below
    moved = _moved_files(session)
    folder = storage_dir(workspace_id, storage_root)
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for staged in files:
        stored_name = f"{secrets.token_hex(16)}.{staged.extension}"
        target = folder / stored_name
        moved.append(target)  # first: a half-finished move is cleaned up too
        shutil.move(staged.path, target)
        rows.append(
            {
                "workspace_id": workspace_id,
                "ticket_id": ticket_id,
                "reply_id": reply_id,
                "original_name": staged.name,
                "stored_name": stored_name,
                "size": staged.size,
                "content_type": staged.content_type,
                "sha256": staged.sha256,
                "created_at": now,
            }
        )
    # Every row in one INSERT (one statement under the write lock, however many files); the ids
    # come back in no promised order, so they are matched by the unique stored name.
    returned = session.execute(
        insert(Attachment).values(rows).returning(col(Attachment.id), col(Attachment.stored_name))
    ).all()
    ids = {stored_name: attachment_id for attachment_id, stored_name in returned}
    return [
        AttachmentRecord(
            id=ids[row["stored_name"]], name=row["original_name"], size=row["size"], content_type=row["content_type"]
        )
        for row in rows
    ]


def _moved_files(session: Session) -> list[Path]:
    """The files moved in this session's open transaction; hooks forget them on commit and
    delete them when the transaction ends any other way."""
    moved = session.info.get(_MOVED)
    if moved is None:
        moved = session.info[_MOVED] = []
        event.listen(session, "after_commit", _kept)
        event.listen(session, "after_transaction_end", _ended)
    return moved


def _kept(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint was released: the outer one decides
        return
    session.info[_MOVED].clear()


def _ended(session: Session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint: the outer transaction decides
        return
    moved = session.info[_MOVED]
    for path in moved:
        path.unlink(missing_ok=True)
    moved.clear()


# --- Reading -----------------------------------------------------------------------------


def _record(row: Attachment) -> AttachmentRecord:
    return AttachmentRecord(id=row.id, name=row.original_name, size=row.size, content_type=row.content_type)


def records_by_message(session: Session, ticket_id: int) -> dict[int | None, tuple[AttachmentRecord, ...]]:
    """Every attachment of a ticket in one query, by reply id (None: the original message),
    each message's files in the order they were attached."""
    rows = session.exec(
        select(  # type: ignore[call-overload]  # sqlmodel types select() for up to 4 columns
            Attachment.id,
            col(Attachment.reply_id),
            col(Attachment.original_name),
            col(Attachment.size),
            col(Attachment.content_type),
        )
        .where(Attachment.ticket_id == ticket_id)
        .order_by(Attachment.id)
    ).all()
    grouped: dict[int | None, list[AttachmentRecord]] = {}
    for attachment_id, reply_id, original_name, size, content_type in rows:
        grouped.setdefault(reply_id, []).append(
            AttachmentRecord(id=attachment_id, name=original_name, size=size, content_type=content_type)
        )
    return {reply_id: tuple(records) for reply_id, records in grouped.items()}


def get_attachment_for_download(
    session: Session,
    user: CurrentUser,
    number: int,
    attachment: int | str,
    storage_root: Path | None = None,
) -> tuple[AttachmentRecord, Path]:
    """The file `attachment` of ticket `number`, for a member of its thread; else NotFound.

    NotFound unless the user may see the ticket, the attachment belongs to that ticket and
    workspace, and its file is on disk.
    """
    found_id = as_id(attachment)
    if found_id is None:
        raise NotFound()
    ticket_id = visible_ticket_id(session, user, number)
    query = select(Attachment).where(
        Attachment.id == found_id,
        Attachment.ticket_id == ticket_id,
        Attachment.workspace_id == user.workspace_id,
    )
    if not user.is_team:  # a file of an internal note is the team's only, like the note
        on_a_note = select(Reply.id).where(Reply.id == Attachment.reply_id, Reply.is_internal == True)
        query = query.where(~on_a_note.exists())
    row = session.exec(query).first()
    if row is None or Path(row.stored_name).name != row.stored_name:
        raise NotFound()
    path = storage_dir(row.workspace_id, storage_root) / row.stored_name
    if not path.is_file():
        raise NotFound()
    return _record(row), path
