"""Attachments: what is accepted or refused (type by extension and content, size, count, name),
where and how it is stored, that a failed transaction leaves nothing behind, and that the thread
lists each message's files. Every test reads back the stored bytes, rows or the error shown.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import event, func
from sqlmodel import col, select

from tests.unit import samples
from tests.unit.test_tickets import BODY, close, open_ticket, stored, view
from xobito_web.db import get_engine, read_session, write_session
from xobito_web.models import Attachment, Reply, Ticket
from xobito_web.services import attachments, tickets
from xobito_web.services.attachments import MAX_FILE_SIZE, StagedFile
from xobito_web.services.errors import Conflict, InvalidInput, NotFound

MB = 1024 * 1024


pytestmark = pytest.mark.usefixtures("storage")


def stage(name, data) -> StagedFile:
    return attachments.stage_bytes(name, data)


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def attachment_rows(world) -> list[Attachment]:
    with read_session(world.url) as session:
        return list(session.exec(select(Attachment).order_by(col(Attachment.id))).all())


def reply_count(world) -> int:
    with read_session(world.url) as session:
        return session.exec(select(func.count()).select_from(Reply)).one()


def refused(name, data) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        stage(name, data)
    assert caught.value.field == "attachments"
    return caught.value


class FakeUpload:
    """What an rx.UploadFile offers the stager: a name and an async read(size); counts reads."""

    def __init__(self, filename, data: bytes):
        self.filename = filename
        self._stream = io.BytesIO(data)
        self.reads: list[int] = []

    async def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self.reads.append(len(chunk))
        return chunk


# --- what is accepted ------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(samples.ALLOWED))
def test_each_allowed_type_is_staged_with_size_checksum_and_type(storage, name):
    data, content_type = samples.ALLOWED[name]
    staged = stage(name, data)
    assert (staged.name, staged.size, staged.content_type) == (name, len(data), content_type)
    assert staged.sha256 == hashlib.sha256(data).hexdigest()
    assert staged.path.parent == storage / "tmp"
    assert staged.path.read_bytes() == data


def test_staged_files_are_stored_with_the_reply_under_a_random_name(world, storage):
    number = open_ticket(world).number
    names = list(samples.ALLOWED)
    staged = [stage(name, samples.ALLOWED[name][0]) for name in names]
    with write_session(world.url) as session:
        shown = tickets.post_reply(session, world.customer, number, "All my files attached.", attachments=staged)

    assert shown.message is not None
    rows = attachment_rows(world)
    reply_id = shown.message.id
    folder = storage / "tickets" / str(world.customer.workspace_id) / "replies"
    assert [row.original_name for row in rows] == names
    for row, name in zip(rows, names, strict=True):
        data, content_type = samples.ALLOWED[name]
        assert (row.workspace_id, row.ticket_id, row.reply_id) == (
            world.customer.workspace_id,
            stored(world, number).id,
            reply_id,
        )
        assert (row.size, row.content_type, row.sha256) == (len(data), content_type, hashlib.sha256(data).hexdigest())
        assert re.fullmatch(r"[0-9a-f]{32}\.[a-z]+", row.stored_name)
        assert row.stored_name.endswith("." + name.rsplit(".", 1)[1].lower())
        assert (folder / row.stored_name).read_bytes() == data
    assert len({row.stored_name for row in rows}) == len(rows)
    assert files_under(storage) == sorted(folder / row.stored_name for row in rows)  # no temp file left
    assert [(a.name, a.size, a.content_type) for a in shown.message.attachments] == [
        (name, len(samples.ALLOWED[name][0]), samples.ALLOWED[name][1]) for name in names
    ]


def test_a_file_of_exactly_10_mb_is_accepted(storage):
    data = b"0123456789abcdef\n" * (MAX_FILE_SIZE // 17) + b"x" * (MAX_FILE_SIZE % 17)
    assert len(data) == MAX_FILE_SIZE
    staged = stage("big.txt", data)
    assert staged.size == MAX_FILE_SIZE and staged.sha256 == hashlib.sha256(data).hexdigest()


def test_text_split_inside_a_character_between_chunks_is_still_text(storage):
    staged = attachments.stage_chunks("menu.txt", [b"caf\xc3", b"\xa9 au lait\n"])
    assert staged.path.read_bytes().decode() == "café au lait\n"


# --- what is refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("screenshot.png", samples.pdf(), '"screenshot.png" is not a PNG image.'),
        ("report.exe.pdf", samples.exe(), '"report.exe.pdf" is not a PDF file.'),
        ("photo.jpg", samples.png(), '"photo.jpg" is not a JPEG image.'),
        ("anim.gif", samples.jpeg(), '"anim.gif" is not a GIF image.'),
        ("letter.doc", samples.docx(), '"letter.doc" is not a Word document.'),
        ("letter.docx", samples.zip_archive(), '"letter.docx" is not a Word document.'),
        ("letter.docx", samples.doc(), '"letter.docx" is not a Word document.'),
        ("logs.zip", samples.pdf(), '"logs.zip" is not a ZIP archive.'),
        ("logs.zip", b"PK\x03\x04" + b"not really a zip" * 10, '"logs.zip" is not a ZIP archive.'),
        ("invoice.pdf", samples.text(), '"invoice.pdf" is not a PDF file.'),
        ("notes.txt", b"hello\x00world", '"notes.txt" is not a UTF-8 text file.'),
        ("notes.txt", "café".encode("latin-1"), '"notes.txt" is not a UTF-8 text file.'),
        ("notes.txt", samples.pdf(), '"notes.txt" is not a UTF-8 text file.'),
        ("notes.txt", samples.gif(), '"notes.txt" is not a UTF-8 text file.'),
        ("notes.txt", samples.exe(), '"notes.txt" is not a UTF-8 text file.'),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(storage, name, data, message):
    assert refused(name, data).message == message
    assert files_under(storage) == []


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "drawing.svg", "archive.tar.gz", "README", "report."])
def test_other_extensions_are_refused_before_reading(storage, name):
    upload = FakeUpload(name, samples.pdf())
    with pytest.raises(InvalidInput) as caught:
        asyncio.run(attachments.stage_upload(upload))
    assert caught.value.message == (
        f'"{name.rstrip(".")}" is not an allowed file type. Allowed: jpg, jpeg, png, gif, pdf, doc, docx, txt, zip.'
    )
    assert upload.reads == [] and files_under(storage) == []


def test_a_reflex_upload_file_spooled_to_disk_is_staged(storage):
    import reflex as rx  # only here: the services themselves never import it

    data = samples.pdf() + b"%" * (3 * MB)
    with tempfile.SpooledTemporaryFile(max_size=MB) as spooled:  # as Starlette keeps a big upload
        spooled.write(data)
        spooled.seek(0)
        staged = asyncio.run(attachments.stage_upload(rx.UploadFile(file=spooled, path=Path("docs/invoice.pdf"))))
    assert (staged.name, staged.size, staged.content_type) == ("invoice.pdf", len(data), "application/pdf")
    assert staged.path.read_bytes() == data


def test_old_temporary_files_are_swept(storage):
    old, fresh = stage("old.png", samples.png()), stage("fresh.png", samples.png())
    stale = time.time() - 7200
    os.utime(old.path, (stale, stale))
    assert attachments.sweep_temp_files(older_than_seconds=3600) == 1
    assert files_under(storage) == [fresh.path]


def test_an_empty_file_is_refused(storage):
    assert refused("empty.txt", b"").message == '"empty.txt" is empty.'
    assert files_under(storage) == []


def test_a_file_over_10_mb_is_refused_and_reading_stops_there(storage):
    served = []

    def chunks():
        for index in range(20):  # 20 MB offered
            served.append(index)
            yield (b"PK\x03\x04" + bytes(MB - 4)) if index == 0 else bytes(MB)

    with pytest.raises(InvalidInput) as caught:
        attachments.stage_chunks("big.zip", chunks())
    assert caught.value.message == '"big.zip" is larger than 10 MB.'
    assert len(served) == 11  # the chunk that passed 10 MB was the last one taken
    assert files_under(storage) == []


def test_10_mb_and_1_byte_is_refused(storage):
    assert refused("big.txt", b"a" * (MAX_FILE_SIZE + 1)).message == '"big.txt" is larger than 10 MB.'
    assert files_under(storage) == []


def test_an_upload_is_read_in_bounded_chunks_and_not_past_the_limit(storage):
    upload = FakeUpload("big.pdf", samples.pdf() + b"%" * (MAX_FILE_SIZE * 2))
    with pytest.raises(InvalidInput) as caught:
        asyncio.run(attachments.stage_upload(upload))
    assert caught.value.message == '"big.pdf" is larger than 10 MB.'
    assert max(upload.reads) <= attachments.CHUNK_SIZE
    assert MAX_FILE_SIZE < sum(upload.reads) <= MAX_FILE_SIZE + attachments.CHUNK_SIZE
    assert files_under(storage) == []


def test_an_11th_file_is_refused_before_any_is_read(storage):
    uploads = [FakeUpload(f"shot{index}.png", samples.png()) for index in range(11)]
    with pytest.raises(InvalidInput) as caught:
        asyncio.run(attachments.stage_uploads(uploads))
    assert (caught.value.message, caught.value.field) == ("Attach at most 10 files to one message.", "attachments")
    assert all(upload.reads == [] for upload in uploads)
    assert files_under(storage) == []


def test_ten_uploads_are_staged_and_a_bad_one_removes_the_others(storage):
    good = asyncio.run(attachments.stage_uploads([FakeUpload(f"shot{i}.png", samples.png()) for i in range(10)]))
    assert [staged.name for staged in good] == [f"shot{i}.png" for i in range(10)]
    attachments.discard(good)
    assert files_under(storage) == []

    mixed = [FakeUpload("a.png", samples.png()), FakeUpload("b.pdf", samples.pdf()), FakeUpload("c.png", samples.pdf())]
    with pytest.raises(InvalidInput) as caught:
        asyncio.run(attachments.stage_uploads(mixed))
    assert caught.value.message == '"c.png" is not a PNG image.'
    assert files_under(storage) == []


def test_an_11th_file_is_refused_by_the_service_and_nothing_is_stored(world, storage):
    number = open_ticket(world).number
    staged = [stage(f"shot{index}.png", samples.png()) for index in range(11)]
    with pytest.raises(InvalidInput) as caught, write_session(world.url) as session:
        tickets.post_reply(session, world.customer, number, "Eleven screenshots.", attachments=staged)
    assert caught.value.message == "Attach at most 10 files to one message."
    assert (reply_count(world), attachment_rows(world)) == (0, [])
    attachments.discard(staged)
    assert files_under(storage) == []


def _chunk_stream(files: list[tuple[str, bytes]], size: int = 1000):
    """Reflex's streamed upload: chunks with filename, offset and data, file after file."""

    class Chunk:
        def __init__(self, filename, offset, data):
            self.filename, self.offset, self.data = filename, offset, data

    taken = []

    async def stream():
        for name, data in files:
            offsets = range(0, len(data), size) if data else [0]
            for offset in offsets:
                taken.append(name)
                yield Chunk(name, offset, data[offset : offset + size])

    return stream(), taken


