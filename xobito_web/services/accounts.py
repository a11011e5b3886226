"""Accounts: one-time links by email (password reset, invitation, sign-up verification), customer
sign-up, and what everyone does on their own Profile.

One-time links. A link carries a random token; only its SHA-256 is stored (AccountToken), with
its purpose and expiry: a reset link works for 1 hour, an invitation for 7 days, a sign-up's
verification for 24 hours. Using a link sets the person's password, makes a person who had not
joined yet active (a link to their address proves the address is theirs), marks every open link
of theirs used, ends all their sessions and opens a new one for the browser that used it
(routes.py turns it into the HttpOnly cookie). A used, replaced or expired link says so plainly.

No enumeration. "Forgot password?" and "Sign up" give the same answer whether or not the address
has an account, and do the same database work either way (the screen also waits for a fixed
floor, ANSWER_FLOOR_SECONDS). Only the owner of the address learns anything, by email.

Throttles. Every such request is remembered for a day (AccountRequest), for known and unknown
addresses alike: one client address may make REQUESTS_PER_ADDRESS an hour, then is refused with
a wait; one email address receives at most EMAILS_PER_ACCOUNT of these emails an hour, further
requests get the usual answer and send nothing (so nobody can flood someone's inbox). Changing
a password on the Profile checks the current one under the sign-in throttle (services/auth.py).

Sign-up is a workspace setting (off by default). It asks for a name and an email only; the
password is chosen on the verification link's page, so whoever signs up with somebody else's
address cannot set a password the owner then uses.

Functions that check a password open their own short transactions (Argon2 runs outside any
transaction) and must run in a worker thread; the others take the caller's Session and flush.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from xobito_web import urls
from xobito_web.db import read_session, write_session
from xobito_web.models import (
    AccountRequest,
    AccountToken,
    EmailOptOut,
    LoginFailure,
    Pending,
    Role,
    User,
    Workspace,
    utcnow,
)
from xobito_web.services import account_emails, auth, live, notifications
from xobito_web.services.auth import CurrentUser
from xobito_web.services.errors import Conflict, InvalidInput, NotFound, RateLimited, ServiceError
from xobito_web.services.passwords import hash_password, verify_password
from xobito_web.services.rate_limits import describe_wait, throttle_address
from xobito_web.services.workspaces import (
    check_password_strength,
    find_workspace,
    get_workspace,
    normalize_email,
    one_line,
)

RESET = "reset"
INVITATION = "invitation"
VERIFICATION = "verification"
LINK_LIFETIMES = {RESET: timedelta(hours=1), INVITATION: timedelta(days=7), VERIFICATION: timedelta(hours=24)}
MAX_LINK_TOKEN_LENGTH = 128

REQUEST_WINDOW = timedelta(hours=1)
REQUEST_MEMORY = timedelta(days=1)
REQUESTS_PER_ADDRESS = 10
EMAILS_PER_ACCOUNT = 3
# The screen answers a reset or sign-up request no sooner than this after it was sent, so the
# answer's timing does not tell whether an email went out.
ANSWER_FLOOR_SECONDS = 0.5
NAME_MAX = 120

RESET_SENT = (
    "If an account with that address exists, we have sent it an email with a link to choose a new "
    "password. The link works once, for 1 hour."
)
SIGN_UP_SENT = (
    "Check your email: we have sent a link to confirm your address and choose your password. "
    "The link works once, for 24 hours."
)
SIGN_UP_CLOSED = "This workspace does not take sign-ups. Ask its team for an invitation."
TOO_MANY_REQUESTS = "Too many requests from this address. Try again in {wait}."
WRONG_CURRENT_PASSWORD = "The current password is not correct."

LINK_UNKNOWN = "This link is not valid. Open the whole link from the latest email we sent you."
LINK_USED = {
    RESET: "This link has already been used or was replaced by a newer one: each link works once. "
    "Request a new one if you still need it.",
    INVITATION: "This invitation has already been used or was replaced by a newer one. "
    "If you have set your password, sign in.",
    VERIFICATION: "This link has already been used or was replaced by a newer one. "
    "If you have set your password, sign in.",
}
LINK_EXPIRED = {
    RESET: "This link has expired: reset links work for 1 hour. Request a new one.",
    INVITATION: "This invitation has expired: invitations work for 7 days. "
    "Ask an admin of the workspace to send you a new one.",
    VERIFICATION: "This link has expired: confirmation links work for 24 hours. "
    "Sign up again with the same address to get a new one.",
}


class LinkNotUsable(ServiceError):
    """A one-time link that cannot be used (unknown, used, expired, or its account deactivated)."""


@dataclass(frozen=True)
class LinkStatus:
    """What a link's page shows before the person types anything."""

    purpose: str  # reset | invitation | verification ("" when unknown)
    problem: str  # "" when the link can be used, else the sentence saying why not
    name: str  # the person's name and address, when usable
    email: str


