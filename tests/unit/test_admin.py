"""Workspace administration: invitations, people (role, departments, deactivation, the last
admin) and departments (add, rename, archive), admins only. SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from tests.conftest import PASSWORD
from xobito_web.db import read_session, write_session
from xobito_web.models import AccountToken, DepartmentMember, OutboxEmail, Reply, Ticket, User, utcnow
from xobito_web.services import account_emails, accounts, admin, assignment, auth, live, tickets
from xobito_web.services.errors import Conflict, Forbidden, InvalidInput, NotFound, SignInFailed
from xobito_web.state.ticket_list import list_department_choices

NEW_PASSWORD = "a brand new passphrase"


# --- helpers -----------------------------------------------------------------------------


def act(world, fn, *args, actor=None, **kwargs):
    with write_session(world.url) as session:
        return fn(session, actor or world.admin, *args, **kwargs)


def read(world, fn, *args, actor=None, **kwargs):
    with read_session(world.url) as session:
        return fn(session, actor or world.admin, *args, **kwargs)


def emails(world, event=None) -> list[OutboxEmail]:
    with read_session(world.url) as session:
        query = select(OutboxEmail).order_by(col(OutboxEmail.id))
        if event:
            query = query.where(OutboxEmail.event == event)
        return list(session.exec(query).all())


def token_in(row: OutboxEmail) -> str:
    found = re.search(r"#token=([A-Za-z0-9_-]+)", row.body)
    assert found is not None, row.body
    return found.group(1)


def person(world, email) -> User | None:
    with read_session(world.url) as session:
        return session.exec(select(User).where(User.email == email)).first()


def count(world, table) -> int:
    with read_session(world.url) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def invite_hank(world, role="staff", departments=("Support",), **kwargs):
    return act(
        world,
        admin.invite,
        "Hank@Acme.example.com",
        "Hank Helper",
        role,
        [world.departments[name] for name in departments],
        **kwargs,
    )


def open_ticket(world, department="Support", subject="Printer on fire"):
    with write_session(world.url) as session:
        return tickets.create_ticket(session, world.customer, subject, world.departments[department], "high", "Smoke")


# --- Only admins ------------------------------------------------------------------------------

ADMIN_ACTIONS = [
    ("list_people", lambda w: ()),
    ("get_person", lambda w: (w.customer.user_id,)),
    ("invite", lambda w: ("x@acme.example.com", "X", "staff", [w.departments["Sales"]])),
    ("resend_invitation", lambda w: (w.customer.user_id,)),
    ("revoke_invitation", lambda w: (w.customer.user_id,)),
    ("change_person", lambda w: (w.sales_staff.user_id, "admin", [])),
    ("deactivate", lambda w: (w.other_customer.user_id,)),
    ("reactivate", lambda w: (w.other_customer.user_id,)),
    ("list_departments", lambda w: ()),
    ("add_department", lambda w: ("Legal",)),
    ("rename_department", lambda w: (w.departments["Sales"], "Revenue")),
    ("archive_department", lambda w: (w.departments["Sales"],)),
    ("restore_department", lambda w: (w.departments["Sales"],)),
    ("customer_signup", lambda w: ()),
    ("set_customer_signup", lambda w: (True,)),
]


@pytest.mark.parametrize("who", ["sales_staff", "customer"])
def test_every_admin_action_is_refused_for_staff_and_customers(any_world, who):
    world = any_world
    before = (count(world, User), count(world, DepartmentMember), count(world, OutboxEmail))
    for action, arguments in ADMIN_ACTIONS:
        with pytest.raises(Forbidden) as refused, write_session(world.url) as session:
            getattr(admin, action)(session, getattr(world, who), *arguments(world))
        assert str(refused.value) == admin.ONLY_ADMINS, action
    assert (count(world, User), count(world, DepartmentMember), count(world, OutboxEmail)) == before
    assert read(world, admin.list_departments)[0].name == "Billing"  # nothing renamed or archived


def test_an_admin_demoted_a_moment_ago_can_no_longer_act_from_an_open_screen(world):
    second = act(world, admin.invite, "ada@acme.example.com", "Ada", "admin", [])
    accounts.use_password_link(
        "acme", accounts.INVITATION, token_in(emails(world)[0]), NEW_PASSWORD, database_url=world.url
    )
    act(
        world,
        admin.change_person,
        world.admin.user_id,
        "staff",
        [world.departments["Sales"]],
        actor=person_as(world, second.user_id),
    )
    stale = world.admin  # the record the open screen holds still says "admin"
    with pytest.raises(Forbidden):
        act(world, admin.add_department, "Legal", actor=stale)


def person_as(world, user_id) -> auth.CurrentUser:
    with read_session(world.url) as session:
        user = session.get_one(User, user_id)
        from xobito_web.models import Workspace

        return auth.current_user_of(user, session.get_one(Workspace, user.workspace_id))


def test_another_workspaces_admin_cannot_touch_this_ones_people_or_departments(world):
    with pytest.raises(NotFound):
        act(world, admin.deactivate, world.customer.user_id, actor=world.foreign_admin)
    with pytest.raises(NotFound):
        act(world, admin.rename_department, world.departments["Sales"], "Mine", actor=world.foreign_admin)
    listed = read(world, admin.list_people, admin.CUSTOMERS, actor=world.foreign_admin)
    assert [p.email for p in listed.people] == ["erin@customer.example.com"]


# --- Invitations ---------------------------------------------------------------------------


def test_an_invited_staff_member_sets_a_password_and_sees_their_departments_tickets(any_world):
    world = any_world
    support_ticket = open_ticket(world, "Support")
    open_ticket(world, "Sales", "Quote please")
    invited = invite_hank(world)
    hank = person(world, "hank@acme.example.com")
    assert hank is not None
    assert (hank.active, hank.pending, hank.password_hash) == (False, "invitation", "")
    (listed,) = [p for p in read(world, admin.list_people).people if p.email == "hank@acme.example.com"]
    assert listed.state == admin.INVITED and listed.departments == ("Support",) and listed.link_expires_at

    (mail,) = emails(world, account_emails.INVITATION)
    assert mail.recipient == "hank@acme.example.com" and "Admin invited you to Acme Inc." in mail.subject
    assert "/acme/set-password#token=" in mail.body and "7 days" in mail.body
    assert invited.link in mail.body
    with pytest.raises(SignInFailed):  # no password yet
        auth.sign_in("acme", "hank@acme.example.com", "any password at all", database_url=world.url)

    _session, hank_user = accounts.use_password_link(
        "acme", accounts.INVITATION, token_in(mail), NEW_PASSWORD, database_url=world.url
    )
    assert read(world, admin.get_person, hank_user.user_id).state == admin.ACTIVE
    _token, signed_in = auth.sign_in("acme", "hank@acme.example.com", NEW_PASSWORD, database_url=world.url)
    with read_session(world.url) as session:
        seen = [row.number for row in tickets.list_tickets(session, signed_in).rows]
    assert seen == [support_ticket.number]


@pytest.mark.parametrize(
    "email, name, role, departments, field, message",
    [
        ("not-an-email", "X", "staff", ("Sales",), "email", "not valid"),
        ("sam@acme.example.com", "Sam again", "staff", ("Sales",), "email", "already an account"),
        ("SAM@acme.example.com", "Sam again", "staff", ("Sales",), "email", "already an account"),
        ("x@acme.example.com", "X", "overlord", (), "role", admin.ROLES_TEXT),
        ("x@acme.example.com", "X", "staff", (), "departments", admin.STAFF_NEED_A_DEPARTMENT),
        ("x@acme.example.com", "X", "customer", ("Sales",), "departments", admin.CUSTOMERS_HAVE_NO_DEPARTMENTS),
        ("x@acme.example.com", "", "staff", ("Sales",), "name", "Name is required"),
        ("x@acme.example.com", "X", "staff", ("unknown",), "departments", admin.CHOOSE_LISTED_DEPARTMENTS),
        ("x@acme.example.com", "X", "staff", ("foreign",), "departments", admin.CHOOSE_LISTED_DEPARTMENTS),
    ],
)
def test_bad_invitations_are_refused_and_nothing_is_written(world, email, name, role, departments, field, message):
    ids = [
        world.departments.get(d) or (999_999 if d == "unknown" else world.foreign_departments["Sales"])
        for d in departments
    ]
    before = count(world, User)
    with pytest.raises(InvalidInput) as refused:
        act(world, admin.invite, email, name, role, ids)
    assert refused.value.field == field and message in refused.value.message
    assert count(world, User) == before and emails(world) == [] and count(world, AccountToken) == 0


def test_an_archived_department_takes_no_new_members(world):
    act(world, admin.archive_department, world.departments["Billing"])
    with pytest.raises(InvalidInput) as refused:
        invite_hank(world, departments=("Billing",))
    assert refused.value.field == "departments"


def test_resending_an_invitation_replaces_the_link_and_revoking_removes_the_person(any_world):
    world = any_world
    invited = invite_hank(world)
    act(world, admin.resend_invitation, invited.user_id)
    first, second = emails(world, account_emails.INVITATION)
    with pytest.raises(accounts.LinkNotUsable):
        accounts.use_password_link("acme", accounts.INVITATION, token_in(first), NEW_PASSWORD, database_url=world.url)

    assert act(world, admin.revoke_invitation, invited.user_id) == "Hank Helper"
    assert person(world, "hank@acme.example.com") is None
    with pytest.raises(accounts.LinkNotUsable):
        accounts.use_password_link("acme", accounts.INVITATION, token_in(second), NEW_PASSWORD, database_url=world.url)
    invite_hank(world)  # the address is free again


def test_only_pending_people_are_revoked_or_sent_invitations(world):
    with pytest.raises(Conflict):
        act(world, admin.revoke_invitation, world.sales_staff.user_id)
    with pytest.raises(Conflict):
        act(world, admin.resend_invitation, world.sales_staff.user_id)
    sam = person(world, "sam@acme.example.com")
    assert sam is not None and sam.active


# --- Role, departments, the last admin ---------------------------------------------------------


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(any_world):
    world = any_world
    with pytest.raises(Conflict) as demoted:
        act(world, admin.change_person, world.admin.user_id, "staff", [world.departments["Sales"]])
    assert "last active admin" in str(demoted.value)
    with pytest.raises(Conflict):
        act(world, admin.deactivate, world.admin.user_id)
    admin_now = person(world, "admin@acme.example.com")
    assert admin_now is not None and admin_now.role == "admin"

    # With a second admin, one may step down; then the other is the last one.
    act(world, admin.change_person, world.sales_staff.user_id, "admin", [world.departments["Sales"]])
    act(world, admin.change_person, world.admin.user_id, "staff", [world.departments["Support"]])
    sam = person_as(world, world.sales_staff.user_id)
    with pytest.raises(Conflict):
        act(world, admin.change_person, sam.user_id, "staff", [world.departments["Sales"]], actor=sam)


def test_role_and_departments_change_what_a_staff_member_sees(any_world):
    world = any_world
    billing = open_ticket(world, "Billing")
    changed = act(world, admin.change_person, world.sales_staff.user_id, "staff", [world.departments["Billing"]])
    assert changed.departments == ("Billing",)
    sam = person_as(world, world.sales_staff.user_id)
    with read_session(world.url) as session:
        assert [row.number for row in tickets.list_tickets(session, sam).rows] == [billing.number]


@pytest.mark.parametrize(
    "who, role, departments, field",
    [
        ("customer", "staff", ("Sales",), "role"),
        ("sales_staff", "customer", (), "role"),
        ("sales_staff", "staff", (), "departments"),
        ("sales_staff", "wizard", ("Sales",), "role"),
        ("customer", "customer", ("Sales",), "departments"),
    ],
)
def test_bad_changes_to_a_person_are_refused(world, who, role, departments, field):
    with pytest.raises(InvalidInput) as refused:
        act(world, admin.change_person, getattr(world, who).user_id, role, [world.departments[d] for d in departments])
    assert refused.value.field == field
    unchanged = person(world, getattr(world, who).email)
    assert unchanged is not None and unchanged.role == getattr(world, who).role


# --- Deactivation -------------------------------------------------------------------------------


def test_deactivation_signs_out_keeps_the_history_stops_emails_and_returns_tickets(any_world, monkeypatch):
    world = any_world
    staff_session = auth.sign_in("acme", "sue@acme.example.com", PASSWORD, database_url=world.url)[0]
    assigned = open_ticket(world, "Support", "Printer")
    closed = open_ticket(world, "Support", "Old one")
    for number in (assigned.number, closed.number):
        with write_session(world.url) as session:
            assignment.assign_ticket(session, world.admin, number, None, world.support_staff.user_id)
            tickets.post_reply(session, world.support_staff, number, "I am on it.")
    with write_session(world.url) as session:
        tickets.close_ticket(session, world.customer, closed.number)
    # A second Support member to hear about the returned ticket; an email still queued for Sue.
    hank = invite_hank(world)
    accounts.use_password_link(
        "acme",
        accounts.INVITATION,
        token_in(emails(world, account_emails.INVITATION)[0]),
        NEW_PASSWORD,
        database_url=world.url,
    )
    queued_for_sue = [row.id for row in emails(world) if row.recipient == "sue@acme.example.com"]
    assert queued_for_sue

    changes: list[live.Change] = []
    monkeypatch.setattr(live.get_bus(), "publish", changes.append)
    returned = act(world, admin.deactivate, world.support_staff.user_id)

    assert returned == 1
    with read_session(world.url) as session:
        assert auth.resolve_session(session, staff_session, "acme") is None  # signed out at once
        assert session.get_one(Ticket, _ticket_id(session, assigned.number)).assignee_id is None
        assert session.get_one(Ticket, _ticket_id(session, closed.number)).assignee_id == world.support_staff.user_id
        replies = session.exec(select(Reply).where(Reply.author_id == world.support_staff.user_id)).all()
        statuses = {row.id: row.status for row in session.exec(select(OutboxEmail)).all()}
    assert len(replies) == 2  # their messages stay
    assert {statuses[i] for i in queued_for_sue} == {"failed"}
    (digest,) = emails(world, account_emails.TICKETS_RETURNED)
    assert digest.recipient == "hank@acme.example.com" and assigned.ref in digest.body
    assert digest.subject == "[Support] A ticket is back with the department"
    kinds = {change.kind for change in changes}
    assert {live.SESSIONS_ENDED, live.ADMINISTRATION, "assigned"} <= kinds
    assert read(world, admin.get_person, world.support_staff.user_id).state == admin.DEACTIVATED
    assert hank.user_id

    # No email reaches them any more: a customer reply to the ticket they handled.
    before = len(emails(world))
    with write_session(world.url) as session:
        tickets.post_reply(session, world.customer, closed.number - 1, "Still broken.")
    assert "sue@acme.example.com" not in [row.recipient for row in emails(world)[before:]]

    act(world, admin.reactivate, world.support_staff.user_id)
    assert auth.sign_in("acme", "sue@acme.example.com", PASSWORD, database_url=world.url)[1].name == "Support Staff"


def _ticket_id(session, number):
    return session.exec(select(Ticket.id).where(Ticket.number == number, Ticket.workspace_id == 1)).one()


def test_an_admin_cannot_deactivate_themselves_and_inactive_people_cannot_be_deactivated_again(world):
    with pytest.raises(Conflict):
        act(world, admin.deactivate, world.admin.user_id)
    act(world, admin.deactivate, world.customer.user_id)
    with pytest.raises(Conflict):
        act(world, admin.deactivate, world.customer.user_id)
    with pytest.raises(Conflict):
        act(world, admin.reactivate, world.other_customer.user_id)


# --- Departments ---------------------------------------------------------------------------------


def test_departments_are_added_and_renamed_with_unique_names(any_world):
    world = any_world
    legal = act(world, admin.add_department, "  Legal ")
    assert legal.name == "Legal"
    for taken in ("legal", "SALES"):
        with pytest.raises(InvalidInput) as refused:
            act(world, admin.add_department, taken)
        assert refused.value.field == "name" and "already a department" in refused.value.message
    with pytest.raises(InvalidInput):
        act(world, admin.rename_department, legal.id, "Support")
    act(world, admin.rename_department, legal.id, "LEGAL")  # its own name in other letters
    with pytest.raises(InvalidInput) as empty:
        act(world, admin.add_department, "  ")
    assert empty.value.field == "name"
    names = [d.name for d in read(world, admin.list_departments)]
    assert names == ["Billing", "LEGAL", "Sales", "Support"]
    act(world, admin.add_department, "Legal", actor=world.foreign_admin)  # another workspace's is fine


def test_an_archived_department_takes_no_new_tickets_and_its_tickets_stay_visible(any_world):
    world = any_world
    existing = open_ticket(world, "Billing")
    act(world, admin.archive_department, world.departments["Billing"])
    with pytest.raises(InvalidInput) as refused:
        open_ticket(world, "Billing")
    assert refused.value.field == "department" and "no longer takes new tickets" in refused.value.message
    with read_session(world.url) as session:
        assert tickets.get_ticket(session, world.customer, existing.number).department == "Billing"
        assert [r.number for r in tickets.list_tickets(session, world.admin).rows] == [existing.number]
        new_ticket_choices = [c.label for c in list_department_choices(session, world.admin.workspace_id)]
        filter_choices = [
            c.label for c in list_department_choices(session, world.admin.workspace_id, include_archived=True)
        ]
    assert new_ticket_choices == ["Sales", "Support"]
    assert filter_choices == ["Billing (archived)", "Sales", "Support"]
    # Nor can a ticket be moved there; it can still be answered and reassigned within it.
    other = open_ticket(world, "Sales")
    with pytest.raises(InvalidInput), write_session(world.url) as session:
        assignment.assign_ticket(session, world.admin, other.number, world.departments["Billing"], None)
    with write_session(world.url) as session:
        assignment.assign_ticket(
            session, world.admin, existing.number, world.departments["Billing"], world.admin.user_id
        )
        tickets.post_reply(session, world.admin, existing.number, "Still handled.")

    act(world, admin.restore_department, world.departments["Billing"])
    open_ticket(world, "Billing")


def test_the_last_open_department_cannot_be_archived(world):
    act(world, admin.archive_department, world.departments["Sales"])
    act(world, admin.archive_department, world.departments["Support"])
    with pytest.raises(Conflict) as refused:
        act(world, admin.archive_department, world.departments["Billing"])
    assert str(refused.value) == admin.KEEP_ONE_DEPARTMENT_OPEN
    with pytest.raises(Conflict):
        act(world, admin.archive_department, world.departments["Sales"])  # already archived


# --- The People list ------------------------------------------------------------------------------


def test_people_are_listed_by_group_and_name_with_search_and_pages(any_world):
    world = any_world
    for i in range(5):
        act(world, admin.invite, f"c{i}@customer.example.com", f"Customer {i:02d}", "customer", [])
    team = read(world, admin.list_people)
    assert [p.name for p in team.people] == ["Admin", "Sales Staff", "Support Staff"]
    assert [p.departments for p in team.people] == [(), ("Sales",), ("Support",)]
    first = read(world, admin.list_people, admin.CUSTOMERS, limit=3)
    second = read(world, admin.list_people, admin.CUSTOMERS, after=first.next_cursor, limit=3)
    third = read(world, admin.list_people, admin.CUSTOMERS, after=second.next_cursor, limit=3)
    names = [p.name for p in first.people + second.people + third.people]
    assert names == [
        "Customer",
        "Customer 00",
        "Customer 01",
        "Customer 02",
        "Customer 03",
        "Customer 04",
        "Other Customer",
    ]
    assert third.next_cursor is None
    found = read(world, admin.list_people, admin.CUSTOMERS, search="DAVE@")
    assert [p.name for p in found.people] == ["Other Customer"]
    assert read(world, admin.list_people, admin.CUSTOMERS, search="100%_").people == []
    assert read(world, admin.list_people, admin.CUSTOMERS, after="not a cursor").people[0].name == "Customer"


def test_every_change_is_announced_to_open_admin_screens_after_commit_only(world, monkeypatch):
    changes: list[live.Change] = []
    monkeypatch.setattr(live.get_bus(), "publish", changes.append)
    act(world, admin.add_department, "Legal")
    assert changes == [live.Change(world.admin.workspace_id, 0, live.ADMINISTRATION, world.admin.user_id, 0)]
    with pytest.raises(InvalidInput), write_session(world.url) as session:
        admin.add_department(session, world.admin, "Security")
        admin.add_department(session, world.admin, "security")  # the whole action rolls back
    assert len(changes) == 1
    assert [d.name for d in read(world, admin.list_departments)] == ["Billing", "Legal", "Sales", "Support"]


def test_the_signup_setting_is_changed_by_admins(world):
    assert read(world, admin.customer_signup) is False
    act(world, admin.set_customer_signup, True)
    assert read(world, admin.customer_signup) is True


def test_an_expired_invitation_says_to_ask_for_a_new_one(world):
    issued = utcnow()
    invite_hank(world, now=issued)
    (mail,) = emails(world)
    from datetime import timedelta

    with read_session(world.url) as session:
        status = accounts.link_status(
            session, "acme", token_in(mail), accounts.INVITATION, now=issued + timedelta(days=7, minutes=1)
        )
    assert status.problem == accounts.LINK_EXPIRED[accounts.INVITATION]


def test_the_refusal_test_covers_every_admin_action():
    import inspect

    acting = {
        name
        for name, function in inspect.getmembers(admin, inspect.isfunction)
        if function.__module__ == admin.__name__
        and not name.startswith("_")
        and list(inspect.signature(function).parameters)[1:2] == ["actor"]
    }
    assert acting == {name for name, _ in ADMIN_ACTIONS}
