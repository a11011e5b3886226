"""How much SQL one user action runs under the write lock (issue: check -> do -> notify).

An action checks, writes, then hands what it wrote to the notifications and the live bus; the
screen reads its view after the commit. These counts hold that shape: a re-read of what the
same call just wrote shows up here as an extra statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.unit import samples
from tests.unit.test_tickets import open_ticket
from xobito_web.db import get_engine, write_session
from xobito_web.services import attachments, notes, tickets

# What a reply with two files runs in its transaction on SQLite (BEGIN and COMMIT not counted):
# the person's recent replies (rate limit), the locked ticket with its names, the reply, the
# ticket's new status, the files' rows (one INSERT), the search index's row (a trigger writes
# its FTS5 words), the author's read state, the recipients, the queued emails: 9. It was 15,
# then 8 (two INSERTs for the files), then 11 with the search index and read state (issue 14).
MAX_REPLY_STATEMENTS = 9


@contextmanager
def statements_run(url: str) -> Iterator[list[str]]:
    engine = get_engine(url)
    seen: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        if statement.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("who", ["customer", "admin", "support_staff"])
def test_a_reply_with_two_files_runs_few_statements(world, storage, who):
    number = open_ticket(world).number
    files = [
        attachments.stage_bytes("invoice.pdf", samples.pdf()),
        attachments.stage_bytes("screen.png", samples.png()),
    ]
    with statements_run(world.url) as statements, write_session(world.url) as session:
        posted = tickets.post_reply(session, getattr(world, who), number, "Here are both files.", attachments=files)
    assert posted.message is not None
    assert [file.name for file in posted.message.attachments] == ["invoice.pdf", "screen.png"]
    print(f"{who}: {len(statements)} statements", *statements, sep="\n  ")
    assert len(statements) <= MAX_REPLY_STATEMENTS
    # Nothing the call wrote is read back: after the reply's INSERT, no SELECT of replies or files.
    written = next(i for i, statement in enumerate(statements) if statement.startswith("INSERT INTO reply"))
    assert not [
        s for s in statements[written:] if s.startswith("SELECT") and ("FROM reply" in s or "FROM attachment" in s)
    ]


def test_creating_and_closing_run_few_statements(world, storage):
    files = [attachments.stage_bytes("invoice.pdf", samples.pdf())]
    with statements_run(world.url) as created_statements, write_session(world.url) as session:
        created = tickets.create_ticket(
            session, world.customer, "Printer", world.departments["Support"], "high", "It smokes.", attachments=files
        )
    with statements_run(world.url) as closed_statements, write_session(world.url) as session:
        tickets.close_ticket(session, world.customer, created.number)
    print(len(created_statements), len(closed_statements))
    # department, rate limit, number, ticket, file, search index, read state, recipients, emails
    assert len(created_statements) <= 9
    assert len(closed_statements) <= 4  # locked ticket, status, recipients, emails


def test_a_note_with_two_files_runs_few_statements(world, storage):
    number = open_ticket(world).number
    files = [
        attachments.stage_bytes("invoice.pdf", samples.pdf()),
        attachments.stage_bytes("screen.png", samples.png()),
    ]
    with statements_run(world.url) as statements, write_session(world.url) as session:
        added = notes.post_note(session, world.admin, number, "Checked both files.", attachments=files)
    assert added.changed.message is not None
    assert [file.name for file in added.changed.message.attachments] == ["invoice.pdf", "screen.png"]
    print(len(statements), *statements, sep="\n  ")
    # rate limit, locked ticket, note, search index, read state, files (one INSERT), the team (for
    # mentions); no mention: no email
    assert len(statements) <= 7
