"""The `xobito` command: what it prints and how it exits, in a process of its own."""

import email
import os
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest

XOBITO = str(Path(sys.executable).parent / "xobito")


@pytest.fixture
def run(tmp_path):
    env = {**os.environ, "XOBITO_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([XOBITO, *args], env=env, capture_output=True, text=True, timeout=120)

    assert run("migrate").returncode == 0
    return run


def test_creating_a_workspace_with_departments_and_people(run):
    assert run("create-workspace", "globex", "--name", "Globex").returncode == 0
    assert run("create-department", "globex", "Support").returncode == 0
    made = run(
        "create-user",
        "globex",
        "Hank@Globex.example.com",
        "--name",
        "Hank",
        "--role",
        "staff",
        "--password",
        "long enough",
        "--department",
        "Support",
    )
    assert made.returncode == 0
    assert "hank@globex.example.com" in made.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("create-workspace", "Bad Name!", "--name", "X"), "A subdomain is 2–63 characters"),
        (("create-department", "nowhere", "Sales"), "There is no workspace 'nowhere'."),
        (
            ("create-user", "globex", "not-an-email", "--name", "X", "--role", "staff", "--password", "long enough"),
            "That email address is not valid",
        ),
        (
            ("create-user", "globex", "a@globex.example.com", "--name", "X", "--role", "staff", "--password", "short"),
            "The password must be at least 8 characters.",
        ),
        (
            (
                "create-user",
                "globex",
                "c@globex.example.com",
                "--name",
                "C",
                "--role",
                "customer",
                "--password",
                "long enough",
                "--department",
                "Support",
            ),
            "Customers do not belong to departments.",
        ),
        (("seed", "globex", "--tickets", "0"), "--tickets must be at least 1."),
    ],
)
def test_bad_arguments_exit_non_zero_with_one_line(run, args, message):
    run("create-workspace", "globex", "--name", "Globex")
    run("create-department", "globex", "Support")
    result = run(*args)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_duplicates_are_refused(run):
    run("create-workspace", "globex", "--name", "Globex")
    again = run("create-workspace", "globex", "--name", "Globex again")
    assert again.returncode == 1 and "already exists" in again.stderr
    run("create-user", "globex", "a@globex.example.com", "--name", "A", "--role", "admin", "--password", "long enough")
    twice = run(
        "create-user", "globex", "A@globex.example.com", "--name", "A", "--role", "admin", "--password", "long enough"
    )
    assert twice.returncode == 1 and "already exists" in twice.stderr


def test_seed_demo_once_then_leaves_it_alone(run):
    first = run("seed-demo")
    assert first.returncode == 0 and "created" in first.stdout and "demo-password" in first.stdout
    second = run("seed-demo")
    assert second.returncode == 0 and "exists already" in second.stdout


def test_bulk_seed_loads_tickets_with_replies(run):
    run("create-workspace", "bulk", "--name", "Bulk")
    result = run("seed", "bulk", "--tickets", "300", "--replies", "2")
    assert result.returncode == 0
    assert "Seeded 300 tickets and 600 replies" in result.stdout


def test_invite_queues_the_email_and_prints_the_link(run, tmp_path):
    run("create-workspace", "globex", "--name", "Globex")
    run("create-department", "globex", "Support")
    invited = run(
        "invite", "globex", "Ivy@Globex.example.com", "--name", "Ivy", "--role", "staff", "--department", "Support"
    )
    assert invited.returncode == 0, invited.stderr
    assert "ivy@globex.example.com" in invited.stdout
    link = invited.stdout.strip().splitlines()[-1]
    assert link.startswith("http://localhost:3000/globex/set-password#token=")
    delivered = run("mail-worker", "--once")
    assert delivered.returncode == 0 and "Delivered 1 email" in delivered.stdout
    (message,) = (tmp_path / "mail").glob("*.eml")
    received = email.message_from_bytes(message.read_bytes(), policy=policy.default)
    body = received.get_body(("plain",))
    assert body is not None and link in body.get_content()

    again = run(
        "invite", "globex", "ivy@globex.example.com", "--name", "Ivy", "--role", "staff", "--department", "Support"
    )
    assert again.returncode == 1 and "already an account" in again.stderr
    no_department = run("invite", "globex", "x@globex.example.com", "--name", "X", "--role", "staff")
    assert no_department.returncode == 1 and "at least one department" in no_department.stderr
    unknown = run("invite", "globex", "y@globex.example.com", "--name", "Y", "--role", "staff", "--department", "Nope")
    assert unknown.returncode == 1 and "no open department 'Nope'" in unknown.stderr
    assert unknown.stderr.count("\n") == 1


def test_reset_password_prints_a_link(run):
    run("create-workspace", "globex", "--name", "Globex")
    run("create-user", "globex", "a@globex.example.com", "--name", "A", "--role", "admin", "--password", "long enough")
    result = run("reset-password", "globex", "A@globex.example.com")
    assert result.returncode == 0
    assert result.stdout.strip().splitlines()[-1].startswith("http://localhost:3000/globex/reset-password#token=")
    unknown = run("reset-password", "globex", "nobody@globex.example.com")
    assert unknown.returncode == 1 and "There is no account nobody@globex.example.com" in unknown.stderr
