"""`rapidreview users ...`: who may sign in to the workbench, and with which role."""

from __future__ import annotations

from pathlib import Path

import click

from .. import users as users_lib
from ..errors import InputError
from .common import echo_rows, json_option, open_existing, review_argument

ROLE = click.Choice(users_lib.ROLES)


def _password(password_file: str | None) -> str:
    """From a file (first line; for scripts) or typed twice without echo."""
    if password_file:
        text = Path(password_file).read_text(encoding="utf-8") if password_file != "-" else click.get_text_stream(
            "stdin").read()
        lines = text.splitlines()
        if not lines or not lines[0]:
            raise InputError(f"{password_file}: the first line should hold the password")
        return lines[0]
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


password_file_option = click.option(
    "--password-file", type=click.Path(dir_okay=False, allow_dash=True),
    help="Read the password from the first line of this file ('-' for stdin) instead of asking.")


@click.group("users")
def users_group():
    """Researchers who may sign in to the workbench (`rapidreview serve`).

    Once a review has a user, every page of `rapidreview serve` needs a sign-in. Roles:
    coder (reads, codes, reviews suggestions) and lead (also edits and merges codes).

    \b
    Example:
        rapidreview users add review.db alice --role lead
        rapidreview users list review.db
    """


@users_group.command("add")
@review_argument
@click.argument("name")
@click.option("--role", type=ROLE, default="coder", show_default=True, help="What they may do.")
@password_file_option
def add_command(review, name, role, password_file):
    """Add a researcher who may sign in, asking for their password twice.

    \b
    Example:
        rapidreview users add review.db alice --role lead
        rapidreview users add review.db bob --password-file bob.txt
    """
    db = open_existing(review)
    users_lib.add_user(db, name, _password(password_file), role)
    click.echo(f"Added {name} ({role}). They sign in at /-/workbench/login of `rapidreview serve {review}`.", err=True)


@users_group.command("list")
@review_argument
@json_option
def list_command(review, as_json):
    """The researchers who may sign in, with their roles.

    \b
    Example:
        rapidreview users list review.db
    """
    echo_rows(users_lib.list_users(open_existing(review)), ["name", "role", "created_at", "changed_at"], as_json)


@users_group.command("remove")
@review_argument
@click.argument("name")
def remove_command(review, name):
    """Stop a researcher signing in (their codings and memos stay).

    \b
    Example:
        rapidreview users remove review.db bob
    """
    users_lib.remove_user(open_existing(review), name)
    click.echo(f"Removed {name}.", err=True)


@users_group.command("passwd")
@review_argument
@click.argument("name")
@click.option("--role", type=ROLE, help="Also change their role.")
@password_file_option
def passwd_command(review, name, role, password_file):
    """Set a researcher's password (and, with --role, their role).

    \b
    Example:
        rapidreview users passwd review.db alice
    """
    db = open_existing(review)
    users_lib.set_password(db, name, _password(password_file))
    if role:
        users_lib.set_role(db, name, role)
    click.echo(f"Changed the password of {name}.", err=True)


commands = [users_group]