# --- One-time links ----------------------------------------------------------------------


def issue_link(session: Session, user: User, purpose: str, now: datetime | None = None) -> str:
    """A new one-time link token for `user` (its hash stored); replaces their open links of the
    same purpose. Returns the raw token, to put in the emailed link and nowhere else."""
    now = now or utcnow()
    session.exec(
        delete(AccountToken).where(
            col(AccountToken.user_id) == user.id,
            col(AccountToken.purpose) == purpose,
            col(AccountToken.used_at) == None,
        )
    )
    token = auth.new_token()
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=auth.hash_token(token),
            created_at=now,
            expires_at=now + LINK_LIFETIMES[purpose],
        )
    )
    return token


def link_url(subdomain: str, purpose: str, token: str) -> str:
    """The absolute address of a link's page, carrying the token (emails, `xobito reset-password`)."""
    path = {RESET: urls.reset_password, INVITATION: urls.set_password, VERIFICATION: urls.verify_email}[purpose]
    return urls.absolute(path(subdomain, token))


def _find_link(
    session: Session, subdomain: str, token: str | None, lock: bool = False
) -> tuple[AccountToken, User, Workspace] | None:
    if not token or len(token) > MAX_LINK_TOKEN_LENGTH:
        return None
    query = (
        select(AccountToken, User, Workspace)
        .join(User, col(User.id) == col(AccountToken.user_id))
        .join(Workspace, col(Workspace.id) == col(User.workspace_id))
        .where(AccountToken.token_hash == auth.hash_token(token), Workspace.subdomain == subdomain)
    )
    if lock:  # concurrent uses of one link take turns; the second finds it used
        query = query.with_for_update(of=AccountToken).execution_options(populate_existing=True)
    row = session.exec(query).first()
    return (row[0], row[1], row[2]) if row is not None else None


def _problem(found: tuple[AccountToken, User, Workspace] | None, purpose: str, now: datetime) -> str:
    if found is None or found[0].purpose != purpose:
        return LINK_UNKNOWN
    token, user, _workspace = found
    if token.used_at is not None:
        return LINK_USED[purpose]
    if token.expires_at <= now:
        return LINK_EXPIRED[purpose]
    if not user.active and user.pending == Pending.NONE:
        return auth.DEACTIVATED
    return ""


def link_status(
    session: Session, subdomain: str, token: str | None, purpose: str, now: datetime | None = None
) -> LinkStatus:
    """Whether the link of a page can be used, and whose it is (read only)."""
    found = _find_link(session, subdomain, token)
    problem = _problem(found, purpose, now or utcnow())
    if problem or found is None:
        return LinkStatus(purpose if found else "", problem, "", "")
    return LinkStatus(purpose, "", found[1].name, found[1].email)


