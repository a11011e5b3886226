"""The reply box of a ticket: the composer (state/composer.py), Send Reply and, for the team,
Add Internal Note (the same box, switched to a note).

A sent reply reaches the thread of this tab as it reaches everyone else's: through the live bus
once it is committed (state/ticket_view.py applies it).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import reflex as rx

from xobito_web.db import read_session, write_session
from xobito_web.services import notes, saved_replies, tickets
from xobito_web.services.errors import InvalidInput, NotFound, ServiceError
from xobito_web.services.ids import format_ref, parse_ref
from xobito_web.state.composer import ComposerMixin
from xobito_web.state.presence import ticker as presence_ticker
from xobito_web.state.session import SessionState, read_visitor
from xobito_web.state.uploads import post_with_files

log = logging.getLogger(__name__)

REPLY_UPLOAD_ID = "reply-files"
GONE = "This ticket is no longer yours to see; your reply was not sent."
FAILED = "Something went wrong and your reply was not sent. Try again in a moment."
FAILED_INSERT = "Something went wrong and the saved reply was not inserted. Try again in a moment."


PICKER_SHOWN = 8  # saved replies listed at once; typing narrows them
NO_SAVED_REPLIES = "No saved replies yet. Add some on the Saved replies page."
NO_MATCH = "No saved reply matches."


class SignedOut(Exception):
    """The session ended before the reply could be stored."""


@dataclass(frozen=True)
class SavedReplyChoice:
    id: str
    title: str
    preview: str  # the start of its text, as a hint


def _read_saved_replies(session_hash: str, subdomain: str) -> list[saved_replies.SavedReplyRecord]:
    user = read_visitor(session_hash, subdomain).user
    if user is None or not user.is_team:
        return []
    with read_session() as session:
        return saved_replies.list_saved_replies(session, user)


def _filled_saved_reply(session_hash: str, subdomain: str, saved_reply_id: str, number: int) -> str:
    user = read_visitor(session_hash, subdomain).user
    if user is None:
        raise SignedOut
    with read_session() as session:
        return saved_replies.saved_reply_for_ticket(session, user, saved_reply_id, number)


def _matches(found: list[tuple[str, str, str]], query: str) -> list[SavedReplyChoice]:
    """The saved replies whose title or text holds every typed word (any case), titles first."""
    words = query.casefold().split()[:10]
    hits = [(title, body, id_) for id_, title, body in found if all(w in f"{title} {body}".casefold() for w in words)]
    hits.sort(key=lambda hit: not all(w in hit[0].casefold() for w in words))  # title matches first
    return [SavedReplyChoice(id_, title, " ".join(body.split())[:90]) for title, body, id_ in hits[:PICKER_SHOWN]]


class ReplyState(ComposerMixin, SessionState):
    # The team's composer writes an internal note instead of a reply (reset on another ticket).
    note_mode: bool = False
    note_notice: str = ""  # after a note: who was emailed about it, who could not be
    # The saved-reply picker: typed words narrow the person's saved replies (read when opened).
    picker_open: bool = False
    picker_query: str = ""
    picker_matches: list[SavedReplyChoice] = []
    picker_message: str = ""
    _saved: list[tuple[str, str, str]] = []  # (id, title, text) of the person's saved replies

    def _open_composer(self, key: str) -> bool:
        switched = super()._open_composer(key)
        if switched:
            self._set_if_changed(note_mode=False, note_notice="", picker_open=False, picker_query="")
        return switched

    @rx.event(background=True)
    async def toggle_picker(self):
        """Open (reading the person's saved replies afresh) or close the saved-reply picker."""
        async with self:
            if self.picker_open or not self.is_team:
                self.picker_open = False
                return
            self.picker_open, self.picker_query, self.picker_message = True, "", ""
            session_hash, subdomain = self._visitor_request()
        try:
            found = await asyncio.to_thread(_read_saved_replies, session_hash, subdomain)
        except Exception:
            log.exception("reading saved replies failed")
            found = []
        async with self:
            self._saved = [(str(r.id), r.title, r.body) for r in found]
            self._show_matches()

    @rx.event
    def set_picker_query(self, value: str):
        self.picker_query = str(value)[:200]
        self._show_matches()

    def _show_matches(self) -> None:
        matches = _matches(self._saved, self.picker_query)
        self.picker_matches = matches
        self.picker_message = "" if matches else NO_MATCH if self._saved else NO_SAVED_REPLIES

    @rx.event(background=True)
    async def insert_saved_reply(self, saved_reply_id: str):
        """The saved reply, filled in for this ticket, goes into the box after what is typed."""
        async with self:
            number, key = parse_ref(self.draft_key), self.draft_key
            if number is None or not self.is_team:
                return
            session_hash, subdomain = self._visitor_request()
        text, error = "", ""
        try:
            text = await asyncio.to_thread(_filled_saved_reply, session_hash, subdomain, str(saved_reply_id), number)
        except (SignedOut, NotFound):
            error = "That saved reply is no longer there."
        except ServiceError as refused:
            error = refused.message
        except Exception:
            log.exception("inserting a saved reply failed")
            error = FAILED_INSERT
        async with self:
            if key != self.draft_key:
                return  # another ticket is open now
            if not error:
                try:
                    combined = saved_replies.insert_into(self._drafts.get(key, self.draft), text)
                except InvalidInput as refused:
                    error = refused.message
                else:
                    self._keep(self._drafts, key, combined)
                    self.draft, self.picker_open = combined, False
            self.composer_error = error

    def _typed(self, key: str) -> None:
        if self.is_team and key == self.draft_key:  # the team sees who is typing on the ticket
            presence_ticker.typed(self.router.session.client_token)

    @rx.event
    def set_note_mode(self, value: str | list[str]):
        """Writes an internal note on "note", else a reply; for the team only."""
        self.note_mode = self.is_team and value == "note"
        self.note_notice = ""

    @rx.event(background=True)
    async def send_reply(self, chunks: rx.UploadChunkIterator, form_data: dict):
        """The reply (or note), its files and the status change are stored together or not at all."""
        number = parse_ref(str(form_data.get("ref", "")))
        key = format_ref(number) if number is not None else ""
        body = str(form_data.get("body", ""))
        # What the form said it was: a note stays a note even if the toggle moved meanwhile; the
        # service refuses a note from a customer whatever the form says.
        as_note = str(form_data.get("kind", "")) == "note"
        added: list[notes.NoteAdded] = []
        async with self:
            if number is None or not self._claim_send(key, form_data):
                return  # (no number: no key, which _claim_send refuses too)
            self.note_notice = ""
            session_hash, subdomain = self._visitor_request()
            self._keep(self._drafts, key, body[: tickets.MESSAGE_MAX])
            if key == self.draft_key:
                self.draft = body[: tickets.MESSAGE_MAX]
            try:
                tickets.check_message(body)  # before receiving files for a message that fails anyway
            except InvalidInput as invalid:
                self._finish_send(key, None, invalid.message)
                return

        def store(staged) -> None:
            user = read_visitor(session_hash, subdomain).user
            if user is None:
                raise SignedOut
            with write_session() as session:
                if as_note:
                    added.append(notes.post_note(session, user, number, body, attachments=staged))
                else:
                    tickets.post_reply(session, user, number, body, attachments=staged)

        error = ""
        try:
            await post_with_files(chunks, store)
        except SignedOut:
            async with self:
                self._finish_send(key, None, "Your session has ended. Sign in again to send your reply.")
                yield self._login_redirect()
            return
        except NotFound:
            error = GONE
        except ServiceError as refused:  # e.g. closed meanwhile by the other party
            error = refused.message
        except Exception:
            log.exception("sending a reply failed")
            error = FAILED
        async with self:
            self._finish_send(key, None if error else body, error)
            still_here = key == self.draft_key
            if added and still_here:
                self.note_notice = _mention_notice(added[0])
        if not error and still_here:
            yield rx.clear_selected_files(REPLY_UPLOAD_ID)


def _mention_notice(added: notes.NoteAdded) -> str:
    """What the author is told about the colleagues their note mentions ("" when none)."""
    said = []
    if added.notified:
        said.append(f"Emailed {', '.join(added.notified)} about your note.")
    if added.not_notified:
        names = ", ".join(added.not_notified)
        said.append(f"{names} cannot see this ticket and {'was' if len(added.not_notified) == 1 else 'were'} not told.")
    return " ".join(said)
