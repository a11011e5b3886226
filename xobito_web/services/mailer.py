"""Delivery of the email outbox (OutboxEmail rows queued by services/notifications.py).

One pass, `deliver_due()`:
1. Claim due rows: status "queued" and next_attempt_at <= now become "sending" with this pass's
   claim token and claim time, `attempts` + 1, in one short transaction. On PostgreSQL the
   candidate rows are picked with `FOR UPDATE SKIP LOCKED`, so two workers take disjoint rows
   without waiting for each other; on SQLite writers take turns (write_session() begins with
   BEGIN IMMEDIATE) and the `status = 'queued'` guard in the UPDATE makes the claim atomic.
2. For each claimed row: check the claim is still ours (and renew its time) in a short
   transaction, hand the message to the SMTP server, then mark it "sent" in its own short
   transaction right after the server accepted it.
3. A failed attempt goes back to "queued" with exponential backoff (RETRY_DELAY doubling,
   capped at MAX_RETRY_DELAY); after MAX_ATTEMPTS, or at once for a permanent (5xx) refusal,
   the row becomes "failed" and keeps `last_error`, visible to whoever looks at the table.

A worker that crashes leaves its rows "sending"; once their claim is older than LEASE, any
worker puts them back in the queue. Rows of the batch that the crashed pass had not started
yet are released at once when the crash is an exception we see.

At-least-once edge: if a worker dies after the SMTP server accepted a message but before the
"sent" mark committed, the row comes back after the lease and that one message is sent again.
No outbox can close that gap with SMTP (there is no two-phase commit with a mail server); it is
one message per crash at most, and the message keeps its Message-ID across attempts so mail
clients and servers that de-duplicate by Message-ID show it once.

Configuration (docs/product.md "Configuration"): SMTP_URL and MAIL_FROM.
    smtp://[user:password@]host[:port]            plain SMTP (port 25); no TLS
    smtp://[user:password@]host[:port]?starttls=1 STARTTLS required (port 587 by default)
    smtps://[user:password@]host[:port]           implicit TLS (port 465 by default)
The user and password are URL-decoded (write "@" as %40). `?timeout=SECONDS` sets the socket
timeout (default 30). TLS certificates are verified with the system's CA store.
Without SMTP_URL each email is written to `{XOBITO_DATA_DIR}/mail/{id}.eml` and marked sent.
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import ssl
import tempfile
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import and_, exists, or_, select, update
from sqlmodel import col

from xobito_web import config
from xobito_web.db import read_session, write_session
from xobito_web.models import OutboxEmail, utcnow
from xobito_web.services.notifications import build_email

log = logging.getLogger("xobito.mail")

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
BATCH_SIZE = 50
MAX_ATTEMPTS = 8  # 30 s, 1, 2, 4, 8, 16, 32 min between them: about an hour of outage is ridden out
RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=1)
LEASE = timedelta(minutes=5)  # a claim older than this belongs to a worker that died
SMTP_TIMEOUT = 30.0  # seconds; well inside the lease
ERROR_MAX = 1000
STALE_ERROR = "The delivery worker stopped while sending this email; it is retried (it may arrive twice)."


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, … at most an hour."""
    return min(RETRY_DELAY * (2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


# --- SMTP configuration ------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str
    password: str
    timeout: float


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def parse_smtp_url(url: str) -> SmtpConfig:
    """SMTP_URL -> SmtpConfig; ValueError with a one-line reason when it is not usable."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise ValueError("SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("SMTP_URL has no host")
    query = {
        key.lower(): values[-1].strip().lower() for key, values in parse_qs(parts.query, keep_blank_values=True).items()
    }
    unknown = set(query) - {"starttls", "timeout"}
    if unknown:
        raise ValueError(f"SMTP_URL has unknown options: {', '.join(sorted(unknown))}")
    starttls_text = query.get("starttls", "")
    if starttls_text not in _TRUE | _FALSE:
        raise ValueError("SMTP_URL option starttls must be 1 or 0")
    starttls = starttls_text in _TRUE
    if scheme == "smtps" and starttls:
        raise ValueError("SMTP_URL: smtps:// is TLS already; starttls applies to smtp:// only")
    try:
        timeout = float(query.get("timeout") or SMTP_TIMEOUT)
        port = parts.port
    except ValueError:
        raise ValueError("SMTP_URL has a bad port or timeout") from None
    if not 0 < timeout <= 120:
        raise ValueError("SMTP_URL timeout must be between 0 and 120 seconds")
    return SmtpConfig(
        host=parts.hostname,
        port=port or (465 if scheme == "smtps" else 587 if starttls else 25),
        implicit_tls=scheme == "smtps",
        starttls=starttls,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        timeout=timeout,
    )


# --- Transports --------------------------------------------------------------------------


class ConnectFailed(Exception):
    """The mail server could not be reached or refused us; every row of the batch waits."""


class SmtpTransport:
    """One SMTP connection per pass, opened on first use and re-opened after a disconnect."""

    def __init__(self, smtp: SmtpConfig):
        self.smtp = smtp
        self.client: smtplib.SMTP | None = None

    def send(self, message: EmailMessage, row: OutboxEmail) -> None:
        if self.client is None:
            self.client = self._connect()
        try:
            self.client.send_message(message, to_addrs=[row.recipient])
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            raise

    def _connect(self) -> smtplib.SMTP:
        smtp = self.smtp
        try:
            if smtp.implicit_tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
            try:
                client.ehlo()
                if smtp.starttls:
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if smtp.username:
                    client.login(smtp.username, smtp.password)
            except BaseException:
                client.close()
                raise
        except (smtplib.SMTPException, OSError) as error:
            raise ConnectFailed(f"Cannot use the mail server {smtp.host}:{smtp.port}: {_describe(error)}") from error
        return client

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


class FileTransport:
    """No SMTP_URL: each email becomes `{mail_dir}/{id}.eml`, written atomically."""

    def __init__(self, mail_dir: Path):
        self.mail_dir = Path(mail_dir)

    def send(self, message: EmailMessage, row: OutboxEmail) -> None:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        target = self.mail_dir / f"{row.id}.eml"
        handle, temporary = tempfile.mkstemp(prefix=f".{row.id}.", suffix=".tmp", dir=self.mail_dir)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(bytes(message))
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def close(self) -> None:
        pass


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{address}: {code} {_text(message)}" for address, (code, message) in error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}".strip()


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _is_permanent(error: BaseException) -> bool:
    """A 5xx answer to this very message will not change on retry (unlike 4xx or a timeout)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return isinstance(error, ValueError)  # the message itself cannot be built (bad address)


# --- The pass ----------------------------------------------------------------------------


def deliver_due(
    database_url: str | None = None,
    now: datetime | None = None,
    limit: int = BATCH_SIZE,
    *,
    smtp_url: str | None = None,
    mail_from: str | None = None,
    mail_dir: str | Path | None = None,
) -> int:
    """One delivery pass over the due emails; returns how many were sent (or written).

    `smtp_url`, `mail_from`, `mail_dir` default to the settings (SMTP_URL, MAIL_FROM,
    data/mail); an empty smtp_url writes .eml files. `now` is for tests: it stands for the
    moment the pass starts, and the pass's own running time is added to it.
    """
    url = database_url or config.settings.database_url
    smtp_url = config.settings.smtp_url if smtp_url is None else smtp_url
    mail_from = mail_from or config.settings.mail_from
    transport = (
        SmtpTransport(parse_smtp_url(smtp_url))
        if smtp_url
        else FileTransport(Path(mail_dir) if mail_dir is not None else config.settings.mail_dir)
    )
    started, start_clock = now or utcnow(), time.monotonic()

    def clock() -> datetime:
        return started + timedelta(seconds=time.monotonic() - start_clock)

    if not _anything_to_do(url, started):
        return 0
    _recover_stale(url, started)
    token = secrets.token_hex(16)
    rows = _claim(url, token, started, max(1, int(limit)))
    sent = 0
    pending = {row.id for row in rows}
    try:
        for index, row in enumerate(rows):
            if not _still_ours(url, row.id, token, clock()):
                pending.discard(row.id)
                continue
            # From here on the row may reach the server: it is never released, only re-queued
            # by the lease if we die before marking it.
            pending.discard(row.id)
            try:
                transport.send(_message(row, mail_from), row)
            except ConnectFailed as error:
                # The server is unreachable: this row and the rest of the batch wait their turn.
                for waiting in rows[index:]:
                    pending.discard(waiting.id)
                    _record_failure(url, waiting, token, str(error), clock(), permanent=False)
                break
            except (smtplib.SMTPException, OSError, ValueError) as error:
                _record_failure(url, row, token, _describe(error), clock(), permanent=_is_permanent(error))
                continue
            _mark_sent(url, row.id, clock())
            sent += 1
    except BaseException:
        # A crash we can see: give back the rows not started, so they do not wait for the lease.
        try:
            _release(url, token, pending)
        except Exception:
            log.exception("could not release claimed emails")
        raise
    finally:
        transport.close()
    return sent


def _anything_to_do(url: str, now: datetime) -> bool:
    """A cheap read first, so an idle worker never takes SQLite's write lock."""
    due = and_(col(OutboxEmail.status) == QUEUED, col(OutboxEmail.next_attempt_at) <= now)
    stale = and_(col(OutboxEmail.status) == SENDING, col(OutboxEmail.claimed_at) < now - LEASE)
    with read_session(url) as session:
        return bool(session.scalar(select(exists().where(or_(due, stale)))))


def _recover_stale(url: str, now: datetime) -> None:
    """Claims older than the lease belong to a worker that died: queue them again (or fail them)."""
    stale = and_(col(OutboxEmail.status) == SENDING, col(OutboxEmail.claimed_at) < now - LEASE)
    with write_session(url) as session:
        session.exec(
            update(OutboxEmail)
            .where(stale, col(OutboxEmail.attempts) >= MAX_ATTEMPTS)
            .values(status=FAILED, claim_token=None, claimed_at=None, last_error=STALE_ERROR)
        )
        recovered = session.exec(
            update(OutboxEmail)
            .where(stale)
            .values(status=QUEUED, claim_token=None, claimed_at=None, next_attempt_at=now, last_error=STALE_ERROR)
        ).rowcount
    if recovered:
        log.warning("re-queued %d email(s) left by a stopped delivery worker", recovered)


def _claim(url: str, token: str, now: datetime, limit: int) -> list[OutboxEmail]:
    with write_session(url) as session:
        due = (
            select(col(OutboxEmail.id))
            .where(col(OutboxEmail.status) == QUEUED, col(OutboxEmail.next_attempt_at) <= now)
            .order_by(col(OutboxEmail.next_attempt_at), col(OutboxEmail.id))
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        claimed_ids = (
            session.exec(
                update(OutboxEmail)
                .where(col(OutboxEmail.id).in_(due.scalar_subquery()), col(OutboxEmail.status) == QUEUED)
                .values(status=SENDING, claim_token=token, claimed_at=now, attempts=OutboxEmail.attempts + 1)
                .returning(col(OutboxEmail.id))
            )
            .scalars()
            .all()
        )
        if not claimed_ids:
            return []
        rows = session.scalars(
            select(OutboxEmail).where(col(OutboxEmail.id).in_(claimed_ids)).order_by(col(OutboxEmail.id))
        ).all()
        session.expunge_all()
        return list(rows)


def _still_ours(url: str, row_id: int, token: str, now: datetime) -> bool:
    """Renew the claim right before sending; False if the lease ran out and someone took it."""
    with write_session(url) as session:
        renewed = session.exec(
            update(OutboxEmail)
            .where(
                col(OutboxEmail.id) == row_id, col(OutboxEmail.claim_token) == token, col(OutboxEmail.status) == SENDING
            )
            .values(claimed_at=now)
        ).rowcount
    return renewed == 1


def _mark_sent(url: str, row_id: int, now: datetime) -> None:
    """The server accepted the message: record it at once, in a transaction of its own.

    Not guarded by the claim token: whoever holds the row now, it has been delivered.
    """
    with write_session(url) as session:
        session.exec(
            update(OutboxEmail)
            .where(col(OutboxEmail.id) == row_id, col(OutboxEmail.status) != SENT)
            .values(status=SENT, sent_at=now, claim_token=None, claimed_at=None, last_error="")
        )


def _record_failure(url: str, row: OutboxEmail, token: str, error: str, now: datetime, *, permanent: bool) -> None:
    final = permanent or row.attempts >= MAX_ATTEMPTS
    values: dict[str, Any] = {
        "status": FAILED if final else QUEUED,
        "claim_token": None,
        "claimed_at": None,
        "last_error": error[:ERROR_MAX],
    }
    if not final:
        values["next_attempt_at"] = now + retry_delay(row.attempts)
    with write_session(url) as session:
        session.exec(
            update(OutboxEmail)
            .where(
                col(OutboxEmail.id) == row.id, col(OutboxEmail.claim_token) == token, col(OutboxEmail.status) == SENDING
            )
            .values(**values)
        )
    level = logging.ERROR if final else logging.WARNING
    log.log(
        level,
        "email %s to %s %s (attempt %d): %s",
        row.id,
        row.recipient,
        "failed for good" if final else "will be retried",
        row.attempts,
        error,
    )


def _release(url: str, token: str, row_ids: set[int]) -> None:
    """Give back claimed rows that were never tried; their attempt does not count."""
    if not row_ids:
        return
    with write_session(url) as session:
        session.exec(
            update(OutboxEmail)
            .where(
                col(OutboxEmail.id).in_(row_ids),
                col(OutboxEmail.claim_token) == token,
                col(OutboxEmail.status) == SENDING,
            )
            .values(status=QUEUED, claim_token=None, claimed_at=None, attempts=OutboxEmail.attempts - 1)
        )


def _message(row: OutboxEmail, mail_from: str) -> EmailMessage:
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    stamp = row.created_at.strftime("%Y%m%d%H%M%S") if row.created_at else "0"
    return build_email(
        sender=mail_from,
        recipient=row.recipient,
        subject=row.subject,
        text=row.body,
        html_body=row.body_html,
        # The same Message-ID on every attempt, so a rare duplicate can be recognised as one.
        message_id=f"<xobito.{row.id}.{stamp}@{domain}>",
        references=f"<xobito.ticket.{row.ticket_id}@{domain}>" if row.ticket_id else None,
        date=row.created_at,
    )


# --- Running it --------------------------------------------------------------------------


def run_worker(
    stop_event: threading.Event,
    poll_seconds: float = 2.0,
    database_url: str | None = None,
    **options,
) -> None:
    """Deliver until `stop_event` is set: a full batch goes on at once, otherwise poll.

    A failing pass (database down, bad SMTP_URL) is logged and retried on the next poll; the
    loop itself never dies of it.
    """
    log.info(
        "mail delivery worker started (%s)",
        "SMTP" if (options.get("smtp_url") or config.settings.smtp_url) else "files",
    )
    failures = 0
    while not stop_event.is_set():
        limit = options.get("limit", BATCH_SIZE)
        try:
            sent = deliver_due(database_url, limit=limit, **{k: v for k, v in options.items() if k != "limit"})
            failures = 0
        except Exception:
            failures += 1
            log.exception("mail delivery pass failed")
            sent = 0
        if sent >= limit:
            continue
        stop_event.wait(min(poll_seconds * (2 ** min(failures, 5)), 60.0) if failures else poll_seconds)
    log.info("mail delivery worker stopped")


_worker: threading.Thread | None = None
_worker_stop = threading.Event()
_worker_lock = threading.Lock()


def start_background_worker(poll_seconds: float = 2.0) -> threading.Thread:
    """Start the delivery worker in a daemon thread of this process, once; returns the thread.

    Safe to call from every app worker process: the claims keep several workers from sending
    the same email. Call it from the app's startup (e.g. an rx.App lifespan task).
    """
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker_stop.clear()
            _worker = threading.Thread(
                target=run_worker, args=(_worker_stop, poll_seconds), name="xobito-mail-worker", daemon=True
            )
            _worker.start()
        return _worker


def stop_background_worker(timeout: float = 10.0) -> None:
    """Ask the background worker to stop after its current pass and wait for it a little."""
    global _worker
    with _worker_lock:
        worker, _worker = _worker, None
        _worker_stop.set()
    if worker is not None:
        worker.join(timeout)


@asynccontextmanager
async def mail_worker_lifespan():
    """For `app.register_lifespan_task(mail_worker_lifespan)`: runs with the app, stops with it."""
    import asyncio

    start_background_worker()
    try:
        yield
    finally:
        await asyncio.to_thread(stop_background_worker, 5.0)


def check_configuration(smtp_url: str | None = None, mail_from: str | None = None) -> str:
    """Raise ValueError for an unusable SMTP_URL / MAIL_FROM; else a one-line description."""
    smtp_url = config.settings.smtp_url if smtp_url is None else smtp_url
    mail_from = mail_from or config.settings.mail_from
    build_email(sender=mail_from, recipient="check@example.com", subject="check", text="check")
    if not smtp_url:
        return f"no SMTP_URL: writing emails to {config.settings.mail_dir}"
    smtp = parse_smtp_url(smtp_url)
    tls = "implicit TLS" if smtp.implicit_tls else "STARTTLS" if smtp.starttls else "no TLS"
    return f"sending through {smtp.host}:{smtp.port} ({tls}) as {mail_from}"


__all__ = [
    "check_configuration",
    "deliver_due",
    "mail_worker_lifespan",
    "parse_smtp_url",
    "retry_delay",
    "run_worker",
    "start_background_worker",
    "stop_background_worker",
]