def use_password_link(
    subdomain: str,
    purpose: str,
    token: str | None,
    password: str | None,
    *,
    database_url: str | None = None,
    now: datetime | None = None,
) -> tuple[str, CurrentUser]:
    """Set the password with a one-time link; returns a new session token and who is signed in.

    Every other session of the person ends. Opens its own transactions (Argon2 runs between
    them): call it from a worker thread. Raises InvalidInput (the password), LinkNotUsable.
    """
    now = now or utcnow()
    password = check_password_strength(password)
    with read_session(database_url) as session:
        problem = _problem(_find_link(session, subdomain, token), purpose, now)
    if problem:
        raise LinkNotUsable(problem)
    password_hash = hash_password(password)
    with write_session(database_url) as session:
        found = _find_link(session, subdomain, token, lock=True)
        problem = _problem(found, purpose, now)
        if problem or found is None:
            raise LinkNotUsable(problem or LINK_UNKNOWN)
        _token, user, workspace = found
        user.password_hash = password_hash
        if not user.active:  # an invitation accepted, or a sign-up's address confirmed
            user.active, user.pending = True, Pending.NONE.value
        session.exec(
            update(AccountToken)
            .where(col(AccountToken.user_id) == user.id, col(AccountToken.used_at) == None)
            .values(used_at=now)
        )
        auth.end_sessions(session, user.id)
        session_token = auth.open_session(session, user.id, now)
        live.announce_administration(session, workspace.id, user.id)  # People: state, last sign-in
        return session_token, auth.current_user_of(user, workspace)


# --- Forgot password? and Sign up (no enumeration, throttled) -----------------------------------


def _note_request(
    session: Session, workspace_id: int, email: str, client_address: str, kind: str, now: datetime
) -> bool:
    """Remember a request that may email `email`; False when that address has had its share of
    these emails this hour. Raises RateLimited when the client address has made too many."""
    address = throttle_address(client_address)
    auth.take_turns_on_account(session, workspace_id, email, "account-email")
    since = now - REQUEST_WINDOW
    if address:
        recent = session.exec(
            select(AccountRequest.created_at)
            .where(AccountRequest.ip_address == address, AccountRequest.created_at > since)
            .order_by(col(AccountRequest.created_at).desc())
            .limit(REQUESTS_PER_ADDRESS)
        ).all()
        if len(recent) >= REQUESTS_PER_ADDRESS:
            wait = max(1, math.ceil((recent[-1] + REQUEST_WINDOW - now).total_seconds()))
            raise RateLimited(TOO_MANY_REQUESTS.format(wait=describe_wait(wait)), wait)
    emailed = session.exec(
        select(AccountRequest.id)
        .where(
            AccountRequest.workspace_id == workspace_id,
            AccountRequest.email == email,
            AccountRequest.created_at > since,
        )
        .limit(EMAILS_PER_ACCOUNT)
    ).all()
    session.add(AccountRequest(workspace_id=workspace_id, email=email, ip_address=address, kind=kind, created_at=now))
    session.exec(delete(AccountRequest).where(col(AccountRequest.created_at) <= now - REQUEST_MEMORY))
    return len(emailed) < EMAILS_PER_ACCOUNT


def _may_be_emailed(user: User) -> bool:
    """Deactivated people get no email of any kind."""
    return user.active or user.pending != Pending.NONE


def request_password_reset(
    subdomain: str,
    email: str | None,
    client_address: str = "",
    *,
    database_url: str | None = None,
    now: datetime | None = None,
) -> str:
    """Forgot password?: email a reset link when the address has an account; returns the answer
    to show, the same in every case. Raises NotFound (workspace), InvalidInput (a malformed
    address), RateLimited (this client address asked too often)."""
    now = now or utcnow()
    email = normalize_email(email)
    with write_session(database_url) as session:
        workspace = get_workspace(session, subdomain)
        may_send = _note_request(session, workspace.id, email, client_address, RESET, now)
        user = _person(session, workspace.id, email)
        if may_send and user is not None and _may_be_emailed(user):
            send_reset_link(session, workspace, user, now)
    return RESET_SENT


