"""The account and administration screens in process (real Reflex states, no browser), and the
server routes that set a password with a one-time link and sign the browser in."""

from __future__ import annotations

import re

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from tests.conftest import PASSWORD
from tests.unit.screens import cookie_of, event_fn, load, open_tab, refresh, run
from xobito_web.db import read_session, write_session
from xobito_web.models import Department, OutboxEmail, User
from xobito_web.routes import build_api
from xobito_web.services import account_emails, accounts, admin, auth, live
from xobito_web.state.account_links import ForgotPasswordState, LinkState, SignUpState
from xobito_web.state.admin_departments import DepartmentsState
from xobito_web.state.admin_people import PeopleState
from xobito_web.state.live import LiveBatch
from xobito_web.state.profile import ProfileState

OWN = {"Accept": "application/json", "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
NEW_PASSWORD = "a brand new passphrase"


def emails(world, event=None) -> list[OutboxEmail]:
    with read_session(world.url) as session:
        query = select(OutboxEmail).order_by(col(OutboxEmail.id))
        return list(session.exec(query.where(OutboxEmail.event == event) if event else query).all())


def token_in(row: OutboxEmail) -> str:
    found = re.search(r"#token=([A-Za-z0-9_-]+)", row.body)
    assert found is not None, row.body
    return found.group(1)


def users(world) -> list[tuple[str, bool]]:
    with read_session(world.url) as session:
        return sorted((u.email, u.active) for u in session.exec(select(User)).all())


def departments(world) -> list[tuple[str, bool]]:
    with read_session(world.url) as session:
        return sorted((d.name, d.archived_at is not None) for d in session.exec(select(Department)).all())


def administration(world, actor) -> live.Change:
    return live.Change(actor.workspace_id, 0, live.ADMINISTRATION, actor.user_id, 0)


# --- Only admins, on screen too ---------------------------------------------------------------


@pytest.mark.parametrize("email", ["sam@acme.example.com", "carol@customer.example.com"])
def test_staff_and_customers_sending_admin_events_directly_change_nothing(app_database, email):
    world = app_database
    people = open_tab(PeopleState, "/acme/admin/people", cookie_of(world, email))
    load(people)
    assert people.signed_in and not people.allowed and people.people == []
    before_users, before_departments = users(world), departments(world)

    run(event_fn(PeopleState.invite)(people, {"email": "x@acme.example.com", "name": "X"}))
    run(event_fn(PeopleState.set_signup_open)(people, True))
    people.confirm_id = str(world.customer.user_id)  # even with a forged confirmation
    run(event_fn(PeopleState.deactivate)(people))
    assert people.error == admin.ONLY_ADMINS
    people.edit_id, people.edit_role, people.edit_departments = str(world.sales_staff.user_id), "admin", []
    run(event_fn(PeopleState.save_edit)(people))
    assert people.error == admin.ONLY_ADMINS

    departments_tab = open_tab(DepartmentsState, "/acme/admin/departments", cookie_of(world, email), "tab-2")
    load(departments_tab)
    assert not departments_tab.allowed and departments_tab.departments == []
    run(event_fn(DepartmentsState.add_department)(departments_tab, {"name": "Sneaky"}))
    assert departments_tab.error == admin.ONLY_ADMINS
    departments_tab.confirm_id = str(world.departments["Sales"])
    run(event_fn(DepartmentsState.archive_department)(departments_tab))
    run(event_fn(DepartmentsState.restore_department)(departments_tab, str(world.departments["Sales"])))

    assert users(world) == before_users and departments(world) == before_departments
    with read_session(world.url) as session:
        assert not accounts.signup_open(session, "acme")
    assert emails(world) == []


# --- People -------------------------------------------------------------------------------------


def test_an_admin_invites_from_the_people_screen_with_every_problem_shown_at_once(app_database):
    world = app_database
    people = open_tab(PeopleState, "/acme/admin/people", cookie_of(world, "admin@acme.example.com"))
    load(people)
    assert people.allowed and [p.name for p in people.people] == ["Admin", "Sales Staff", "Support Staff"]
    assert [p.is_self for p in people.people] == [True, False, False]

    event_fn(PeopleState.open_invite)(people)
    run(event_fn(PeopleState.invite)(people, {"email": "not an address", "name": ""}))
    assert set(people.invite_errors) == {"email", "name", "departments"}
    assert emails(world) == []

    event_fn(PeopleState.toggle_invite_department)(people, str(world.departments["Support"]), True)
    event_fn(PeopleState.toggle_invite_department)(people, "999999", True)  # not one of the choices: ignored
    assert people.invite_departments == [str(world.departments["Support"])]
    run(event_fn(PeopleState.invite)(people, {"email": "sam@acme.example.com", "name": "Sam again"}))
    assert people.invite_errors == {"email": "There is already an account for sam@acme.example.com in this workspace."}
    assert people.invite_open

    run(event_fn(PeopleState.invite)(people, {"email": "Hank@acme.example.com", "name": "Hank Helper"}))
    assert people.invite_errors == {} and not people.invite_open
    assert people.notice == "An invitation is on its way to Hank@acme.example.com."
    hank = next(p for p in people.people if p.email == "hank@acme.example.com")
    assert (hank.state_label, hank.departments, hank.last_sign_in) == ("Invited", "Support", "Never")
    assert hank.link_note.startswith("Link valid until")
    assert [row.recipient for row in emails(world, account_emails.INVITATION)] == ["hank@acme.example.com"]


def test_deactivating_from_the_screen_needs_a_confirmation_and_keeps_the_last_admin(app_database):
    world = app_database
    people = open_tab(PeopleState, "/acme/admin/people", cookie_of(world, "admin@acme.example.com"))
    load(people)
    event_fn(PeopleState.ask_deactivate)(people, str(world.sales_staff.user_id))
    assert people.confirm_name == "Sales Staff"
    run(event_fn(PeopleState.deactivate)(people))
    assert people.confirm_id == "" and "Sales Staff is deactivated" in people.notice
    assert [p.state_label for p in people.people if p.name == "Sales Staff"] == ["Deactivated"]

    event_fn(PeopleState.start_edit)(people, str(world.admin.user_id))
    event_fn(PeopleState.set_edit_role)(people, "staff")
    event_fn(PeopleState.toggle_edit_department)(people, str(world.departments["Sales"]), True)
    run(event_fn(PeopleState.save_edit)(people))
    assert "last active admin" in people.error and people.edit_id == str(world.admin.user_id)
    assert ("admin@acme.example.com", True) in users(world)


def test_another_admins_change_reaches_an_open_people_screen(app_database):
    world = app_database
    people = open_tab(PeopleState, "/acme/admin/people", cookie_of(world, "admin@acme.example.com"))
    load(people)
    with write_session(world.url) as session:
        admin.invite(session, world.admin, "ivy@acme.example.com", "Ivy", "admin", [])
    run(refresh(people, administration(world, world.admin)))
    assert "Ivy" in [p.name for p in people.people]


# --- Departments ----------------------------------------------------------------------------


def test_a_department_added_by_one_admin_appears_on_another_admins_open_screen(app_database):
    world = app_database
    with write_session(world.url) as session:
        second = admin.invite(session, world.admin, "ivy@acme.example.com", "Ivy", "admin", [])
    accounts.use_password_link(
        "acme", accounts.INVITATION, token_in(emails(world)[0]), NEW_PASSWORD, database_url=world.url
    )
    assert second.user_id
    first_tab = open_tab(DepartmentsState, "/acme/admin/departments", cookie_of(world, "admin@acme.example.com"))
    token, ivy = auth.sign_in("acme", "ivy@acme.example.com", NEW_PASSWORD, database_url=world.url)
    second_tab = open_tab(DepartmentsState, "/acme/admin/departments", token, "tab-2")
    load(first_tab)
    load(second_tab)

    run(event_fn(DepartmentsState.add_department)(first_tab, {"name": "Legal"}))
    assert first_tab.notice == "Legal is added." and first_tab.add_form_key == 1
    run(refresh(second_tab, administration(world, world.admin), LiveBatch(administration(world, world.admin))))
    assert [d.name for d in second_tab.departments] == ["Billing", "Legal", "Sales", "Support"]
    assert ivy.is_admin

    run(event_fn(DepartmentsState.add_department)(first_tab, {"name": "legal"}))
    assert first_tab.add_errors == {"name": "There is already a department named 'Legal'."}
    run(event_fn(DepartmentsState.add_department)(first_tab, {"name": "  "}))
    assert first_tab.add_errors == {"name": "The department name is required."}

    event_fn(DepartmentsState.ask_archive)(first_tab, str(world.departments["Billing"]))
    run(event_fn(DepartmentsState.archive_department)(first_tab))
    assert [d.archived for d in first_tab.departments if d.name == "Billing"] == [True]


# --- Profile ---------------------------------------------------------------------------------


def test_the_profile_shows_the_persons_kinds_of_email_and_saves_choices(app_database):
    world = app_database
    profile = open_tab(ProfileState, "/acme/profile", cookie_of(world, "carol@customer.example.com"))
    load(profile)
    assert (profile.profile_name, profile.profile_email) == ("Customer", "carol@customer.example.com")
    assert [(c.label, c.wanted) for c in profile.email_choices] == [
        ("Replies on my tickets", True),
        ("Status changes of my tickets", True),
    ]
    run(event_fn(ProfileState.set_email_wanted)(profile, "replies", False))
    assert [c.wanted for c in profile.email_choices] == [False, True]
    run(event_fn(ProfileState.set_email_wanted)(profile, "new_tickets", False))  # not a customer's kind
    assert profile.errors == {"emails": "There is no such kind of email."}
    load(profile)
    assert [c.wanted for c in profile.email_choices] == [False, True]


def test_change_password_on_the_profile_shows_every_problem_and_keeps_this_session(app_database):
    world = app_database
    cookie = cookie_of(world, "carol@customer.example.com")
    elsewhere = cookie_of(world, "carol@customer.example.com")
    profile = open_tab(ProfileState, "/acme/profile", cookie)
    load(profile)
    run(event_fn(ProfileState.change_password)(profile, {"current_password": "", "new_password": "short"}))
    assert set(profile.errors) == {"current_password", "new_password"}
    run(
        event_fn(ProfileState.change_password)(profile, {"current_password": "wrong one", "new_password": NEW_PASSWORD})
    )
    assert profile.errors == {"current_password": accounts.WRONG_CURRENT_PASSWORD}
    run(event_fn(ProfileState.change_password)(profile, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}))
    assert profile.errors == {} and "signed out everywhere else" in profile.password_notice
    with read_session(world.url) as session:
        assert auth.resolve_session(session, cookie, "acme") is not None
        assert auth.resolve_session(session, elsewhere, "acme") is None