def test_a_streamed_upload_stages_each_file(storage):
    files = [("shot.png", samples.png(40, 40)), ("invoice.pdf", samples.pdf()), ("notes.txt", samples.text())]
    stream, _taken = _chunk_stream(files, size=100)
    staged = asyncio.run(attachments.stage_chunk_stream(stream))
    assert [(s.name, s.path.read_bytes()) for s in staged] == files


def test_a_streamed_upload_stops_at_the_11th_file(storage):
    stream, taken = _chunk_stream([(f"shot{i}.png", samples.png()) for i in range(12)])
    with pytest.raises(InvalidInput) as caught:
        asyncio.run(attachments.stage_chunk_stream(stream))
    assert caught.value.message == "Attach at most 10 files to one message."
    assert taken[-1] == "shot10.png" and "shot11.png" not in taken
    assert files_under(storage) == []


def test_a_streamed_empty_file_is_refused(storage):
    stream, _taken = _chunk_stream([("shot.png", samples.png()), ("empty.txt", b"")])
    with pytest.raises(InvalidInput) as caught:
        asyncio.run(attachments.stage_chunk_stream(stream))
    assert caught.value.message == '"empty.txt" is empty.'
    assert files_under(storage) == []


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\Windows\\System32\\evil.pdf", "evil.pdf"),
        ("C:\\Users\\carol\\Desktop\\screen shot.png", "screen shot.png"),
        ("nul\x00byte.pdf", "nulbyte.pdf"),
        ("bell\x07and\x1bescape.txt", "bellandescape.txt"),
        ("line\nbreak.txt", "line break.txt"),
        ("\u202egpj.exe", "gpj.exe"),  # a right-to-left override would show it as "exe.jpg"
        (".hidden.txt", "hidden.txt"),
        ("...hidden.txt", "hidden.txt"),
        (".pdf", "attachment.pdf"),
        ("../.pdf", "attachment.pdf"),
        ("   spaced    out  .pdf  ", "spaced out.pdf"),
        ("résumé 2026.pdf", "résumé 2026.pdf"),
        ("", "attachment"),
        (None, "attachment"),
        ("../", "attachment"),
    ],
)
def test_names_are_cleaned(raw, clean):
    assert attachments.clean_name(raw) == clean


