"""Accounts: Forgot password? (no enumeration, throttles), one-time links (single use, expiry,
stored hashed, sessions ended), customer sign-up with verification, the Profile, and the email
preferences honoured by the notification rules. SQLite and PostgreSQL (`any_world`) where the
databases could differ (locks, times, the recipients query)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from tests.conftest import PASSWORD
from xobito_web.db import read_session, write_session
from xobito_web.models import (
    AccountRequest,
    AccountToken,
    LoginFailure,
    OutboxEmail,
    User,
    UserSession,
    Workspace,
    utcnow,
)
from xobito_web.services import account_emails, accounts, admin, auth, live, notifications, tickets
from xobito_web.services.errors import Conflict, InvalidInput, RateLimited, SignInFailed

NEW_PASSWORD = "a brand new passphrase"
CAROL = "carol@customer.example.com"


# --- helpers -----------------------------------------------------------------------------


def emails(world, event: str | None = None) -> list[OutboxEmail]:
    with read_session(world.url) as session:
        query = select(OutboxEmail).order_by(col(OutboxEmail.id))
        if event:
            query = query.where(OutboxEmail.event == event)
        return list(session.exec(query).all())


def token_in(row: OutboxEmail) -> str:
    """The one-time link's token, as the person clicking the email's link would carry it."""
    found = re.search(r"https?://\S+/(reset-password|set-password|verify-email)#token=([A-Za-z0-9_-]+)", row.body)
    assert found, row.body
    return found.group(2)


def request_reset(world, email=CAROL, address="198.51.100.7", **kwargs) -> str:
    return accounts.request_password_reset("acme", email, address, database_url=world.url, **kwargs)


def use(world, token, password=NEW_PASSWORD, purpose=accounts.RESET, **kwargs):
    return accounts.use_password_link("acme", purpose, token, password, database_url=world.url, **kwargs)


def signs_in(world, email, password) -> bool:
    try:
        auth.sign_in("acme", email, password, database_url=world.url)
    except SignInFailed:
        return False
    return True


def session_works(world, token: str) -> bool:
    with read_session(world.url) as session:
        return auth.resolve_session(session, token, "acme") is not None


def heard(monkeypatch) -> list[live.Change]:
    changes: list[live.Change] = []
    monkeypatch.setattr(live.get_bus(), "publish", changes.append)
    return changes


# --- Forgot password? --------------------------------------------------------------------


def test_a_reset_request_emails_a_link_and_an_unknown_address_gets_the_same_answer_and_no_email(any_world):
    world = any_world
    known = request_reset(world, CAROL)
    unknown = request_reset(world, "nobody@customer.example.com")
    assert known == unknown == accounts.RESET_SENT
    sent = emails(world)
    assert [(row.recipient, row.event) for row in sent] == [(CAROL, account_emails.PASSWORD_RESET)]
    assert "Reset your password" in sent[0].subject and "1 hour" in sent[0].body
    # Both requests were counted alike (the throttle cannot tell them apart either).
    with read_session(world.url) as session:
        assert sorted(session.exec(select(AccountRequest.email)).all()) == [CAROL, "nobody@customer.example.com"]


def test_the_link_is_stored_hashed_and_works_once(any_world):
    world = any_world
    old_session = auth.sign_in("acme", CAROL, PASSWORD, database_url=world.url)[0]
    request_reset(world)
    token = token_in(emails(world)[0])
    with read_session(world.url) as session:
        stored = session.exec(select(AccountToken)).one()
    assert stored.token_hash == auth.hash_token(token) and token not in stored.token_hash

    with read_session(world.url) as session:
        status = accounts.link_status(session, "acme", token, accounts.RESET)
    assert status.problem == "" and status.email == CAROL

    new_session, user = use(world, token)
    assert user.email == CAROL and session_works(world, new_session)
    assert not session_works(world, old_session)  # every other session ended
    assert signs_in(world, CAROL, NEW_PASSWORD) and not signs_in(world, CAROL, PASSWORD)

    with pytest.raises(accounts.LinkNotUsable) as used:
        use(world, token, "yet another password")
    assert str(used.value) == accounts.LINK_USED[accounts.RESET]
    assert signs_in(world, CAROL, NEW_PASSWORD)


def test_setting_a_password_tells_the_persons_open_tabs(world, monkeypatch):
    request_reset(world)
    token = token_in(emails(world)[0])
    changes = heard(monkeypatch)
    use(world, token)
    assert live.Change(0, 0, live.SESSIONS_ENDED, world.customer.user_id, 0) in changes


def test_a_link_expires_after_an_hour(world):
    issued = utcnow()
    request_reset(world, now=issued)
    token = token_in(emails(world)[0])
    with pytest.raises(accounts.LinkNotUsable) as expired:
        use(world, token, now=issued + timedelta(minutes=61))
    assert "expired" in str(expired.value)
    new_session, _user = use(world, token, now=issued + timedelta(minutes=59))
    assert session_works(world, new_session)


@pytest.mark.parametrize(
    "token, purpose, subdomain",
    [
        ("made-up-token", accounts.RESET, "acme"),
        ("", accounts.RESET, "acme"),
        ("x" * 500, accounts.RESET, "acme"),
        (None, accounts.INVITATION, "acme"),  # a reset link on the invitation page
        (None, accounts.RESET, "other"),  # another workspace's page
    ],
)
def test_an_unknown_or_misplaced_link_is_not_valid(world, token, purpose, subdomain):
    request_reset(world)
    token = token if token is not None else token_in(emails(world)[0])
    with pytest.raises(accounts.LinkNotUsable) as refused:
        accounts.use_password_link(subdomain, purpose, token, NEW_PASSWORD, database_url=world.url)
    assert str(refused.value) == accounts.LINK_UNKNOWN
    assert signs_in(world, CAROL, PASSWORD)


@pytest.mark.parametrize(
    "password, message",
    [("short", "at least 8 characters"), ("x" * 1025, "at most 1024 characters"), ("", "at least 8 characters")],
)
def test_a_weak_or_too_long_password_is_refused_and_the_link_still_works(world, password, message):
    request_reset(world)
    token = token_in(emails(world)[0])
    with pytest.raises(InvalidInput) as refused:
        use(world, token, password)
    assert message in refused.value.message and refused.value.field == "password"
    assert signs_in(world, CAROL, PASSWORD)
    use(world, token)
    assert signs_in(world, CAROL, NEW_PASSWORD)


def test_a_newer_link_replaces_the_older_one(world):
    request_reset(world)
    request_reset(world)
    first, second = (token_in(row) for row in emails(world))
    with pytest.raises(accounts.LinkNotUsable):
        use(world, first)
    use(world, second)


def test_a_malformed_address_is_refused_and_nothing_is_recorded(world):
    with pytest.raises(InvalidInput) as refused:
        request_reset(world, "not an address")
    assert refused.value.field == "email" and "not valid" in refused.value.message
    with read_session(world.url) as session:
        assert session.exec(select(func.count()).select_from(AccountRequest)).one() == 0


def test_one_address_receives_at_most_three_reset_emails_an_hour(any_world):
    world = any_world
    start = utcnow()
    answers = [request_reset(world, address=f"198.51.100.{i}", now=start + timedelta(minutes=i)) for i in range(5)]
    assert set(answers) == {accounts.RESET_SENT}  # the same answer every time
    assert len(emails(world)) == accounts.EMAILS_PER_ACCOUNT
    request_reset(world, now=start + timedelta(minutes=62))  # the hour has passed for the first ones
    assert len(emails(world)) == accounts.EMAILS_PER_ACCOUNT + 1


def test_one_client_address_is_refused_after_ten_requests_an_hour(any_world):
    world = any_world
    start = utcnow()
    for i in range(accounts.REQUESTS_PER_ADDRESS):
        request_reset(world, f"person{i}@customer.example.com", now=start + timedelta(seconds=i))
    with pytest.raises(RateLimited) as refused:
        request_reset(world, CAROL, now=start + timedelta(minutes=5))
    assert "Too many requests from this address" in refused.value.message
    assert 3000 < refused.value.retry_after_seconds <= 3600
    assert emails(world) == []  # the refused request sent nothing and was not counted
    request_reset(world, CAROL, address="203.0.113.9", now=start + timedelta(minutes=5))  # another address may
    assert [row.recipient for row in emails(world)] == [CAROL]


def test_a_deactivated_person_gets_no_reset_email_and_their_old_link_stops_working(world):
    request_reset(world)
    token = token_in(emails(world)[0])
    with write_session(world.url) as session:
        admin.deactivate(session, world.admin, world.customer.user_id)
    assert request_reset(world) == accounts.RESET_SENT
    assert len(emails(world, account_emails.PASSWORD_RESET)) == 1
    with pytest.raises(accounts.LinkNotUsable) as refused:
        use(world, token)
    assert str(refused.value) == auth.DEACTIVATED


def test_the_command_line_link_works_like_an_emailed_one(world):
    with write_session(world.url) as session:
        link = accounts.reset_link_for(session, "acme", "Carol@Customer.example.com")
    assert link.startswith("http") and "/acme/reset-password#token=" in link
    assert emails(world) == []  # printed, not emailed
    use(world, link.rsplit("=", 1)[1])
    assert signs_in(world, CAROL, NEW_PASSWORD)


# --- Signing in ---------------------------------------------------------------------------


def test_a_deactivated_person_with_the_right_password_is_told_so_and_nobody_else_is(world):
    with write_session(world.url) as session:
        admin.deactivate(session, world.admin, world.customer.user_id)
    with pytest.raises(auth.AccountNotActive) as told:
        auth.sign_in("acme", CAROL, PASSWORD, database_url=world.url)
    assert str(told.value) == auth.DEACTIVATED
    with pytest.raises(SignInFailed) as guessed:
        auth.sign_in("acme", CAROL, "a wrong guess", database_url=world.url)
    assert str(guessed.value) == auth.WRONG_CREDENTIALS


def test_signing_in_records_the_time(world):
    with read_session(world.url) as session:
        before = session.get_one(User, world.customer.user_id).last_sign_in_at
    auth.sign_in("acme", CAROL, PASSWORD, database_url=world.url)
    with read_session(world.url) as session:
        after = session.get_one(User, world.customer.user_id).last_sign_in_at
    assert before is not None and after is not None and after > before


# --- Sign up ------------------------------------------------------------------------------


def allow_signup(world, allowed=True):
    with write_session(world.url) as session:
        admin.set_customer_signup(session, world.admin, allowed)


def sign_up(world, name="Nina New", email="nina@customer.example.com", address="198.51.100.20"):
    return accounts.sign_up("acme", name, email, address, database_url=world.url)


def test_sign_up_is_off_by_default(world):
    with pytest.raises(Conflict) as closed:
        sign_up(world)
    assert str(closed.value) == accounts.SIGN_UP_CLOSED
    with read_session(world.url) as session:
        assert session.exec(select(User).where(User.email == "nina@customer.example.com")).first() is None


def test_a_customer_signs_up_confirms_the_address_and_sets_a_password(any_world):
    world = any_world
    allow_signup(world)
    assert sign_up(world) == accounts.SIGN_UP_SENT
    with read_session(world.url) as session:
        nina = session.exec(select(User).where(User.email == "nina@customer.example.com")).one()
    assert (nina.role, nina.active, nina.pending) == ("customer", False, "verification")
    (mail,) = emails(world, account_emails.EMAIL_VERIFICATION)
    assert mail.recipient == "nina@customer.example.com" and "/acme/verify-email#token=" in mail.body
    assert not signs_in(world, "nina@customer.example.com", NEW_PASSWORD)  # not before confirming

    _token, user = use(world, token_in(mail), purpose=accounts.VERIFICATION)
    assert (user.name, user.role) == ("Nina New", "customer")
    assert signs_in(world, "nina@customer.example.com", NEW_PASSWORD)
    with write_session(world.url) as session:
        created = tickets.create_ticket(session, user, "Hello there", world.departments["Sales"], "low", "First ticket")
    assert created.ref == "TKT-000001"


def test_signing_up_with_a_known_address_answers_the_same_and_emails_its_owner(world):
    allow_signup(world)
    assert sign_up(world, "Mallory", CAROL) == accounts.SIGN_UP_SENT
    (mail,) = emails(world)
    assert mail.event == account_emails.ACCOUNT_EXISTS and mail.recipient == CAROL
    with read_session(world.url) as session:
        carol = session.get_one(User, world.customer.user_id)
    assert carol.name == "Customer" and signs_in(world, CAROL, PASSWORD)  # nothing changed


def test_signing_up_again_sends_a_new_link_and_the_old_one_stops_working(world):
    allow_signup(world)
    sign_up(world)
    sign_up(world, name="Nina Newer")
    first, second = emails(world, account_emails.EMAIL_VERIFICATION)
    with pytest.raises(accounts.LinkNotUsable):
        use(world, token_in(first), purpose=accounts.VERIFICATION)
    _token, user = use(world, token_in(second), purpose=accounts.VERIFICATION)
    assert user.name == "Nina Newer"


@pytest.mark.parametrize(
    "name, email, field",
    [("", "nina@customer.example.com", "name"), ("Nina", "nina@", "email"), ("x" * 121, "n@example.com", "name")],
)
def test_bad_sign_up_input_is_refused_and_nothing_is_written(world, name, email, field):
    allow_signup(world)
    assert field in accounts.sign_up_errors(name, email)
    with pytest.raises(InvalidInput) as refused:
        sign_up(world, name, email)
    assert refused.value.field == field
    with read_session(world.url) as session:
        assert session.exec(select(func.count()).select_from(User)).one() == 7
    assert emails(world) == []


# --- Profile -------------------------------------------------------------------------------


def test_change_password_checks_the_current_one_and_ends_the_other_sessions(any_world):
    world = any_world
    here = auth.sign_in("acme", CAROL, PASSWORD, database_url=world.url)[0]
    elsewhere = auth.sign_in("acme", CAROL, PASSWORD, database_url=world.url)[0]

    with pytest.raises(InvalidInput) as wrong:
        accounts.change_password(world.customer, "not it", NEW_PASSWORD, auth.hash_token(here), database_url=world.url)
    assert (wrong.value.field, wrong.value.message) == ("current_password", accounts.WRONG_CURRENT_PASSWORD)
    with read_session(world.url) as session:  # counted like a failed sign-in
        assert session.exec(select(func.count()).select_from(LoginFailure)).one() == 1
    assert signs_in(world, CAROL, PASSWORD)

    with pytest.raises(InvalidInput) as weak:
        accounts.change_password(world.customer, PASSWORD, "short", auth.hash_token(here), database_url=world.url)
    assert weak.value.field == "new_password"

    accounts.change_password(world.customer, PASSWORD, NEW_PASSWORD, auth.hash_token(here), database_url=world.url)
    assert session_works(world, here) and not session_works(world, elsewhere)
    assert signs_in(world, CAROL, NEW_PASSWORD) and not signs_in(world, CAROL, PASSWORD)


def test_sign_out_everywhere_ends_every_session(world, monkeypatch):
    tokens = [auth.sign_in("acme", CAROL, PASSWORD, database_url=world.url)[0] for _ in range(2)]
    changes = heard(monkeypatch)
    with write_session(world.url) as session:
        accounts.sign_out_everywhere(session, world.customer)
    assert not any(session_works(world, token) for token in tokens)
    with read_session(world.url) as session:
        left = session.exec(select(UserSession).where(UserSession.user_id == world.customer.user_id)).all()
    assert left == [] and [c.kind for c in changes] == [live.SESSIONS_ENDED]


def test_a_name_is_changed_and_checked(world):
    with write_session(world.url) as session:
        assert accounts.rename(session, world.customer, "  Carol Christensen ") == "Carol Christensen"
    with pytest.raises(InvalidInput) as empty, write_session(world.url) as session:
        accounts.rename(session, world.customer, "   ")
    assert empty.value.field == "name"
    with read_session(world.url) as session:
        assert accounts.get_profile(session, world.customer).name == "Carol Christensen"


def test_each_role_chooses_among_its_own_kinds_of_email(world):
    with read_session(world.url) as session:
        assert accounts.get_profile(session, world.customer).email_kinds == ("replies", "status_changes")
        assert accounts.get_profile(session, world.sales_staff).email_kinds == (
            "new_tickets",
            "replies",
            "assignments",
        )
    with pytest.raises(InvalidInput), write_session(world.url) as session:
        accounts.set_email_wanted(session, world.customer, "new_tickets", False)
    with write_session(world.url) as session:
        accounts.set_email_wanted(session, world.customer, "replies", False)
        accounts.set_email_wanted(session, world.customer, "replies", False)  # twice: still one row
    with read_session(world.url) as session:
        assert accounts.get_profile(session, world.customer).switched_off == ("replies",)
    with write_session(world.url) as session:
        accounts.set_email_wanted(session, world.customer, "replies", True)
    with read_session(world.url) as session:
        assert accounts.get_profile(session, world.customer).switched_off == ()


# --- Preferences honoured by the notification rules -------------------------------------------


def switch_off(world, user, kind):
    with write_session(world.url) as session:
        accounts.set_email_wanted(session, user, kind, False)


def create(world, department="Support"):
    with write_session(world.url) as session:
        return tickets.create_ticket(
            session, world.customer, "Printer", world.departments[department], "high", "Smoke!"
        )


def recipients(world, event) -> list[str]:
    return sorted(row.recipient for row in emails(world, event))


def test_new_ticket_emails_go_to_who_wants_them(any_world):
    world = any_world
    switch_off(world, world.support_staff, notifications.NEW_TICKETS)
    create(world)
    assert recipients(world, notifications.TICKET_CREATED) == ["admin@acme.example.com"]


def test_a_customer_chooses_replies_and_status_changes_separately(any_world):
    world = any_world
    number = create(world).number
    switch_off(world, world.customer, notifications.REPLIES)
    with write_session(world.url) as session:
        tickets.post_reply(session, world.admin, number, "We are on it.")
    assert CAROL not in recipients(world, notifications.REPLY_POSTED)
    with write_session(world.url) as session:
        tickets.close_ticket(session, world.admin, number)
    assert recipients(world, notifications.STATUS_CHANGED) == [CAROL]


def test_an_assignee_who_switched_off_replies_is_not_replaced_by_the_rest_of_the_team(any_world):
    world = any_world
    number = create(world).number
    with write_session(world.url) as session:
        from xobito_web.services import assignment

        assignment.assign_ticket(session, world.admin, number, None, world.support_staff.user_id)
    switch_off(world, world.support_staff, notifications.REPLIES)
    with write_session(world.url) as session:
        tickets.post_reply(session, world.customer, number, "Any news?")
        tickets.close_ticket(session, world.customer, number)  # a closing is a "reply" kind for the team
    assert recipients(world, notifications.REPLY_POSTED) == []
    assert recipients(world, notifications.STATUS_CHANGED) == []


def test_assignment_emails_follow_the_switch(any_world):
    world = any_world
    number = create(world).number
    switch_off(world, world.support_staff, notifications.ASSIGNMENTS)
    with write_session(world.url) as session:
        from xobito_web.services import assignment

        assignment.assign_ticket(session, world.admin, number, None, world.support_staff.user_id)
        assignment.assign_ticket(session, world.admin, number, world.departments["Sales"], None)
    assert recipients(world, notifications.TICKET_ASSIGNED) == ["sam@acme.example.com"]


def test_the_recipients_are_still_read_in_one_query(world):
    number = create(world).number
    switch_off(world, world.customer, notifications.STATUS_CHANGES)
    from tests.unit.test_statement_counts import statements_run

    with statements_run(world.url) as statements, write_session(world.url) as session:
        tickets.close_ticket(session, world.admin, number)
    assert len(statements) <= 4
    assert recipients(world, notifications.STATUS_CHANGED) == []


def test_a_workspace_setting_is_per_workspace(world):
    allow_signup(world)
    with read_session(world.url) as session:
        flags = dict(session.exec(select(Workspace.subdomain, Workspace.customer_signup)).all())
    assert flags == {"acme": True, "other": False}
