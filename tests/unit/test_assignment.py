"""Assignment: admins move and assign, staff take, the picker, visibility and "assigned to me"."""

import re
import threading

import pytest
from sqlalchemy import delete, update
from sqlmodel import select

from xobito_web.db import read_session, write_session
from xobito_web.models import DepartmentMember, Ticket, User
from xobito_web.services import assignment, auth, tickets, workspaces
from xobito_web.services.errors import Conflict, InvalidInput, NotFound
from xobito_web.services.tickets import TicketFilter

BODY = "The printer on the second floor smokes."
PASSWORD = "correct horse battery"


def open_ticket(world, subject="Printer is on fire", department="Support", user=None):
    with write_session(world.url) as session:
        return tickets.create_ticket(
            session, user or world.customer, subject, world.departments[department], "", BODY
        ).number


def assign(world, number, department=None, assignee=None, actor=None):
    department_id = (
        world.departments[department] if isinstance(department, str) and department in world.departments else department
    )
    with write_session(world.url) as session:
        return assignment.assign_ticket(session, actor or world.admin, number, department_id, assignee)


def take(world, user, number):
    with write_session(world.url) as session:
        return assignment.take_ticket(session, user, number)


def view(world, user, number):
    with read_session(world.url) as session:
        return tickets.get_ticket(session, user, number)


def stored(world, number) -> Ticket:
    with read_session(world.url) as session:
        return session.exec(
            select(Ticket).where(Ticket.workspace_id == world.customer.workspace_id, Ticket.number == number)
        ).one()


def listed(world, user, **filters) -> list[int]:
    with read_session(world.url) as session:
        page = tickets.list_tickets(session, user, TicketFilter(statuses=(), **filters), limit=100)
    return [row.number for row in page.rows]


def add_person(world, address, role, departments=()):
    with write_session(world.url) as session:
        workspace = workspaces.get_workspace(session, "acme")
        return workspaces.create_user(
            session, workspace, address, address.split("@")[0].title(), role, PASSWORD, departments
        ).id


# --- admins assign -----------------------------------------------------------------------


def test_admin_assigns_a_staff_member_of_the_department(any_world):
    world = any_world
    number = open_ticket(world)
    result = assign(world, number, assignee=world.support_staff.user_id)
    assert result.assignee_name == "Support Staff"
    assert stored(world, number).assignee_id == world.support_staff.user_id
    assert view(world, world.admin, number).assignee_name == "Support Staff"


def test_admin_moves_and_assigns_in_one_go(any_world):
    world = any_world
    number = open_ticket(world, department="Support")
    result = assign(world, number, department="Sales", assignee=world.sales_staff.user_id)
    assert (result.department, result.assignee_name) == ("Sales", "Sales Staff")
    ticket = stored(world, number)
    assert (ticket.department_id, ticket.assignee_id) == (world.departments["Sales"], world.sales_staff.user_id)


def test_moving_keeps_the_department_when_none_is_given_and_unassigns_with_none(world):
    number = open_ticket(world)
    assign(world, number, assignee=world.support_staff.user_id)
    result = assign(world, number, department=None, assignee=None)
    assert (result.department, result.assignee_name) == ("Support", "")
    assert stored(world, number).assignee_id is None
    result = assign(world, number, department="Billing", assignee="")
    assert (result.department, result.assignee_name) == ("Billing", "")


def test_admins_can_be_assigned_in_any_department(world):
    number = open_ticket(world, department="Billing")
    assert assign(world, number, assignee=world.admin.user_id).assignee_name == "Admin"
    assert assign(world, number, department="Sales", assignee=str(world.admin.user_id)).department == "Sales"


@pytest.mark.parametrize(
    "who",
    ["sales_staff", "customer", "foreign_admin", "inactive", "missing", "garbage"],
)
def test_only_active_team_members_of_the_department_can_be_assignees(world, who):
    number = open_ticket(world, department="Support")
    if who == "inactive":
        assignee = add_person(world, "tom@acme.example.com", "staff", ("Support",))
        with write_session(world.url) as session:
            session.exec(update(User).where(User.id == assignee).values(active=False))
    elif who == "missing":
        assignee = 999_999
    elif who == "garbage":
        assignee = "1; drop table ticket"
    else:
        assignee = getattr(world, who).user_id
    with pytest.raises(InvalidInput) as caught:
        assign(world, number, assignee=assignee)
    assert caught.value.field == "assignee"
    assert stored(world, number).assignee_id is None