def test_a_renamed_person_sees_the_new_name_in_the_header(app_database):
    world = app_database
    profile = open_tab(ProfileState, "/acme/profile", cookie_of(world, "carol@customer.example.com"))
    load(profile)
    run(event_fn(ProfileState.save_name)(profile, {"name": "  Carol C. "}))
    assert (profile.profile_name, profile.user_name, profile.name_notice) == (
        "Carol C.",
        "Carol C.",
        "Your name is saved.",
    )
    run(event_fn(ProfileState.save_name)(profile, {"name": "a\nb"}))
    assert profile.errors == {"name": "Name must be a single line of text."}


# --- Pages for people who are not signed in ----------------------------------------------------


def test_forgot_password_answers_the_same_for_any_address(app_database):
    world = app_database
    tab = open_tab(ForgotPasswordState, "/acme/forgot-password", "")
    load(tab)
    run(event_fn(ForgotPasswordState.send_reset_link)(tab, {"email": "carol@customer.example.com"}))
    known = tab.sent_message
    run(event_fn(ForgotPasswordState.send_reset_link)(tab, {"email": "nobody@customer.example.com"}))
    assert known == tab.sent_message == accounts.RESET_SENT
    run(event_fn(ForgotPasswordState.send_reset_link)(tab, {"email": "nonsense"}))
    assert "not valid" in tab.errors["email"] and tab.sent_message == ""
    assert [row.recipient for row in emails(world)] == ["carol@customer.example.com"]


