"""``ctip tokens create --user U --name N`` (prints the token once), ``list``, ``revoke``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ctip.api import tokens
from ctip.api.models import AccessToken
from ctip.core.errors import ActionError


class Command(BaseCommand):
    help = "Personal access tokens for the API: create (shown once), list, revoke."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        create = sub.add_parser("create", help="Create a token; it is printed once.")
        create.add_argument("--user", required=True, help="username")
        create.add_argument("--name", required=True, help="the device or system it is for")
        create.add_argument("--days", type=int, default=tokens.DEFAULT_DAYS,
                            help=f"validity in days (1–{tokens.MAX_DAYS})")
        create.add_argument("--role", action="append", default=[],
                            help="limit the token to this role of the user (repeatable)")
        listing = sub.add_parser("list", help="A user's tokens (never the tokens themselves).")
        listing.add_argument("--user", required=True)
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix")

    def _user(self, username: str) -> Any:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['subcommand']}")(options)
        except ActionError as exc:
            raise CommandError(str(exc)) from exc

    def _create(self, options: dict[str, Any]) -> None:
        issued = tokens.create_token(actor=None, user=self._user(options["user"]),
                                     name=options["name"], days=options["days"],
                                     roles=options["role"])
        self.stdout.write(issued.secret)
        self.stderr.write(f"Token {issued.token.prefix} for {options['user']} "
                          f"({issued.token.name}), valid until "
                          f"{issued.token.expires_at:%Y-%m-%d %H:%M} UTC. It is shown only "
                          f"now: keep it in the device's secret store.")

    def _list(self, options: dict[str, Any]) -> None:
        for token in AccessToken.objects.filter(user=self._user(options["user"])):
            state = ("revoked" if token.revoked_at else "expired" if not token.is_usable
                     else "valid")
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(f"{token.prefix}  {state:8}  until {token.expires_at:%Y-%m-%d}"
                              f"  last used {used}  {token.name}")

    def _revoke(self, options: dict[str, Any]) -> None:
        token = AccessToken.objects.filter(prefix=options["prefix"]).first()
        if token is None:
            raise CommandError(f"no token {options['prefix']!r}")
        tokens.revoke_token(actor=None, token=token)
        self.stdout.write(f"Token {token.prefix} ({token.name}) revoked.")
