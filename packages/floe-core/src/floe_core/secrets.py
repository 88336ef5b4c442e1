"""Which names hold secrets, and how to show a value that must not be shown.

`is_secret_name` is the one rule floe uses to decide that an environment variable (or option) name holds a
secret: floe-core masks values that came from such variables in error messages; other packages reuse it for
what they write or log. It errs on the side of secrecy: a false match only hides a value from a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Fragments of names that hold secrets, matched anywhere in the name, case-insensitively, so that
# DB_PASS, PGPASSWORD, MY_APIKEY, AWS_SECRET_ACCESS_KEY, GCP_CREDS, SMTP_PWD and X_AUTH_HEADER all match.
SECRET_NAME_FRAGMENTS = (
    "PASS",  # PASSWORD, PASSWD, PASSPHRASE, DB_PASS
    "PWD",
    "SECRET",
    "TOKEN",
    "KEY",  # API_KEY, APIKEY, PRIVATE_KEY, KEYFILE
    "CRED",  # CREDS, CREDENTIAL(S)
    "PRIVATE",
    "AUTH",  # AUTH, OAUTH, AUTHORIZATION
    "SIGNATURE",
    "CERT",
    "SESSION",
    "COOKIE",
    "SALT",
    "HMAC",
    "JWT",
    "BEARER",
    "DSN",  # connection strings hold passwords
    "CONNECTION_STRING",
    "CONN_STR",
)
_SECRET_NAME = re.compile("|".join(re.escape(f) for f in SECRET_NAME_FRAGMENTS), re.IGNORECASE)

MASK = "***"


def is_secret_name(name: str) -> bool:
    """True when `name` (an environment variable or option name) looks like it holds a secret."""
    return _SECRET_NAME.search(name) is not None


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret replaced by MASK, also as it appears inside a repr().

    Longer secrets are replaced first, so a secret containing another is hidden whole."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        # as written, and escaped the way repr() writes it inside '...' or "..." (a message may show a
        # value with !r; appending '"' forces repr to pick single quotes and escape any ' in the secret)
        for form in {secret, repr(secret)[1:-1], repr(secret + '"')[1:-2]}:
            text = text.replace(form, MASK)
    return text


def describe_hidden(value: object) -> str:
    """The shape of a value that must not be shown: its kind and length, never its characters."""
    if isinstance(value, str):
        return f"<hidden: {len(value)} characters>"
    if value is None:
        return "<hidden: nothing (null)>"
    if isinstance(value, bool):
        return "<hidden: a boolean>"
    if isinstance(value, int | float):
        return "<hidden: a number>"
    if isinstance(value, dict):
        return f"<hidden: a mapping of {len(value)} entries>"
    if isinstance(value, list):
        return f"<hidden: a list of {len(value)} items>"
    return f"<hidden: {type(value).__name__}>"


class Hidden:
    """An Issue value shown as its shape: `(got <hidden: 40 characters>)` instead of the value."""

    def __init__(self, value: object) -> None:
        self._shape = describe_hidden(value)

    def __repr__(self) -> str:
        return self._shape

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hidden) and other._shape == self._shape

    def __hash__(self) -> int:
        return hash(self._shape)
