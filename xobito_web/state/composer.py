"""The message composer, shared by the reply box and New Ticket: text, chosen files, sending.

Everything a composer holds belongs to one thing — a ticket (its reference) or the new-ticket
form ("new") — named by its key. Switching tickets never carries a draft, a chosen file, an
error or a pending send over: the draft is kept per key (and shown only on its own ticket), the
browser's chosen files are cleared, and a send that finishes after the person moved on touches
only its own key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import reflex as rx

from xobito_web.services import tickets
from xobito_web.state.uploads import new_nonce, progress_percent

MAX_KEPT_DRAFTS = 20  # per tab: the most recently typed-in tickets keep their unsent text
NEW_TICKET_KEY = "new"


class ComposerMixin(rx.State, mixin=True):
    draft_key: str = ""  # what the composer on screen belongs to
    draft: str = ""  # its text (the unsent text of `draft_key`)
    composer_nonce: str = ""  # names the message being composed: no double posts
    if TYPE_CHECKING:  # SessionState's, which every composer screen also is (not a var of the mixin)
        signed_in: bool
    sending_keys: list[str] = []  # composers whose message is on its way
    upload_percent: int = 0
    composer_error: str = ""
    _drafts: dict[str, str] = {}
    _nonces: dict[str, str] = {}
    _last_sent: dict[str, str] = {}

    def _open_composer(self, key: str) -> bool:
        """Show the composer of `key`; True when it is another one than before."""
        switched = key != self.draft_key
        if switched:
            self.draft_key = key
            self.composer_error = ""
            self.upload_percent = 0
        nonce = self._nonces.get(key) or new_nonce()
        self._nonces[key] = nonce
        self._set_composer(draft=self._drafts.get(key, ""), composer_nonce=nonce)
        return switched

    def _set_composer(self, **values) -> None:
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _keep(self, store: dict[str, str], key: str, value: str) -> None:
        store.pop(key, None)
        store[key] = value
        for old in list(store)[:-MAX_KEPT_DRAFTS]:
            store.pop(old, None)

    @rx.event
    def set_draft(self, key: str, value: str):
        """What is typed, for the composer it was typed in (the key was rendered with it)."""
        if not self.signed_in or not isinstance(key, str) or not isinstance(value, str) or len(key) > 32:
            return  # signed-out tabs store nothing; nothing unbounded is kept
        value = value[: tickets.MESSAGE_MAX]
        if value == self._last_sent.get(key) and not self._drafts.get(key):
            return  # the typing event of the message just sent arrived late: keep the box empty
        self._last_sent.pop(key, None)
        if value != self._drafts.get(key, ""):
            self._typed(key)
        self._keep(self._drafts, key, value)
        if key == self.draft_key:
            self.draft = value
            if self.composer_error and tickets.MESSAGE_MIN <= len(value.strip()) <= tickets.MESSAGE_MAX:
                self.composer_error = ""

    def _typed(self, key: str) -> None:
        """The text of `key`'s composer changed (a hook: the reply box tells the team's presence)."""

    @rx.event
    def set_upload_progress(self, progress: dict):
        if self.sending:
            self.upload_percent = progress_percent(progress)

    def _claim_send(self, key: str, form_data: dict) -> bool:
        """This message may go now: its nonce is the composer's and it is not already on its way."""
        nonce = form_data.get("nonce")
        if not key or key in self.sending_keys or not isinstance(nonce, str) or nonce != self._nonces.get(key):
            return False  # a second click or a re-sent event: this message is already on its way
        self.sending_keys = [*self.sending_keys, key]
        if key == self.draft_key:
            self.composer_error, self.upload_percent = "", 0
        return True

    def _finish_send(self, key: str, sent_text: str | None, error: str = "") -> None:
        """The send of `key` ended: sent (the composer starts afresh) or refused (`error`)."""
        self.sending_keys = [k for k in self.sending_keys if k != key]
        if sent_text is not None:
            self._drafts.pop(key, None)
            self._nonces[key] = new_nonce()  # the same form cannot post twice
            self._keep(self._last_sent, key, sent_text)
        if key != self.draft_key:
            return  # the person has moved on; only the keyed stores changed
        self.upload_percent = 0
        self.composer_error = error
        if sent_text is not None:
            self._set_composer(draft="", composer_nonce=self._nonces[key])

    @rx.var
    def sending(self) -> bool:
        return self.draft_key in self.sending_keys

    @rx.var
    def draft_length(self) -> int:
        return len(self.draft.strip())

    @rx.var
    def composer_box_key(self) -> str:
        """Re-creates the text box per composer and per sent message (its typing is debounced)."""
        return f"{self.draft_key}:{self.composer_nonce}"
