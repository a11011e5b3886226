"""The Profile (everyone): name, Change password, which emails to receive, Sign out everywhere.

Passwords arrive as form data of one event and are handed to the service in a worker thread;
no state var holds them. Changing the password ends the person's other sessions and keeps this
one; signing out everywhere ends this one too, so the page goes through the server's sign-out
route, which clears the cookie.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from xobito_web import urls
from xobito_web.db import read_session, write_session
from xobito_web.services import accounts, live, notifications
from xobito_web.services.auth import CurrentUser, Visitor
from xobito_web.services.errors import InvalidInput
from xobito_web.session_scripts import sign_out_script
from xobito_web.state.actions import run_as_visitor
from xobito_web.state.live import NO_TICKET, LiveBatch
from xobito_web.state.session import PageRequest, SessionState, read_visitor

# What each kind of email is called on the Profile, for the team and for customers.
TEAM_EMAIL_LABELS = {
    notifications.NEW_TICKETS: "New tickets in my departments",
    notifications.REPLIES: "Replies and status changes on tickets I handle",
    notifications.ASSIGNMENTS: "Tickets assigned to me or moved to my departments",
}
ADMIN_EMAIL_LABELS = {**TEAM_EMAIL_LABELS, notifications.NEW_TICKETS: "New tickets"}
CUSTOMER_EMAIL_LABELS = {
    notifications.REPLIES: "Replies on my tickets",
    notifications.STATUS_CHANGES: "Status changes of my tickets",
}


@dataclass(frozen=True)
class EmailChoice:
    kind: str
    label: str
    wanted: bool


@dataclass(frozen=True)
class ProfilePage:
    visitor: Visitor
    profile: accounts.Profile | None


def _read_profile(user: CurrentUser) -> accounts.Profile:
    with read_session() as session:
        return accounts.get_profile(session, user)


def _choices(profile: accounts.Profile) -> list[EmailChoice]:
    labels = {"admin": ADMIN_EMAIL_LABELS, "staff": TEAM_EMAIL_LABELS}.get(profile.role, CUSTOMER_EMAIL_LABELS)
    return [EmailChoice(kind, labels.get(kind, kind), kind not in profile.switched_off) for kind in profile.email_kinds]


class ProfileState(SessionState):
    profile_name: str = ""
    profile_email: str = ""
    email_choices: list[EmailChoice] = []
    name_form_key: int = 0  # a new key shows the saved name in the (uncontrolled) name field
    password_form_key: int = 0  # a new key empties the password fields after a change
    errors: dict[str, str] = {}
    name_notice: str = ""
    password_notice: str = ""
    emails_notice: str = ""
    busy: bool = False

    @rx.event(background=True)
    async def load(self):
        return await self._run_load()

    @classmethod
    def _read_page(cls, request: PageRequest) -> ProfilePage:
        visitor = read_visitor(request.session_hash, request.subdomain)
        return ProfilePage(visitor, _read_profile(visitor.user) if visitor.user else None)

    async def _show_page(self, request: PageRequest, result: ProfilePage):
        redirect = self._show_visitor(result.visitor)
        if result.visitor.user is None or result.profile is None:
            return redirect
        self._watch(result.visitor.user, NO_TICKET)  # its sessions ending elsewhere
        self._show_profile(result.profile)
        self._set_if_changed(errors={}, name_notice="", password_notice="", emails_notice="", busy=False)
        return None

    def _show_profile(self, profile: accounts.Profile) -> None:
        if profile.name != self.profile_name:
            self.name_form_key += 1
        self._set_if_changed(
            profile_name=profile.name,
            profile_email=profile.email,
            email_choices=_choices(profile),
            user_name=profile.name,
        )

    async def _apply_live_change(self, batch: LiveBatch) -> None:
        user = await self._live_user(batch)
        if user is None:
            self._signed_out_while_open()
        elif batch.change.kind == live.ADMINISTRATION and batch.change.actor_user_id == user.user_id:
            self._show_profile(await batch.read(("profile", user.user_id), lambda: _read_profile(user)))

    async def _act(self, work, notice_field: str, notice: str, field: str = "form") -> bool:
        """Run `work(user)` in a thread for the signed-in person; show its error or `notice`."""
        async with self:
            if self.busy or not self.signed_in:
                return False
            self.busy, self.errors = True, {}
            self._set_if_changed(name_notice="", password_notice="", emails_notice="")
            session_hash, subdomain = self._visitor_request()
        outcome = await run_as_visitor(
            session_hash, subdomain, lambda user: work(user, session_hash), "a profile change"
        )
        refusal = outcome.refusal
        errors: dict[str, str] = {}
        if refusal is not None:
            where = refusal.field if isinstance(refusal, InvalidInput) and refusal.field else field
            errors = {where: refusal.message}
        async with self:
            self.busy, self.errors = False, errors
            if not errors:
                setattr(self, notice_field, notice)
        return not errors

    @rx.event(background=True)
    async def save_name(self, form_data: dict):
        name = str(form_data.get("name", ""))[:500]

        def work(user: CurrentUser, _session_hash: str) -> None:
            with write_session() as session:
                accounts.rename(session, user, name)

        if await self._act(work, "name_notice", "Your name is saved.", "name"):
            async with self:
                self.profile_name = self.user_name = accounts.check_name(name)

    @rx.event(background=True)
    async def change_password(self, form_data: dict):
        current = str(form_data.get("current_password", ""))[:1100]
        new = str(form_data.get("new_password", ""))[:1100]
        errors = accounts.change_password_errors(current, new)
        if errors:  # every problem at once, next to its field
            async with self:
                self.errors, self.password_notice = errors, ""
            return
        async with self:
            address = self.router.session.client_ip

        def work(user: CurrentUser, session_hash: str) -> None:
            accounts.change_password(user, current, new, session_hash, address)

        notice = "Your password is changed. You are signed out everywhere else."
        if await self._act(work, "password_notice", notice, "current_password"):
            async with self:
                self.password_form_key += 1

    @rx.event(background=True)
    async def set_email_wanted(self, kind: str, wanted: bool):
        if not isinstance(kind, str) or len(kind) > 32:
            return

        def work(user: CurrentUser, _session_hash: str) -> None:
            with write_session() as session:
                accounts.set_email_wanted(session, user, kind, bool(wanted))

        if await self._act(work, "emails_notice", "Your email choices are saved.", "emails"):
            async with self:
                self.email_choices = [
                    EmailChoice(c.kind, c.label, bool(wanted) if c.kind == kind else c.wanted)
                    for c in self.email_choices
                ]

    @rx.event(background=True)
    async def sign_out_everywhere(self):
        def work(user: CurrentUser, _session_hash: str) -> None:
            with write_session() as session:
                accounts.sign_out_everywhere(session, user)

        if await self._act(work, "password_notice", "", "sign_out"):
            async with self:
                self._unwatch()
                subdomain = self.subdomain.lower()
            yield rx.call_script(sign_out_script(urls.logout(subdomain), urls.login(subdomain)))
