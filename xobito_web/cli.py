"""The `xobito` console script (docs/product.md "Command line")."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from xobito_web.config import settings


class CommandFailed(Exception):
    """A one-line reason the command could not do its job."""


def cmd_migrate(args: argparse.Namespace) -> None:
    from xobito_web import migrations

    migrations.upgrade()
    print(f"Database is up to date ({_safe_url()}).")


def cmd_create_workspace(args: argparse.Namespace) -> None:
    from xobito_web.db import write_session
    from xobito_web.services import workspaces

    with write_session() as session:
        workspace = workspaces.create_workspace(session, args.subdomain, args.name)
    print(f"Created workspace {workspace.subdomain!r} ({workspace.name}).")


def cmd_create_department(args: argparse.Namespace) -> None:
    from xobito_web.db import write_session
    from xobito_web.services import workspaces

    with write_session() as session:
        workspace = workspaces.get_workspace(session, args.subdomain)
        department = workspaces.create_department(session, workspace, args.name)
    print(f"Created department {department.name!r} in {args.subdomain!r}.")


def cmd_create_user(args: argparse.Namespace) -> None:
    from xobito_web.db import write_session
    from xobito_web.services import workspaces

    with write_session() as session:
        workspace = workspaces.get_workspace(session, args.subdomain)
        user = workspaces.create_user(
            session, workspace, args.email, args.name, args.role, args.password, args.department or ()
        )
    print(f"Created {user.role} {user.email} in {args.subdomain!r}.")


def cmd_invite(args: argparse.Namespace) -> None:
    from xobito_web.db import write_session
    from xobito_web.services import admin, workspaces

    with write_session() as session:
        workspace = workspaces.get_workspace(session, args.subdomain)
        invited = admin.invite_by_department_names(
            session, workspace, args.email, args.name, args.role, args.department or ()
        )
    print(f"Invited {invited.email} to {args.subdomain!r}; the invitation email is queued. Set password link:")
    print(invited.link)


def cmd_reset_password(args: argparse.Namespace) -> None:
    from xobito_web.db import write_session
    from xobito_web.services import accounts

    with write_session() as session:
        link = accounts.reset_link_for(session, args.subdomain, args.email)
    print(f"Reset link for {args.email} (works once, for 1 hour):")
    print(link)


def cmd_seed_demo(args: argparse.Namespace) -> None:
    from xobito_web import seed

    created = seed.seed_demo()
    print("Demo workspace 'acme' created." if created else "Demo workspace 'acme' exists already; left as it is.")
    print(seed.demo_sign_in_details(settings.base_url))


def cmd_seed(args: argparse.Namespace) -> None:
    from xobito_web import seed

    if args.tickets < 1:
        raise CommandFailed("--tickets must be at least 1.")
    figures = seed.seed_tickets(args.subdomain, args.tickets, replies_per_ticket=args.replies)
    print(
        f"Seeded {figures.tickets} tickets and {figures.replies} replies in {args.subdomain!r} "
        f"in {figures.seconds:.1f} s."
    )


def cmd_build(args: argparse.Namespace) -> None:
    from xobito_web import production

    try:
        with production.production_build(rebuild=args.force) as directory:
            info = production.BuildInfo.read(directory)
    except production.BuildInUse as error:
        raise CommandFailed(str(error)) from None
    print(f"The production build in {directory} is up to date (built {info.built_at if info else '?'}).")


def cmd_serve(args: argparse.Namespace) -> None:
    from xobito_web import migrations, production
    from xobito_web.db import get_engine

    migrations.upgrade()
    get_engine().dispose()  # the server's worker processes open their own connections
    try:
        with production.production_build() as directory:
            print(f"Serving Xobito tickets on {settings.base_url} (port {settings.port}) from {directory}.", flush=True)
            production.serve(directory, settings.port)
    except production.BuildInUse as error:
        raise CommandFailed(str(error)) from None


def cmd_mail_worker(args: argparse.Namespace) -> None:
    import logging
    import signal
    import threading

    from xobito_web.services import mailer

    try:
        description = mailer.check_configuration()
    except ValueError as error:
        raise CommandFailed(str(error)) from None
    if args.poll <= 0:
        raise CommandFailed("--poll must be a positive number of seconds.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.once:
        print(f"Delivered {mailer.deliver_due()} email(s); {description}.")
        return
    stop = threading.Event()
    # Ctrl-C and SIGTERM both let the current email finish, then stop.
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"Mail worker running, {description}. Stop with Ctrl-C.", flush=True)
    mailer.run_worker(stop, poll_seconds=args.poll)
    print("Mail worker stopped.")


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xobito", description="Xobito tickets command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], None], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    add("migrate", cmd_migrate, "Bring the database schema up to date.")
    sub = add("create-workspace", cmd_create_workspace, "Create a workspace.")
    sub.add_argument("subdomain")
    sub.add_argument("--name", required=True)
    sub = add("create-department", cmd_create_department, "Create a department in a workspace.")
    sub.add_argument("subdomain")
    sub.add_argument("name")
    sub = add("create-user", cmd_create_user, "Create a person in a workspace.")
    sub.add_argument("subdomain")
    sub.add_argument("email")
    sub.add_argument("--name", required=True)
    sub.add_argument("--role", required=True, choices=["admin", "staff", "customer"])
    sub.add_argument("--password", required=True)
    sub.add_argument("--department", action="append", help="a department to join (repeatable)")
    sub = add("invite", cmd_invite, "Invite a person: they set their password from the emailed link (7 days).")
    sub.add_argument("subdomain")
    sub.add_argument("email")
    sub.add_argument("--name", required=True)
    sub.add_argument("--role", required=True, choices=["admin", "staff", "customer"])
    sub.add_argument("--department", action="append", help="a department to join (repeatable)")
    sub = add("reset-password", cmd_reset_password, "Print a one-time link (1 hour) to choose a new password.")
    sub.add_argument("subdomain")
    sub.add_argument("email")
    add("seed-demo", cmd_seed_demo, "Create the demo workspace 'acme' when it does not exist yet.")
    sub = add("seed", cmd_seed, "Generate N tickets with replies in a workspace, fast.")
    sub.add_argument("subdomain")
    sub.add_argument("--tickets", type=int, required=True)
    sub.add_argument("--replies", type=int, default=2, help="replies per ticket (default 2)")
    sub = add("build", cmd_build, "Build the production frontend when it is missing or out of date.")
    sub.add_argument("--force", action="store_true", help="build even when the build is up to date")
    add("serve", cmd_serve, "Apply migrations, build when needed, then serve the production build on PORT.")
    sub = add("mail-worker", cmd_mail_worker, "Deliver queued email (SMTP_URL, else .eml files) until stopped.")
    sub.add_argument("--poll", type=float, default=2.0, help="seconds between checks when idle (default 2)")
    sub.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    from xobito_web.services.errors import ServiceError

    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except (ServiceError, CommandFailed) as error:
        print(f"xobito {args.command}: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 (the contract is one line, not a stack trace)
        print(f"xobito {args.command}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