def test_the_assignee_must_belong_to_the_new_department(world):
    number = open_ticket(world, department="Support")
    with pytest.raises(InvalidInput) as caught:
        assign(world, number, department="Sales", assignee=world.support_staff.user_id)
    assert (caught.value.message, caught.value.field) == (assignment.NOT_ASSIGNABLE, "assignee")
    ticket = stored(world, number)
    assert (ticket.department_id, ticket.assignee_id) == (world.departments["Support"], None)


def test_a_department_of_another_workspace_is_refused(world):
    number = open_ticket(world)
    with pytest.raises(InvalidInput) as caught:
        assign(world, number, department=world.foreign_departments["Sales"])
    assert caught.value.field == "department"
    with pytest.raises(InvalidInput) as caught:
        assign(world, number, department="not a number")
    assert (caught.value.message, caught.value.field) == ("Choose one of the departments in the list.", "department")
    assert stored(world, number).department_id == world.departments["Support"]


@pytest.mark.parametrize("who", ["support_staff", "customer"])
def test_only_admins_assign(world, who):
    number = open_ticket(world)
    with pytest.raises(Conflict, match=re.escape(assignment.ONLY_ADMINS_ASSIGN)):
        assign(world, number, assignee=world.support_staff.user_id, actor=getattr(world, who))
    assert stored(world, number).assignee_id is None


def test_admins_of_another_workspace_get_not_found(world):
    number = open_ticket(world)
    with pytest.raises(NotFound):
        assign(world, number, assignee=world.foreign_admin.user_id, actor=world.foreign_admin)
    with pytest.raises(NotFound):
        assign(world, 999, assignee=world.admin.user_id)


def test_closed_tickets_are_not_assigned(world):
    number = open_ticket(world)
    with write_session(world.url) as session:
        tickets.close_ticket(session, world.customer, number)
    with pytest.raises(Conflict, match=re.escape(assignment.CLOSED)):
        assign(world, number, assignee=world.support_staff.user_id)
    with pytest.raises(Conflict, match=re.escape(assignment.CLOSED)):
        take(world, world.support_staff, number)
    assert stored(world, number).assignee_id is None


# --- staff take --------------------------------------------------------------------------


def test_staff_take_a_ticket_of_their_department(any_world):
    world = any_world
    number = open_ticket(world)
    result = take(world, world.support_staff, number)
    assert result.assignee_name == "Support Staff"
    assert stored(world, number).assignee_id == world.support_staff.user_id
    assert take(world, world.support_staff, number).assignee_name == "Support Staff"  # again: no change


def test_staff_cannot_take_tickets_of_other_departments(world):
    number = open_ticket(world, department="Support")
    with pytest.raises(NotFound):  # Sam (Sales) does not even see it
        take(world, world.sales_staff, number)
    assert stored(world, number).assignee_id is None


def test_a_ticket_someone_else_has_is_not_taken_from_them(world):
    number = open_ticket(world)
    assign(world, number, assignee=world.admin.user_id)
    with pytest.raises(Conflict, match="already assigned to Admin"):
        take(world, world.support_staff, number)
    assert stored(world, number).assignee_id == world.admin.user_id


def test_admins_take_any_ticket_and_customers_none(world):
    number = open_ticket(world, department="Billing")
    assert take(world, world.admin, number).assignee_name == "Admin"
    with pytest.raises(Conflict, match=re.escape(assignment.ONLY_TEAM_TAKES)):
        take(world, world.customer, number)