def test_a_very_long_name_is_cut_to_255_characters_keeping_the_extension():
    cleaned = attachments.clean_name("a" * 300 + ".pdf")
    assert len(cleaned) == 255 and cleaned == "a" * 251 + ".pdf"
    assert attachments.clean_name("ä" * 1000 + ".docx") == "ä" * 250 + ".docx"


@pytest.mark.parametrize("raw", ["../../../../tmp/evil.pdf", "..\\..\\evil.pdf", "ev\x00il.pdf", "x" * 400 + ".pdf"])
def test_a_dangerous_name_is_stored_cleaned_inside_the_storage_folder(any_world, storage, raw):
    number = open_ticket(any_world).number
    staged = stage(raw, samples.pdf())
    with write_session(any_world.url) as session:
        tickets.post_reply(session, any_world.customer, number, "Here is the file.", attachments=[staged])
    (row,) = attachment_rows(any_world)
    assert row.original_name == attachments.clean_name(raw)
    assert "/" not in row.original_name and "\\" not in row.original_name and "\x00" not in row.original_name
    assert len(row.original_name) <= 255 and row.original_name.endswith(".pdf")
    folder = storage / "tickets" / str(any_world.customer.workspace_id) / "replies"
    written = [path for path in files_under(storage.parent) if not path.name.startswith("world.db")]
    assert written == [folder / row.stored_name]  # nothing written anywhere else


