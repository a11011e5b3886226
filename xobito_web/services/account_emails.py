"""What the account emails say: one small function per kind, each returning the subject, the
plain text and the HTML alternative (notifications.Content), so each can move to a template.

They are queued through the outbox like every other email (notifications.queue_email), in the
transaction of the change that sends them. Links are absolute (XOBITO_BASE_URL); a one-time
link carries its token after `#`, so it never reaches a server log or a Referer header.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from xobito_web.services.notifications import Content, header_text

# OutboxEmail.event of each kind.
PASSWORD_RESET = "password_reset"
INVITATION = "invitation"
EMAIL_VERIFICATION = "email_verification"
ACCOUNT_EXISTS = "account_exists"
TICKETS_RETURNED = "tickets_returned"


@dataclass(frozen=True)
class TicketLink:
    ref: str
    subject: str
    link: str


def password_reset(*, name: str, workspace_name: str, link: str) -> Content:
    return _email(
        subject=f"Reset your password for {workspace_name}",
        name=name,
        paragraphs=[
            f"Someone asked to reset the password of your account at {workspace_name}. "
            "If it was you, choose a new password with this link. It works once, for 1 hour.",
            "If it was not you, ignore this email: your password stays as it is.",
        ],
        action=("Choose a new password", link),
        workspace_name=workspace_name,
    )


def invitation(*, name: str, inviter_name: str, workspace_name: str, role_label: str, link: str) -> Content:
    return _email(
        subject=f"{header_text(inviter_name) or 'An admin'} invited you to {workspace_name}",
        name=name,
        paragraphs=[
            f"{header_text(inviter_name) or 'An admin'} invited you to {workspace_name} on Xobito tickets "
            f"as {role_label}.",
            "Set your password with this link to join. It works once, for 7 days.",
        ],
        action=("Set password", link),
        workspace_name=workspace_name,
    )


def email_verification(*, name: str, workspace_name: str, link: str) -> Content:
    return _email(
        subject=f"Confirm your email address for {workspace_name}",
        name=name,
        paragraphs=[
            f"Thank you for signing up at {workspace_name}. Confirm that this address is yours "
            "with this link, then you are signed in. It works once, for 24 hours.",
            "If you did not sign up, ignore this email: no account is created without it.",
        ],
        action=("Confirm my email address", link),
        workspace_name=workspace_name,
    )


def account_exists(*, name: str, workspace_name: str, sign_in_link: str, reset_link: str) -> Content:
    """Someone signed up with an address that already has an account (the page said the same as
    for a new one, so it tells nobody which addresses have accounts)."""
    return _email(
        subject=f"You already have an account at {workspace_name}",
        name=name,
        paragraphs=[
            f"Someone tried to sign up at {workspace_name} with this email address, which already "
            "has an account. If it was you, sign in instead; if you forgot your password, reset it "
            f"here: {reset_link}",
            "If it was not you, ignore this email: nothing has changed.",
        ],
        action=("Sign in", sign_in_link),
        workspace_name=workspace_name,
    )


def tickets_returned(
    *, name: str, person_name: str, department: str, tickets: Sequence[TicketLink], workspace_name: str
) -> Content:
    """A deactivated person's open tickets are back with their department, unassigned."""
    one = len(tickets) == 1
    which, verb = ("ticket", "is") if one else ("tickets", "are")
    return _email(
        subject=f"[{department}] {'A ticket is' if one else f'{len(tickets)} tickets are'} back with the department",
        name=name,
        paragraphs=[
            f"{header_text(person_name) or 'A team member'} was deactivated. Their open {which} in {department} "
            f"{verb} back with the department, unassigned:",
        ],
        items=[(f"{ticket.ref} {ticket.subject}", ticket.link) for ticket in tickets],
        workspace_name=workspace_name,
    )


def _email(
    *,
    subject: str,
    name: str,
    paragraphs: Sequence[str],
    workspace_name: str,
    action: tuple[str, str] | None = None,
    items: Sequence[tuple[str, str]] = (),
) -> Content:
    greeting = f"Hello {header_text(name) or 'there'},"
    signature = f"Xobito tickets · {workspace_name}"
    plain = [greeting, ""]
    for paragraph in paragraphs:
        plain += [paragraph, ""]
    for label, link in items:
        plain += [f"  - {label}", f"    {link}"]
    if items:
        plain.append("")
    if action is not None:
        plain += [f"{action[0]}: {action[1]}", ""]
    plain += ["-- ", signature, ""]

    e = html.escape
    rich = [
        "<!DOCTYPE html>",
        '<html><body style="font-family: sans-serif; line-height: 1.4">',
        f"<p>{e(greeting)}</p>",
        *(f"<p>{e(paragraph)}</p>" for paragraph in paragraphs),
    ]
    if items:
        rich.append(
            "<ul>"
            + "".join(f'<li><a href="{e(link, quote=True)}">{e(label)}</a></li>' for label, link in items)
            + "</ul>"
        )
    if action is not None:
        rich.append(f'<p><a href="{e(action[1], quote=True)}">{e(action[0])}</a></p>')
    rich += [f'<p style="color: #666">{e(signature)}</p>', "</body></html>"]
    return Content(subject=header_text(subject), text="\n".join(plain), html="\n".join(rich) + "\n")