def test_two_staff_taking_at_once_one_wins(pg_world):
    world = pg_world
    number = open_ticket(world)
    tom = add_person(world, "tom@acme.example.com", "staff", ("Support",))
    _token, tom_user = auth.sign_in("acme", "tom@acme.example.com", PASSWORD, database_url=world.url)
    outcomes, refusals, barrier = [], [], threading.Barrier(2)

    def attempt(user):
        barrier.wait()
        try:
            take(world, user, number)
            outcomes.append(("ok", user.user_id))
        except Conflict as error:
            outcomes.append(("conflict", user.user_id))
            refusals.append(error.message)

    threads = [threading.Thread(target=attempt, args=(user,)) for user in (world.support_staff, tom_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(kind for kind, _ in outcomes) == ["conflict", "ok"]
    winner = next(user_id for kind, user_id in outcomes if kind == "ok")
    assert stored(world, number).assignee_id == winner
    assert {user_id for _, user_id in outcomes} == {world.support_staff.user_id, tom}
    winner_name = "Support Staff" if winner == world.support_staff.user_id else "Tom"
    assert refusals == [f"This ticket is already assigned to {winner_name}."]


# --- what the view offers ----------------------------------------------------------------


def test_get_assignment_tells_what_each_person_may_do(world):
    number = open_ticket(world)
    with read_session(world.url) as session:
        admin = assignment.get_assignment(session, world.admin, number)
        sue = assignment.get_assignment(session, world.support_staff, number)
        with pytest.raises(NotFound):
            assignment.get_assignment(session, world.sales_staff, number)
        carol = assignment.get_assignment(session, world.customer, number)
    assert (admin.department_id, admin.assignee_id, admin.can_assign, admin.can_take) == (
        world.departments["Support"],
        None,
        True,
        True,
    )
    assert (sue.can_assign, sue.can_take) == (False, True)
    assert (carol.can_assign, carol.can_take) == (False, False)
    take(world, world.support_staff, number)
    with read_session(world.url) as session:
        sue = assignment.get_assignment(session, world.support_staff, number)
    assert (sue.assignee_id, sue.can_take) == (world.support_staff.user_id, False)


def test_list_assignable_offers_admins_and_the_department_staff(world):
    tom = add_person(world, "tom@acme.example.com", "staff", ("Support",))
    gone = add_person(world, "gone@acme.example.com", "staff", ("Support",))
    with write_session(world.url) as session:
        session.exec(update(User).where(User.id == gone).values(active=False))
    with read_session(world.url) as session:
        people = assignment.list_assignable(session, world.admin, world.departments["Support"])
        sales = assignment.list_assignable(session, world.admin, str(world.departments["Sales"]))
        billing = assignment.list_assignable(session, world.admin, world.departments["Billing"])
        with pytest.raises(Conflict, match=re.escape(assignment.ONLY_ADMINS_ASSIGN)):
            assignment.list_assignable(session, world.support_staff, world.departments["Support"])
        with pytest.raises(InvalidInput) as caught:
            assignment.list_assignable(session, world.admin, world.foreign_departments["Sales"])
        assert caught.value.field == "department"
    assert [(p.id, p.name, p.role) for p in people] == [
        (world.admin.user_id, "Admin", "admin"),
        (world.support_staff.user_id, "Support Staff", "staff"),
        (tom, "Tom", "staff"),
    ]
    assert [p.name for p in sales] == ["Admin", "Sales Staff"]
    assert [p.name for p in billing] == ["Admin"]


# --- visibility and the "assigned to me" filter ------------------------------------------


def test_staff_see_tickets_assigned_to_them_outside_their_departments(world):
    number = open_ticket(world, department="Support")
    assign(world, number, assignee=world.support_staff.user_id)
    # Sue leaves Support; the ticket is still hers, so she still sees it.
    with write_session(world.url) as session:
        session.exec(delete(DepartmentMember).where(DepartmentMember.user_id == world.support_staff.user_id))
    assert view(world, world.support_staff, number).assignee_name == "Support Staff"
    assert listed(world, world.support_staff) == [number]
    assign(world, number, assignee=None)
    with pytest.raises(NotFound):
        view(world, world.support_staff, number)
    assert listed(world, world.support_staff) == []


def test_moving_a_ticket_changes_who_sees_it(world):
    number = open_ticket(world, department="Support")
    assign(world, number, department="Sales")
    assert listed(world, world.sales_staff) == [number]
    assert listed(world, world.support_staff) == []
    with pytest.raises(NotFound):
        view(world, world.support_staff, number)


def test_assigned_to_me_filter(any_world):
    world = any_world
    mine = open_ticket(world, "Mine")
    theirs = open_ticket(world, "Admin's")
    nobodys = open_ticket(world, "Nobody's")
    take(world, world.support_staff, mine)
    assign(world, theirs, assignee=world.admin.user_id)
    assert listed(world, world.support_staff) == [nobodys, theirs, mine]
    assert listed(world, world.support_staff, assigned_to_me=True) == [mine]
    assert listed(world, world.admin, assigned_to_me=True) == [theirs]
    assert listed(world, world.sales_staff, assigned_to_me=True) == []
    assert listed(world, world.customer, assigned_to_me=True) == []
    assert listed(world, world.support_staff, assigned_to_me=True, search="Mine") == [mine]
    assert listed(world, world.support_staff, assigned_to_me=True, search="Nobody") == []


def test_the_list_shows_the_assignee_to_the_team_only(world):
    number = open_ticket(world)
    take(world, world.support_staff, number)
    with read_session(world.url) as session:
        team_row = tickets.list_tickets(session, world.admin).rows[0]
        customer_row = tickets.list_tickets(session, world.customer).rows[0]
        customer_view = tickets.get_ticket(session, world.customer, number)
    assert team_row.assignee_name == "Support Staff"
    assert customer_row.assignee_name == "" and customer_view.assignee_name == ""