# --- one transaction: rows and files together, or neither ------------------------------------


def test_a_failed_commit_leaves_no_file_and_no_row(any_world, storage):
    number = open_ticket(any_world).number
    staged = [stage("shot.png", samples.png()), stage("invoice.pdf", samples.pdf())]
    engine = get_engine(any_world.url)
    moved_before_commit = []

    def fail_commit(_connection):
        moved_before_commit.extend(files_under(storage / "tickets"))
        raise RuntimeError("the database went away during COMMIT")

    event.listen(engine, "commit", fail_commit)
    try:
        with pytest.raises(RuntimeError, match="during COMMIT"), write_session(any_world.url) as session:
            tickets.post_reply(session, any_world.customer, number, "Two files attached.", attachments=staged)
    finally:
        event.remove(engine, "commit", fail_commit)

    assert len(moved_before_commit) == 2  # the files were in place when the commit ran
    assert (reply_count(any_world), attachment_rows(any_world)) == (0, [])
    assert files_under(storage) == []


def test_a_rolled_back_ticket_takes_its_files_with_it(world, storage):
    staged = [stage("shot.png", samples.png())]
    with pytest.raises(RuntimeError, match="after the service call"), write_session(world.url) as session:
        tickets.create_ticket(
            session,
            world.customer,
            "Printer is on fire",
            world.departments["Support"],
            "high",
            BODY,
            attachments=staged,
        )
        raise RuntimeError("something after the service call failed")
    with read_session(world.url) as session:
        assert session.exec(select(func.count()).select_from(Ticket)).one() == 0
    assert attachment_rows(world) == [] and files_under(storage) == []


