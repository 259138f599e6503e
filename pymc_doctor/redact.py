"""Redaction of private information from reports meant to be posted in public.

The home directory becomes ``~``; the user and host names ``<user>`` and ``<host>`` where they stand
in a path or an address (a user called ``model`` keeps ``pm.Model`` and ``model.py`` intact); the
values of environment variables whose names look secret (tokens, keys, passwords) and anything shaped
like a well-known token, a private key or a password in a URL ``<redacted>``; e-mail addresses
``<email>``. The rest of a path stays: spaces, non-ASCII characters or a OneDrive or network folder
are often the diagnosis.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSW|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH", re.IGNORECASE)
# Values shorter than this are too likely to occur by chance in ordinary text ("1", "true").
MIN_SECRET_LENGTH = 6
MIN_NAME_LENGTH = 3

# Secrets recognized by their shape, wherever they come from (a trace's attributes, a name, a traceback).
TOKEN_PATTERNS = (
    r"-----BEGIN[A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z ]*PRIVATE KEY-----|$)",
    r"gh[pousr]_[A-Za-z0-9]{30,}",  # GitHub tokens
    r"github_pat_[A-Za-z0-9_]{30,}",
    r"hf_[A-Za-z0-9]{30,}",  # Hugging Face
    r"(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])",  # AWS access key ids
    r"sk-[A-Za-z0-9_-]{20,}",  # OpenAI-style API keys
    r"xox[abposr]-[A-Za-z0-9-]{10,}",  # Slack
    r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",  # JSON web tokens
)
# A token starts after anything but a letter or digit: `my_ghp_...` in a variable name is one too.
TOKENS = re.compile("(?<![A-Za-z0-9])(?:" + "|".join(TOKEN_PATTERNS) + ")")
# scheme://user:password@host: the credentials go, the address stays.
URL_CREDENTIALS = re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*://)[^\s/@:]+:[^\s/@]*@")
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# A user or host name is redacted where it is a whole path component (after a separator) or part of an
# address (before or after an @, after //): not where it is a word of prose or code (`pm.Model()`).
BEFORE_NAME = r"(?:(?<=[/\\@])|(?=[^\s@]*@))(?<![\w.-])"
AFTER_NAME = r"(?=$|[\s/\\@:'\"),;\]>]|\.(?:\s|$))"


def _safe(call, default: str = "") -> str:
    try:
        return call() or default
    except Exception:  # getpass and socket fail in odd containers; redaction must not
        return default


@dataclass(frozen=True)
class Redactor:
    home: str
    user: str
    host: str
    secrets: tuple[str, ...]

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Redactor:
        environ = os.environ if environ is None else environ
        secrets = tuple(
            sorted(
                {
                    value
                    for name, value in environ.items()
                    if SECRET_NAME.search(name) and len(value) >= MIN_SECRET_LENGTH
                },
                key=len,
                reverse=True,
            )
        )
        home = environ.get("HOME") or environ.get("USERPROFILE") or _safe(lambda: str(Path.home()))
        return cls(
            home=home.rstrip("/\\") if home not in ("/", "") else "",
            user=_safe(getpass.getuser) or environ.get("USER", "") or environ.get("USERNAME", ""),
            host=_safe(socket.gethostname),
            secrets=secrets,
        )

    def text(self, value: str) -> str:
        for secret in self.secrets:
            value = value.replace(secret, "<redacted>")
        value = TOKENS.sub("<redacted>", value)
        value = URL_CREDENTIALS.sub(r"\1<redacted>@", value)
        if self.home:
            # Both separators: a Windows home appears with either in tracebacks and configs.
            for home in {self.home, self.home.replace("\\", "/"), self.home.replace("/", "\\")}:
                value = value.replace(home, "~")
        for name, mark in ((self.user, "<user>"), (self.host, "<host>")):
            if len(name) >= MIN_NAME_LENGTH:
                value = re.sub(f"{BEFORE_NAME}{re.escape(name)}{AFTER_NAME}", mark, value)
        return EMAIL.sub("<email>", value)

    def value(self, value: Any) -> Any:
        """Redact every string inside ``value`` (dataclasses, mappings and sequences included)."""
        if isinstance(value, str):
            return self.text(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {f.name: self.value(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
            return dataclasses.replace(value, **changes)
        if isinstance(value, Mapping):
            return {self.value(key): self.value(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.value(item) for item in value)
        return value