def test_the_sign_up_page_says_when_sign_up_is_off(app_database):
    world = app_database
    tab = open_tab(SignUpState, "/acme/sign-up", "")
    load(tab)
    assert tab.loaded and not tab.signup_open
    run(event_fn(SignUpState.sign_up)(tab, {"name": "Nina", "email": "nina@customer.example.com"}))
    assert tab.sent_message == "" and emails(world) == []


def test_a_link_page_says_what_is_wrong_with_its_link(app_database):
    world = app_database
    tab = open_tab(LinkState, "/acme/reset-password", "")
    load(tab)
    assert tab.purpose == "reset" and tab.heading == "New password" and not tab.checked
    run(event_fn(LinkState.check_link)(tab, "not-a-real-token"))
    assert tab.checked and tab.problem == accounts.LINK_UNKNOWN
    accounts.request_password_reset("acme", "carol@customer.example.com", database_url=world.url)
    run(event_fn(LinkState.check_link)(tab, token_in(emails(world)[0])))
    assert tab.problem == "" and tab.person_email == "carol@customer.example.com"
    event_fn(LinkState.link_refused)(
        tab, {"code": "invalid", "message": "The password must be at least 8 characters.", "field": "password"}
    )
    assert tab.errors == {"password": "The password must be at least 8 characters."}


