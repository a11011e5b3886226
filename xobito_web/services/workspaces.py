"""Workspaces, departments and people: creation and the checks on what is typed in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlmodel import Session, select

from xobito_web.models import Department, DepartmentMember, Role, User, Workspace
from xobito_web.services.errors import Conflict, InvalidInput, NotFound
from xobito_web.services.ids import as_id
from xobito_web.services.passwords import hash_password

SUBDOMAIN_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# First path segments the app itself uses; a workspace may not shadow them.
RESERVED_SUBDOMAINS = frozenset({"api", "assets", "static", "ping", "health", "login", "404"})
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class DepartmentRecord:
    id: int
    name: str
    archived: bool = False  # takes no new tickets; its tickets stay visible


def one_line(value: str | None, label: str, min_length: int, max_length: int, field: str = "") -> str:
    """A trimmed single-line text within the given length, or InvalidInput naming the label."""
    text = (value or "").strip()
    if _CONTROL_CHARS.search(text):
        raise InvalidInput(f"{label} must be a single line of text.", field)
    if len(text) < min_length:
        if min_length <= 1:
            raise InvalidInput(f"{label} is required.", field)
        raise InvalidInput(f"{label} must be at least {min_length} characters.", field)
    if len(text) > max_length:
        raise InvalidInput(f"{label} must be at most {max_length} characters.", field)
    return text


def normalize_email(value: str | None) -> str:
    """A valid address, lower-cased so it is unique per workspace whatever its spelling."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput("Enter your email address.", "email")
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(f"That email address is not valid: {error}", "email") from None
    return checked.normalized.lower()


def check_password_strength(password: str | None) -> str:
    password = password or ""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput(f"The password must be at least {PASSWORD_MIN_LENGTH} characters.", "password")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidInput(f"The password must be at most {PASSWORD_MAX_LENGTH} characters.", "password")
    return password


def check_subdomain(value: str | None) -> str:
    subdomain = (value or "").strip().lower()
    if not SUBDOMAIN_PATTERN.match(subdomain) or len(subdomain) < 2:
        raise InvalidInput("A subdomain is 2–63 characters: lower-case letters, digits and inner hyphens.", "subdomain")
    if subdomain in RESERVED_SUBDOMAINS:
        raise InvalidInput(f"The subdomain {subdomain!r} is reserved.", "subdomain")
    return subdomain


def find_workspace(session: Session, subdomain: str) -> Workspace | None:
    if not subdomain or not SUBDOMAIN_PATTERN.match(subdomain):
        return None
    return session.exec(select(Workspace).where(Workspace.subdomain == subdomain)).first()


def get_workspace(session: Session, subdomain: str) -> Workspace:
    workspace = find_workspace(session, subdomain)
    if workspace is None:
        raise NotFound(f"There is no workspace {subdomain!r}.")
    return workspace


def create_workspace(session: Session, subdomain: str, name: str) -> Workspace:
    subdomain = check_subdomain(subdomain)
    name = one_line(name, "Workspace name", 1, 120, "name")
    if find_workspace(session, subdomain) is not None:
        raise Conflict(f"The workspace {subdomain!r} already exists.")
    workspace = Workspace(subdomain=subdomain, name=name)
    session.add(workspace)
    session.flush()
    return workspace


def create_department(session: Session, workspace: Workspace, name: str) -> DepartmentRecord:
    name = one_line(name, "Department name", 1, 80, "name")
    if find_department(session, workspace.id, name) is not None:
        raise Conflict(f"The department {name!r} already exists in {workspace.subdomain!r}.")
    department = Department(workspace_id=workspace.id, name=name)
    session.add(department)
    session.flush()
    return DepartmentRecord(department.id, department.name)


def find_department(session: Session, workspace_id: int, name: str) -> Department | None:
    return session.exec(
        select(Department).where(
            Department.workspace_id == workspace_id, func.lower(Department.name) == name.strip().lower()
        )
    ).first()


def department_of_workspace(session: Session, workspace_id: int, value: int | str | None) -> Department:
    """The department a form or URL names by id, if it is one of this workspace's; else InvalidInput."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput("The department is required.", "department")
    department_id = as_id(value)
    department = None
    if department_id is not None:
        department = session.exec(
            select(Department).where(Department.id == department_id, Department.workspace_id == workspace_id)
        ).first()
    if department is None:
        raise InvalidInput("Choose one of the departments in the list.", "department")
    return department


def list_departments(session: Session, workspace_id: int, include_archived: bool = True) -> list[DepartmentRecord]:
    """The workspace's departments by name; without the archived ones for what takes new tickets."""
    query = select(Department).where(Department.workspace_id == workspace_id)
    if not include_archived:
        query = query.where(Department.archived_at == None)
    rows = session.exec(query.order_by(Department.name)).all()
    return [DepartmentRecord(row.id, row.name, row.archived_at is not None) for row in rows]


def department_is_archived(department: Department) -> bool:
    return department.archived_at is not None


def create_user(
    session: Session,
    workspace: Workspace,
    email: str,
    name: str,
    role: str,
    password: str,
    departments: list[str] | tuple[str, ...] = (),
) -> User:
    email = normalize_email(email)
    name = one_line(name, "Name", 1, 120, "name")
    if role not in {r.value for r in Role}:
        raise InvalidInput("The role must be admin, staff or customer.", "role")
    check_password_strength(password)
    if departments and role == Role.CUSTOMER:
        raise InvalidInput("Customers do not belong to departments.", "department")
    department_rows = []
    for department_name in departments:
        department = find_department(session, workspace.id, department_name)
        if department is None:
            raise InvalidInput(f"There is no department {department_name!r} in {workspace.subdomain!r}.", "department")
        department_rows.append(department)
    duplicate = session.exec(select(User.id).where(User.workspace_id == workspace.id, User.email == email)).first()
    if duplicate is not None:
        raise Conflict(f"A user with the email {email} already exists in {workspace.subdomain!r}.")

    user = User(workspace_id=workspace.id, email=email, name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    for department in {d.id: d for d in department_rows}.values():
        session.add(DepartmentMember(department_id=department.id, user_id=user.id))
    session.flush()
    return user
