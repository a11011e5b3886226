"""The reply box of a ticket: the composer (state/composer.py), Send Reply and, for the team,
Add Internal Note (the same box, switched to a note).

A sent reply reaches the thread of this tab as it reaches everyone else's: through the live bus
once it is committed (state/ticket_view.py applies it).
"""

from __future__ import annotations

import logging

import reflex as rx

from xobito_web.db import write_session
from xobito_web.services import notes, tickets
from xobito_web.services.errors import InvalidInput, NotFound, ServiceError
from xobito_web.services.ids import format_ref, parse_ref
from xobito_web.state.composer import ComposerMixin
from xobito_web.state.session import SessionState, read_visitor
from xobito_web.state.uploads import post_with_files

log = logging.getLogger(__name__)

REPLY_UPLOAD_ID = "reply-files"
GONE = "This ticket is no longer yours to see; your reply was not sent."
FAILED = "Something went wrong and your reply was not sent. Try again in a moment."


class SignedOut(Exception):
    """The session ended before the reply could be stored."""


class ReplyState(ComposerMixin, SessionState):
    # The team's composer writes an internal note instead of a reply (reset on another ticket).
    note_mode: bool = False
    note_notice: str = ""  # after a note: who was emailed about it, who could not be

    def _open_composer(self, key: str) -> bool:
        switched = super()._open_composer(key)
        if switched:
            self._set_if_changed(note_mode=False, note_notice="")
        return switched

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
            if not self._claim_send(key, form_data):
                return
            self.note_notice = ""
            session_hash, subdomain = self._visitor_request()
            self._keep(self._drafts, key, body[: tickets.MESSAGE_MAX])
            if key == self.draft_key:
                self.draft = body[: tickets.MESSAGE_MAX]
            try:
                tickets.check_message(body)  # before receiving files for a message that fails anyway
            except InvalidInput as error:
                self._finish_send(key, None, error.message)
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
                yield self.login_redirect()
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