def send_reset_link(session: Session, workspace: Workspace, user: User, now: datetime | None = None) -> str:
    """Queue a reset link email to `user`; returns the link (the command line prints it)."""
    link = link_url(workspace.subdomain, RESET, issue_link(session, user, RESET, now))
    content = account_emails.password_reset(name=user.name, workspace_name=workspace.name, link=link)
    notifications.queue_email(
        session,
        workspace_id=workspace.id,
        recipient=user.email,
        content=content,
        event=account_emails.PASSWORD_RESET,
        now=now,
    )
    return link


def reset_link_for(session: Session, subdomain: str, email: str, now: datetime | None = None) -> str:
    """`xobito reset-password`: a reset link for the person, printed rather than emailed."""
    workspace = get_workspace(session, subdomain)
    email = normalize_email(email)
    user = _person(session, workspace.id, email)
    if user is None:
        raise NotFound(f"There is no account {email} in {subdomain!r}.")
    if not _may_be_emailed(user):
        raise Conflict(f"{email} is deactivated: reactivate the account first.")
    return link_url(workspace.subdomain, RESET, issue_link(session, user, RESET, now))


def sign_up_errors(name: str | None, email: str | None) -> dict[str, str]:
    """Every rule a Sign up form breaks, by field, so all can be shown at once."""
    errors: dict[str, str] = {}
    for field, check in (("name", lambda: check_name(name)), ("email", lambda: normalize_email(email))):
        try:
            check()
        except InvalidInput as error:
            errors[field] = error.message
    return errors


def signup_open(session: Session, subdomain: str) -> bool:
    workspace = find_workspace(session, subdomain)
    return bool(workspace and workspace.customer_signup)


def sign_up(
    subdomain: str,
    name: str | None,
    email: str | None,
    client_address: str = "",
    *,
    database_url: str | None = None,
    now: datetime | None = None,
) -> str:
    """A customer signs up: a new account waits for its address to be confirmed by the emailed
    link (which also sets the password). An address that has an account already is told so by
    email instead; the answer on screen is the same. Raises NotFound, InvalidInput, Conflict
    (sign-up is off), RateLimited."""
    now = now or utcnow()
    name = check_name(name)
    email = normalize_email(email)
    with write_session(database_url) as session:
        workspace = get_workspace(session, subdomain)
        if not workspace.customer_signup:
            raise Conflict(SIGN_UP_CLOSED)
        may_send = _note_request(session, workspace.id, email, client_address, "signup", now)
        user = _person(session, workspace.id, email)
        if user is None:
            user = User(
                workspace_id=workspace.id,
                email=email,
                name=name,
                role=Role.CUSTOMER.value,
                password_hash="",
                active=False,
                pending=Pending.VERIFICATION.value,
                created_at=now,
            )
            session.add(user)
            session.flush()
            live.announce_administration(session, workspace.id, user.id)
        elif user.pending == Pending.VERIFICATION:
            user.name = name  # signing up again: the latest name, a new link
        if not may_send or not _may_be_emailed(user):
            return SIGN_UP_SENT
        if user.pending == Pending.VERIFICATION:
            link = link_url(workspace.subdomain, VERIFICATION, issue_link(session, user, VERIFICATION, now))
            content = account_emails.email_verification(name=name, workspace_name=workspace.name, link=link)
            event = account_emails.EMAIL_VERIFICATION
        else:
            content = account_emails.account_exists(
                name=user.name,
                workspace_name=workspace.name,
                sign_in_link=urls.absolute(urls.login(workspace.subdomain)),
                reset_link=urls.absolute(urls.forgot_password(workspace.subdomain)),
            )
            event = account_emails.ACCOUNT_EXISTS
        notifications.queue_email(
            session, workspace_id=workspace.id, recipient=user.email, content=content, event=event, now=now
        )
    return SIGN_UP_SENT


