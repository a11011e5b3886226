"""Delivery of the outbox against a real SMTP server (aiosmtpd on a free local port).

What arrives is read back from the server's inbox: recipients from the SMTP envelope, headers
and bodies from the received bytes; what is stored is read back from the outbox table.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import policy

import pytest
from sqlmodel import col, select

from tests.smtp_sink import SmtpServer
from xobito_web import cli, config
from xobito_web.db import read_session, write_session
from xobito_web.models import OutboxEmail, utcnow
from xobito_web.services import assignment, mailer, tickets

BODY = "The printer on the second floor smokes."
ADMIN = "admin@acme.example.com"
SUE = "sue@acme.example.com"
CAROL = "carol@customer.example.com"
MAIL_FROM = "Xobito tickets <tickets@xobito.test>"


pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


# --- helpers -----------------------------------------------------------------------------


def deliver(world, server, now=None, **options) -> int:
    return mailer.deliver_due(world.url, now=now, smtp_url=server.url, mail_from=MAIL_FROM, **options)


def later(**delta):
    return utcnow() + timedelta(**delta)


def open_ticket(world, subject="Printer is on fire", department="Support"):
    with write_session(world.url) as session:
        return tickets.create_ticket(session, world.customer, subject, world.departments[department], "", BODY).number


def reply(world, user, number, body):
    with write_session(world.url) as session:
        return tickets.post_reply(session, user, number, body)


def rows(world) -> list[OutboxEmail]:
    with read_session(world.url) as session:
        return list(session.exec(select(OutboxEmail).order_by(col(OutboxEmail.id))).all())


def queue_rows(world, count: int) -> list[str]:
    """`count` plain outbox rows (no ticket needed); returns their recipients."""
    addresses = [f"person{index:03d}@example.com" for index in range(count)]
    with write_session(world.url) as session:
        for index, address in enumerate(addresses):
            session.add(
                OutboxEmail(
                    workspace_id=world.customer.workspace_id,
                    recipient=address,
                    subject=f"[TKT-{index + 1:06d}] Mail {index}",
                    body=f"Body {index}",
                    event="ticket_created",
                )
            )
    return addresses


def arrived(server) -> list[tuple[str, str]]:
    """(recipient, subject) of every message the server accepted, sorted."""
    return sorted((to, item.subject) for item in server.inbox.messages for to in item.rcpt_tos)


# --- events arrive -----------------------------------------------------------------------


def test_created_assigned_reply_and_closed_emails_arrive(world, smtp):
    number = open_ticket(world)
    assert deliver(world, smtp) == 2
    subject = "[TKT-000001] Printer is on fire"
    assert arrived(smtp) == [(ADMIN, subject), (SUE, subject)]
    first = smtp.inbox.messages[0]
    assert first.mail_from == "tickets@xobito.test"
    assert str(first.message["From"]) == MAIL_FROM
    assert [str(first.message["To"])] == list(first.rcpt_tos)
    assert "opened a new ticket in Support" in first.text()
    assert first.message.get_body(("html",)) is not None
    assert "http://localhost:3000/acme/tickets/TKT-000001" in first.text()

    smtp.inbox.messages.clear()
    with write_session(world.url) as session:
        assignment.assign_ticket(session, world.admin, number, None, world.support_staff.user_id)
    assert deliver(world, smtp) == 1
    assert arrived(smtp) == [(SUE, subject)]
    assert "Admin assigned the ticket to you." in smtp.inbox.messages[0].text()

    smtp.inbox.messages.clear()
    reply(world, world.support_staff, number, "A technician is on the way.")
    assert deliver(world, smtp) == 1
    assert arrived(smtp) == [(CAROL, subject)]
    assert "> A technician is on the way." in smtp.inbox.messages[0].text()
    assert "Its status is now Answered." in smtp.inbox.messages[0].text()

    smtp.inbox.messages.clear()
    with write_session(world.url) as session:
        tickets.close_ticket(session, world.customer, number)
    assert deliver(world, smtp) == 1
    assert arrived(smtp) == [(SUE, subject)]
    assert "Customer closed the ticket." in smtp.inbox.messages[0].text()

    assert deliver(world, smtp) == 0  # nothing is sent twice
    stored = rows(world)
    assert len(stored) == 5
    assert {(row.status, row.attempts, row.last_error, row.claim_token) for row in stored} == {("sent", 1, "", None)}
    assert all(row.sent_at is not None for row in stored)


def test_a_wrong_smtp_password_keeps_the_emails_queued(world, smtp):
    open_ticket(world)
    wrong = smtp.url.replace("p%40ss%20word", "nope") + "?timeout=5"
    assert mailer.deliver_due(world.url, smtp_url=wrong, mail_from=MAIL_FROM) == 0
    assert {(row.status, row.attempts) for row in rows(world)} == {("queued", 1)}
    assert all("535" in row.last_error for row in rows(world))
    assert smtp.inbox.messages == []
    assert deliver(world, smtp, now=later(minutes=1)) == 2


# --- the mail server is down ----------------------------------------------------------------


def test_while_the_server_is_down_nothing_is_lost_and_nothing_doubles(world, smtp):
    number = open_ticket(world)
    assert deliver(world, smtp) == 2
    smtp.stop()

    reply(world, world.support_staff, number, "We are looking into it.")  # the app keeps working
    reply(world, world.customer, number, "Thanks, it still smokes.")
    before = utcnow()
    assert deliver(world, smtp) == 0
    waiting = [row for row in rows(world) if row.status != "sent"]
    assert len(waiting) == 3  # carol, then admin + sue
    for row in waiting:
        assert (row.status, row.attempts, row.claim_token) == ("queued", 1, None)
        assert "Cannot use the mail server" in row.last_error
        assert timedelta(seconds=29) <= row.next_attempt_at - before <= timedelta(seconds=35)
    assert deliver(world, smtp) == 0  # not due yet: the backoff is respected
    assert {row.attempts for row in rows(world) if row.status != "sent"} == {1}

    smtp.start()
    assert deliver(world, smtp, now=later(seconds=40)) == 3
    assert deliver(world, smtp, now=later(hours=2)) == 0
    subject = "[TKT-000001] Printer is on fire"
    assert arrived(smtp) == [(ADMIN, subject), (ADMIN, subject), (CAROL, subject), (SUE, subject), (SUE, subject)]
    ids = [item.message_id for item in smtp.inbox.messages]
    assert len(set(ids)) == len(ids) == 5
    assert {(row.status, row.last_error) for row in rows(world)} == {("sent", "")}


def test_after_the_last_attempt_the_row_is_failed_with_its_error(world, smtp):
    smtp.stop()
    queue_rows(world, 1)
    moment = utcnow()
    for attempt in range(1, mailer.MAX_ATTEMPTS + 1):
        assert deliver(world, smtp, now=moment) == 0
        (row,) = rows(world)
        assert row.attempts == attempt
        if attempt < mailer.MAX_ATTEMPTS:
            assert row.status == "queued"
            wait = row.next_attempt_at - moment
            assert mailer.retry_delay(attempt) <= wait <= mailer.retry_delay(attempt) + timedelta(seconds=5)
            moment = row.next_attempt_at
    (row,) = rows(world)
    assert (row.status, row.attempts, row.sent_at) == ("failed", mailer.MAX_ATTEMPTS, None)
    assert "Cannot use the mail server 127.0.0.1" in row.last_error
    smtp.start()
    assert deliver(world, smtp, now=later(days=1)) == 0
    assert smtp.inbox.messages == []
    assert rows(world)[0].status == "failed"


def test_retry_schedule():
    assert [mailer.retry_delay(n).total_seconds() for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert mailer.retry_delay(30) == timedelta(hours=1)


def test_a_permanent_refusal_fails_at_once_and_the_rest_goes_out(world, smtp):
    addresses = queue_rows(world, 3)
    smtp.inbox.refuse[addresses[1]] = "550 5.1.1 No such user here"
    assert deliver(world, smtp) == 2
    by_address = {row.recipient: row for row in rows(world)}
    refused = by_address[addresses[1]]
    assert (refused.status, refused.attempts) == ("failed", 1)
    assert "550" in refused.last_error and "No such user" in refused.last_error
    assert {by_address[a].status for a in (addresses[0], addresses[2])} == {"sent"}
    assert sorted(to for to, _ in arrived(smtp)) == [addresses[0], addresses[2]]


def test_a_temporary_refusal_is_retried(world, smtp):
    (address,) = queue_rows(world, 1)
    smtp.inbox.refuse[address] = "451 4.3.0 Try again later"
    assert deliver(world, smtp) == 0
    (row,) = rows(world)
    assert (row.status, row.attempts) == ("queued", 1) and "451" in row.last_error
    del smtp.inbox.refuse[address]
    assert deliver(world, smtp, now=later(minutes=1)) == 1
    assert arrived(smtp) == [(address, "[TKT-000001] Mail 0")]


# --- concurrency and crashes -------------------------------------------------------------


def test_two_workers_send_each_email_once(any_world, smtp):
    world = any_world
    addresses = queue_rows(world, 60)
    smtp.inbox.delay = 0.005  # keep both workers busy at the same time
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker():
        sent = 0
        try:
            barrier.wait()
            while (n := deliver(world, smtp, limit=5)) > 0:
                sent += n
        except BaseException as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)
        counts.append(sent)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sum(counts) == 60
    received = sorted(to for item in smtp.inbox.messages for to in item.rcpt_tos)
    assert received == sorted(addresses)  # every email once, none twice
    ids = [item.message_id for item in smtp.inbox.messages]
    assert len(set(ids)) == 60
    assert {(row.status, row.attempts) for row in rows(world)} == {("sent", 1)}


class Crash(Exception):
    pass


def crash_after_first_send(monkeypatch, *, before_marking=False, killed=False):
    """The worker dies right after its first message: before or after marking it sent.

    `killed` also disables the clean-up of an exception we see, as if the process had died.
    """
    original = mailer._mark_sent
    calls = {"n": 0}

    def mark_then_crash(url, row_id, now):
        calls["n"] += 1
        if calls["n"] == 1:
            if not before_marking:
                original(url, row_id, now)
            raise Crash("worker died")
        original(url, row_id, now)

    monkeypatch.setattr(mailer, "_mark_sent", mark_then_crash)
    if killed:
        monkeypatch.setattr(mailer, "_release", lambda *args: None)


def test_a_crash_mid_batch_sends_nothing_twice(world, smtp, monkeypatch):
    addresses = queue_rows(world, 5)
    crash_after_first_send(monkeypatch)
    with pytest.raises(Crash):
        deliver(world, smtp)
    assert len(smtp.inbox.messages) == 1
    statuses = [(row.status, row.attempts) for row in rows(world)]
    assert statuses == [("sent", 1)] + [("queued", 0)] * 4  # the untried rows were given back
    assert deliver(world, smtp) == 4
    assert deliver(world, smtp, now=later(hours=1)) == 0
    assert sorted(to for to, _ in arrived(smtp)) == addresses


def test_a_killed_worker_leaves_rows_that_come_back_after_the_lease(world, smtp, monkeypatch):
    addresses = queue_rows(world, 5)
    crash_after_first_send(monkeypatch, killed=True)
    with pytest.raises(Crash):
        deliver(world, smtp)
    assert [row.status for row in rows(world)] == ["sent"] + ["sending"] * 4
    assert deliver(world, smtp, now=later(minutes=1)) == 0  # still claimed by the dead worker
    assert len(smtp.inbox.messages) == 1
    assert deliver(world, smtp, now=later(minutes=6)) == 4  # the lease ran out: taken back
    assert deliver(world, smtp, now=later(hours=1)) == 0
    assert sorted(to for to, _ in arrived(smtp)) == addresses
    assert {(row.status, row.last_error, row.claim_token) for row in rows(world)} == {("sent", "", None)}


def test_the_documented_edge_a_crash_between_accept_and_mark_resends_that_one(world, smtp, monkeypatch):
    """At least once: the one message in flight when the worker died goes out again, with the
    same Message-ID (so clients that de-duplicate show it once). Nothing else doubles."""
    addresses = queue_rows(world, 3)
    crash_after_first_send(monkeypatch, before_marking=True, killed=True)
    with pytest.raises(Crash):
        deliver(world, smtp)
    assert deliver(world, smtp, now=later(minutes=6)) == 3
    received = sorted(to for to, _ in arrived(smtp))
    assert received == sorted([addresses[0], *addresses])
    first_ids = [item.message_id for item in smtp.inbox.messages if addresses[0] in item.rcpt_tos]
    assert len(first_ids) == 2 and first_ids[0] == first_ids[1]


def test_a_worker_whose_lease_ran_out_does_not_send_a_row_someone_else_took(world, smtp):
    (address,) = queue_rows(world, 1)
    token = "slow-worker"
    claimed = mailer._claim(world.url, token, utcnow(), 10)
    assert [row.recipient for row in claimed] == [address]
    # Much later another worker takes the stale row back and sends it ...
    assert deliver(world, smtp, now=later(minutes=10)) == 1
    # ... and the slow worker, waking up, finds the row is no longer its own.
    assert mailer._still_ours(world.url, claimed[0].id, token, later(minutes=11)) is False
    assert len(smtp.inbox.messages) == 1


# --- without SMTP ------------------------------------------------------------------------


def test_without_smtp_url_each_email_is_an_eml_file(world, tmp_path):
    mail_dir = tmp_path / "mail"
    open_ticket(world)
    assert mailer.deliver_due(world.url, smtp_url="", mail_from=MAIL_FROM, mail_dir=mail_dir) == 2
    stored = rows(world)
    files = sorted(path.name for path in mail_dir.iterdir())
    assert files == sorted(f"{row.id}.eml" for row in stored)
    for row in stored:
        message = email.message_from_bytes((mail_dir / f"{row.id}.eml").read_bytes(), policy=policy.default)
        assert str(message["To"]) == row.recipient
        assert str(message["Subject"]) == "[TKT-000001] Printer is on fire"
        body = message.get_body(("plain",))
        assert body is not None and "opened a new ticket" in body.get_content()
        assert row.status == "sent"
    assert mailer.deliver_due(world.url, smtp_url="", mail_from=MAIL_FROM, mail_dir=mail_dir) == 0
    assert len(list(mail_dir.iterdir())) == 2


def test_the_default_mail_dir_is_under_the_data_dir(world, tmp_path, monkeypatch):
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, data_dir=tmp_path, database_url=world.url, smtp_url="")
    )
    queue_rows(world, 1)
    assert mailer.deliver_due() == 1
    assert [path.name for path in (tmp_path / "mail").iterdir()] == [f"{rows(world)[0].id}.eml"]


# --- TLS ---------------------------------------------------------------------------------


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1, trusted through SSL_CERT_FILE for this test."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_tls_modes(world, certificate, mode):
    if mode == "starttls":
        server = SmtpServer(tls_context=certificate, require_starttls=True, auth_require_tls=True)
    else:
        server = SmtpServer(ssl_context=certificate)
    server.start()
    try:
        queue_rows(world, 1)
        url = server.url.replace("smtp://", "smtps://") if mode == "smtps" else server.url + "?starttls=1"
        assert mailer.deliver_due(world.url, smtp_url=url, mail_from=MAIL_FROM) == 1
        assert len(server.inbox.messages) == 1
        # Without TLS the STARTTLS server refuses, and the email waits.
        if mode == "starttls":
            queue_rows(world, 1)
            assert mailer.deliver_due(world.url, smtp_url=server.url, mail_from=MAIL_FROM) == 0
            assert rows(world)[-1].status == "queued"
    finally:
        server.stop()


# --- configuration -----------------------------------------------------------------------


def test_parse_smtp_url():
    plain = mailer.parse_smtp_url("smtp://mail.example.com")
    assert (plain.host, plain.port, plain.implicit_tls, plain.starttls, plain.username) == (
        "mail.example.com",
        25,
        False,
        False,
        "",
    )
    starttls = mailer.parse_smtp_url("smtp://me%40example.com:s%3Acret@mail.example.com?starttls=1&timeout=5")
    assert (starttls.port, starttls.starttls, starttls.username, starttls.password, starttls.timeout) == (
        587,
        True,
        "me@example.com",
        "s:cret",
        5.0,
    )
    tls = mailer.parse_smtp_url("smtps://u:p@mail.example.com:2465")
    assert (tls.port, tls.implicit_tls, tls.starttls) == (2465, True, False)
    for bad, reason in [
        ("http://mail.example.com", "SMTP_URL must start with smtp:// or smtps://"),
        ("smtp://", "SMTP_URL has no host"),
        ("smtp://h?starttls=maybe", "SMTP_URL option starttls must be 1 or 0"),
        ("smtps://h?starttls=1", "SMTP_URL: smtps:// is TLS already; starttls applies to smtp:// only"),
        ("smtp://h?tls=1", "SMTP_URL has unknown options: tls"),
        ("smtp://h:99999", "SMTP_URL has a bad port or timeout"),
        ("smtp://h?timeout=0", "SMTP_URL timeout must be between 0 and 120 seconds"),
    ]:
        with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
            mailer.parse_smtp_url(bad)


# --- running it --------------------------------------------------------------------------


def test_the_background_worker_starts_once_and_delivers(world, smtp, monkeypatch):
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, database_url=world.url, smtp_url=smtp.url, mail_from=MAIL_FROM),
    )
    try:
        thread = mailer.start_background_worker(poll_seconds=0.05)
        assert mailer.start_background_worker() is thread and thread.daemon and thread.is_alive()
        open_ticket(world)
        deadline = time.monotonic() + 10
        while len(smtp.inbox.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(arrived(smtp)) == 2
    finally:
        mailer.stop_background_worker()
    assert not thread.is_alive()


def test_the_lifespan_task_runs_the_worker_with_the_app(world, smtp, monkeypatch):
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, database_url=world.url, smtp_url=smtp.url, mail_from=MAIL_FROM),
    )
    open_ticket(world)

    async def app_lifetime():
        async with mailer.mail_worker_lifespan():
            thread = mailer.start_background_worker()
            deadline = time.monotonic() + 10
            while len(smtp.inbox.messages) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        return thread

    thread = asyncio.run(app_lifetime())
    assert len(arrived(smtp)) == 2
    assert not thread.is_alive()


def test_run_worker_survives_a_failing_pass(world, smtp, monkeypatch):
    real = mailer.deliver_due
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(mailer, "deliver_due", flaky)
    open_ticket(world)
    stop = threading.Event()
    thread = threading.Thread(
        target=mailer.run_worker, args=(stop, 0.02, world.url), kwargs={"smtp_url": smtp.url, "mail_from": MAIL_FROM}
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while len(smtp.inbox.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert calls["n"] >= 2 and len(arrived(smtp)) == 2 and not thread.is_alive()


def test_cli_mail_worker(world, smtp, monkeypatch, capsys):
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, database_url=world.url, smtp_url=smtp.url, mail_from=MAIL_FROM),
    )
    open_ticket(world)
    assert cli.main(["mail-worker", "--once"]) == 0
    assert "Delivered 2 email(s)" in capsys.readouterr().out
    assert len(arrived(smtp)) == 2

    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, smtp_url="ftp://nope"))
    assert cli.main(["mail-worker", "--once"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "xobito mail-worker: SMTP_URL must start with smtp:// or smtps://"


def test_cli_mail_worker_stops_cleanly_on_ctrl_c(tmp_path):
    """The real console script in a process of its own: SIGINT ends it with status 0."""
    env = dict(os.environ, XOBITO_DATA_DIR=str(tmp_path), SMTP_URL="")
    env.pop("DATABASE_URL", None)
    xobito = shutil.which("xobito", path=os.path.dirname(sys.executable))
    assert xobito is not None
    subprocess.run([xobito, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    process = subprocess.Popen(
        [xobito, "mail-worker", "--poll", "0.1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "Mail worker running" in line
        process.send_signal(2)  # SIGINT, as Ctrl-C
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Mail worker stopped." in out
    assert "Traceback" not in err