def test_a_committed_message_keeps_its_files_when_the_session_is_used_again(world, storage):
    number = open_ticket(world).number
    with write_session(world.url) as session:
        tickets.post_reply(
            session, world.customer, number, "First, with a file.", attachments=[stage("a.png", samples.png())]
        )
        session.commit()
        tickets.post_reply(
            session, world.customer, number, "Second, with a file.", attachments=[stage("b.pdf", samples.pdf())]
        )
        session.rollback()  # only the second one is undone
    (row,) = attachment_rows(world)
    assert row.original_name == "a.png"
    assert [path.name for path in files_under(storage)] == [row.stored_name]


def test_a_refused_message_stores_none_of_its_files(world, storage):
    number = open_ticket(world).number
    staged = [stage("shot.png", samples.png())]
    with pytest.raises(InvalidInput) as caught, write_session(world.url) as session:
        tickets.post_reply(session, world.customer, number, "abc", attachments=staged)  # too short
    assert caught.value.field == "body"
    close(world, world.customer, number)
    with pytest.raises(Conflict, match=re.escape(tickets.TICKET_CLOSED)), write_session(world.url) as session:
        tickets.post_reply(session, world.customer, number, "A reply to a closed ticket.", attachments=staged)
    assert (reply_count(world), attachment_rows(world)) == (0, [])
    assert files_under(storage / "tickets") == []
    attachments.discard(staged)  # the caller owns what it staged
    assert files_under(storage) == []


def test_a_staged_file_that_vanished_is_refused_before_anything_is_written(world, storage):
    staged = stage("shot.png", samples.png())
    staged.path.unlink()
    with pytest.raises(InvalidInput) as caught, write_session(world.url) as session:
        tickets.create_ticket(
            session, world.customer, "Printer is on fire", world.departments["Support"], "", BODY, attachments=[staged]
        )
    assert caught.value.message == '"shot.png" was not received completely. Attach it again.'
    with read_session(world.url) as session:
        assert session.exec(select(func.count()).select_from(Ticket)).one() == 0


# --- the thread ------------------------------------------------------------------------------


def _thread_with_files(world):
    with write_session(world.url) as session:
        created = tickets.create_ticket(
            session,
            world.customer,
            "Printer is on fire",
            world.departments["Support"],
            "high",
            BODY,
            attachments=[stage("smoke.jpg", samples.jpeg()), stage("receipt.pdf", samples.pdf())],
        )
    number = created.number
    with write_session(world.url) as session:
        tickets.post_reply(session, world.admin, number, "Any error message on the display?")
    with write_session(world.url) as session:
        tickets.post_reply(
            session,
            world.customer,
            number,
            "Here is the display and the logs.",
            attachments=[
                stage("display.png", samples.png()),
                stage("logs.zip", samples.zip_archive()),
                stage("notes.txt", samples.text()),
            ],
        )
    return number


