"""The reply box of a ticket: the composer (state/composer.py) and Send Reply.

A sent reply reaches the thread of this tab as it reaches everyone else's: through the live bus
once it is committed (state/ticket_view.py applies it).
"""

from __future__ import annotations

import logging

import reflex as rx

from xobito_web.db import write_session
from xobito_web.services import tickets
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
    @rx.event(background=True)
    async def send_reply(self, chunks: rx.UploadChunkIterator, form_data: dict):
        """The reply, its files and the status change are stored together or not at all."""
        number = parse_ref(str(form_data.get("ref", "")))
        key = format_ref(number) if number is not None else ""
        body = str(form_data.get("body", ""))
        async with self:
            if not self._claim_send(key, form_data):
                return
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
        if not error and still_here:
            yield rx.clear_selected_files(REPLY_UPLOAD_ID)