# --- The server routes ------------------------------------------------------------------------


def test_a_password_set_with_a_link_signs_this_browser_in_once(world):
    client = TestClient(build_api(database_url=world.url), follow_redirects=False)
    accounts.request_password_reset("acme", "carol@customer.example.com", database_url=world.url)
    token = token_in(emails(world)[0])

    weak = client.post("/acme/reset-password", data={"token": token, "password": "short"}, headers=OWN)
    assert weak.status_code == 422 and weak.json()["error"]["field"] == "password"
    wrong_page = client.post("/acme/set-password", data={"token": token, "password": NEW_PASSWORD}, headers=OWN)
    assert wrong_page.status_code == 410 and wrong_page.json()["error"]["message"] == accounts.LINK_UNKNOWN
    foreign = client.post(
        "/acme/reset-password",
        data={"token": token, "password": NEW_PASSWORD},
        headers={**OWN, "Origin": "https://evil.example.com", "Sec-Fetch-Site": "cross-site"},
    )
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers

    done = client.post("/acme/reset-password", data={"token": token, "password": NEW_PASSWORD}, headers=OWN)
    assert done.status_code == 200 and done.json() == {"next": "/acme/tickets"}
    assert "HttpOnly" in done.headers["set-cookie"]
    with read_session(world.url) as session:
        resolved = auth.resolve_session(session, client.cookies[auth.SESSION_COOKIE], "acme")
        assert resolved is not None and resolved.email == "carol@customer.example.com"
    again = client.post("/acme/reset-password", data={"token": token, "password": NEW_PASSWORD}, headers=OWN)
    assert again.status_code == 410 and again.json()["error"]["code"] == "link"


def test_a_deactivated_person_signing_in_is_told_so(world):
    with write_session(world.url) as session:
        admin.deactivate(session, world.admin, world.customer.user_id)
    client = TestClient(build_api(database_url=world.url), follow_redirects=False)
    refused = client.post(
        "/acme/login", data={"email": "carol@customer.example.com", "password": PASSWORD}, headers=OWN
    )
    assert refused.status_code == 403
    assert refused.json()["error"] == {"code": "deactivated", "message": auth.DEACTIVATED, "field": ""}
    plain = client.post(
        "/acme/login",
        data={"email": "carol@customer.example.com", "password": PASSWORD},
        headers={"Origin": "http://testserver"},
    )
    assert plain.headers["location"] == "/acme/login?error=deactivated"