def test_the_thread_lists_each_messages_files_in_order(any_world):
    number = _thread_with_files(any_world)
    shown = view(any_world, any_world.support_staff, number)
    assert [[(a.name, a.size, a.content_type) for a in m.attachments] for m in shown.messages] == [
        [("smoke.jpg", len(samples.jpeg()), "image/jpeg"), ("receipt.pdf", len(samples.pdf()), "application/pdf")],
        [],
        [
            ("display.png", len(samples.png()), "image/png"),
            ("logs.zip", len(samples.zip_archive()), "application/zip"),
            ("notes.txt", len(samples.text()), "text/plain; charset=utf-8"),
        ],
    ]
    rows = {row.id: row for row in attachment_rows(any_world)}
    assert [a.id for m in shown.messages for a in m.attachments] == sorted(rows)
    assert [a.is_image for a in shown.messages[2].attachments] == [True, False, False]
    assert shown.messages[0].attachments[0].is_image and not shown.messages[0].attachments[1].is_image


def test_the_thread_reads_all_attachments_in_one_query(world):
    number = _thread_with_files(world)
    engine = get_engine(world.url)

    def statements_for_view() -> list[str]:
        seen = []

        def count(_conn, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            view(world, world.admin, number)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return seen

    few = statements_for_view()
    for index in range(4):  # four more replies, each with a file
        with write_session(world.url) as session:
            tickets.post_reply(
                session,
                world.customer,
                number,
                f"More proof, part {index}.",
                attachments=[stage(f"more{index}.png", samples.png())],
            )
    many = statements_for_view()
    assert len(many) == len(few)
    assert sum("FROM attachment" in statement for statement in many) == 1


# --- finding a file for download -------------------------------------------------------------


def test_a_member_of_the_thread_finds_the_stored_file(world):
    number = _thread_with_files(world)
    first = view(world, world.customer, number).messages[0].attachments[1]
    for user in (world.customer, world.admin, world.support_staff):
        with read_session(world.url) as session:
            record, path = attachments.get_attachment_for_download(session, user, number, str(first.id))
        assert (record.name, record.content_type) == ("receipt.pdf", "application/pdf")
        assert path.read_bytes() == samples.pdf()


@pytest.mark.parametrize("who", ["other_customer", "sales_staff", "foreign_admin"])
def test_others_do_not_find_the_file(world, who):
    number = _thread_with_files(world)
    attachment_id = view(world, world.customer, number).messages[0].attachments[0].id
    with read_session(world.url) as session, pytest.raises(NotFound):
        attachments.get_attachment_for_download(session, getattr(world, who), number, attachment_id)


@pytest.mark.parametrize("bad", ["", "abc", "0", "-1", "1.5", "99999999999", None, True, " ", "٣"])
def test_a_malformed_attachment_id_is_not_found(world, bad):
    number = _thread_with_files(world)
    with read_session(world.url) as session, pytest.raises(NotFound):
        attachments.get_attachment_for_download(session, world.admin, number, bad)


def test_an_attachment_of_another_ticket_is_not_found_even_for_an_admin(world):
    first = _thread_with_files(world)
    second = open_ticket(world, user=world.other_customer).number
    attachment_id = view(world, world.admin, first).messages[0].attachments[0].id
    with read_session(world.url) as session, pytest.raises(NotFound):
        attachments.get_attachment_for_download(session, world.admin, second, attachment_id)


def test_a_row_whose_file_is_gone_is_not_found(world, storage):
    number = _thread_with_files(world)
    record = view(world, world.customer, number).messages[0].attachments[0]
    for path in files_under(storage):
        path.unlink()
    with read_session(world.url) as session, pytest.raises(NotFound):
        attachments.get_attachment_for_download(session, world.customer, number, record.id)