def _person(session: Session, workspace_id: int, email: str) -> User | None:
    return session.exec(select(User).where(User.workspace_id == workspace_id, User.email == email)).first()


def check_name(value: str | None) -> str:
    return one_line(value, "Name", 1, NAME_MAX, "name")


# --- Profile -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    name: str
    email: str
    role: str
    email_kinds: tuple[str, ...]  # the kinds of email this person may receive
    switched_off: tuple[str, ...]  # those they chose not to receive


def get_profile(session: Session, user: CurrentUser) -> Profile:
    name, email, role = session.exec(select(User.name, User.email, User.role).where(User.id == user.user_id)).one()
    switched_off = session.exec(select(EmailOptOut.kind).where(EmailOptOut.user_id == user.user_id)).all()
    kinds = notifications.email_kinds(role)
    return Profile(name, email, role, kinds, tuple(kind for kind in kinds if kind in switched_off))


def rename(session: Session, user: CurrentUser, name: str | None) -> str:
    name = check_name(name)
    session.exec(update(User).where(col(User.id) == user.user_id).values(name=name))
    live.announce_administration(session, user.workspace_id, user.user_id)
    return name


def set_email_wanted(session: Session, user: CurrentUser, kind: str, wanted: bool) -> None:
    """Switch one kind of email on or off for `user` (notifications.email_kinds of their role)."""
    if kind not in notifications.email_kinds(user.role):
        raise InvalidInput("There is no such kind of email.", "emails")
    session.exec(delete(EmailOptOut).where(col(EmailOptOut.user_id) == user.user_id, col(EmailOptOut.kind) == kind))
    if not wanted:
        session.add(EmailOptOut(user_id=user.user_id, kind=kind))
    session.flush()


def change_password_errors(current: str | None, new: str | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = "Enter your current password."
    try:
        check_password_strength(new)
    except InvalidInput as error:
        errors["new_password"] = error.message
    return errors


def change_password(
    user: CurrentUser,
    current: str | None,
    new: str | None,
    keep_session_hash: str,
    client_address: str = "",
    *,
    database_url: str | None = None,
    now: datetime | None = None,
) -> None:
    """Change Password on the Profile: the current password, then the new one. Every other
    session of the person ends; this one (`keep_session_hash`) stays. A wrong current password
    counts as a failed sign-in (the same throttle). Opens its own transactions: run in a thread."""
    now = now or utcnow()
    errors = change_password_errors(current, new)
    if errors:
        field, message = next(iter(errors.items()))
        raise InvalidInput(message, field)
    address = throttle_address(client_address)
    with read_session(database_url) as session:
        wait = auth.throttle_wait(session, user.workspace_id, user.email, address, now)
        stored = session.exec(select(User.password_hash).where(User.id == user.user_id)).one()
    if wait:
        raise auth.too_many_attempts(wait)
    current_ok = verify_password(current or "", stored)
    new_hash = hash_password(new or "") if current_ok else ""
    with write_session(database_url) as session:
        if not current_ok:
            session.add(
                LoginFailure(workspace_id=user.workspace_id, email=user.email, ip_address=address, created_at=now)
            )
        else:
            session.exec(update(User).where(col(User.id) == user.user_id).values(password_hash=new_hash))
            # Reset links sent before are of no use any more.
            session.exec(
                update(AccountToken)
                .where(col(AccountToken.user_id) == user.user_id, col(AccountToken.used_at) == None)
                .values(used_at=now)
            )
            auth.end_sessions(session, user.user_id, keep_hash=keep_session_hash)
    if not current_ok:
        raise InvalidInput(WRONG_CURRENT_PASSWORD, "current_password")


def sign_out_everywhere(session: Session, user: CurrentUser) -> None:
    """End every session of `user`, this browser's too; their open tabs go to sign-in."""
    auth.end_sessions(session, user.user_id)
