"""Which names hold secrets, which text carries a credential, and how to show a value that must not be shown.

Two rules, for two uses:
- `is_secret_name(name)` decides that a name holds a secret, precisely enough to *refuse* a literal value
  under it (a workflow's `env`, a target's `properties.extra`): `DB_PASSWORD`, `API_TOKEN`, `GCP_CREDS`,
  `SIGNING_KEY` are secrets; `PARTITION_KEY`, `TOKEN_FILE`, `PASSWORD_ENV`, `AUTHOR` are not. A name is split
  into words (`DB_PASSWORD`, `dbPassword`, `api-token`); it is a secret's name when a word is one of
  SECRET_WORDS, or when it ends with KEY and the word before KEY is not a data-modelling key (PRIMARY_KEY,
  S3_KEY, ...) — unless its last word says the value points at the secret (TOKEN_FILE, SECRET_NAME).
- `may_hold_secret(name)` decides that a value must not be *shown* (error messages, logs): anything
  `is_secret_name` matches, plus any name containing a secret-ish fragment anywhere (a false match only hides
  a value from a message).
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


def may_hold_secret(name: str) -> bool:
    """True when the value of `name` must not be shown (see the module docstring)."""
    return is_secret_name(name) or _SECRET_NAME.search(name) is not None


SECRET_WORDS = frozenset(
    {
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "SECRET",
        "SECRETS",
        "TOKEN",
        "TOKENS",
        "CREDS",
        "CREDENTIAL",
        "CREDENTIALS",
        "APIKEY",
        "PRIVATEKEY",
        "DSN",
        "COOKIE",
        # besides the full words: the short forms people write
        "PASS",
        "PWD",
        "CRED",
        "AUTH",
        "OAUTH",
        "SIGNATURE",
        "CERT",
        "SALT",
        "HMAC",
        "JWT",
        "BEARER",
    }
)
# `<WORD>_KEY` names that are not secrets in data work (primary keys, object keys, cache keys ...)
NON_SECRET_KEY_PREFIXES = frozenset(
    {
        "PARTITION",
        "PRIMARY",
        "FOREIGN",
        "SORT",
        "SORTING",
        "DIST",
        "DISTRIBUTION",
        "CLUSTER",
        "CLUSTERING",
        "JOIN",
        "MERGE",
        "UNIQUE",
        "BUSINESS",
        "NATURAL",
        "SURROGATE",
        "ROW",
        "HASH",
        "SHARD",
        "OBJECT",
        "S3",
        "CACHE",
        "IDEMPOTENCY",
        "DEDUP",
        "DEDUPLICATION",
        "GROUP",
        "LOOKUP",
        "MESSAGE",
        "TOPIC",
    }
)
# the last word saying the value *points at* something: TOKEN_FILE, PASSWORD_PATH, SECRET_NAME, PASSWORD_ENV
POINTER_WORDS = frozenset(
    {"FILE", "PATH", "DIR", "NAME", "ENV", "ID", "URL", "URI", "ENDPOINT", "HOST", "PORT"}
)
_WORD = re.compile(r"[A-Z0-9]+(?![a-z])|[A-Z]?[a-z0-9]+")

# Text that carries a credential whatever its key: a URL with user:password@, well-known token shapes.
_CREDENTIAL_PATTERNS = (
    (re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]+:[^/\s@]+@"), "a URL with a user:password@ part"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"hooks\.slack\.com/services/T[A-Za-z0-9]+/"), "a Slack webhook URL"),
)


def name_words(name: str) -> list[str]:
    """`dbPassword` / `DB_PASSWORD` / `db-password` -> ['DB', 'PASSWORD']."""
    return [w.upper() for part in re.split(r"[_\-.\s]+", name) for w in _WORD.findall(part)]


def is_secret_name(name: str) -> bool:
    """True for names like DB_PASSWORD, API_TOKEN, AWS_SECRET_ACCESS_KEY, SIGNING_KEY, GCP_CREDS."""
    words = name_words(name)
    if len(words) > 1 and words[-1] in POINTER_WORDS:
        return False
    if any(w in SECRET_WORDS for w in words):
        return True
    joined = "".join(words)
    if any(
        w in joined for w in ("PASSWORD", "APIKEY", "PRIVATEKEY", "SECRET", "CONNECTIONSTRING", "CONNSTR")
    ):
        return True  # APIKEY, privateKey, clientsecret, DB_CONNECTION_STRING written as one word
    if words and words[-1] == "KEY":
        return len(words) == 1 or words[-2] not in NON_SECRET_KEY_PREFIXES
    return False


def credential_in(text: str) -> str | None:
    """What kind of credential `text` visibly contains ('a URL with a user:password@ part'), or None."""
    for pattern, what in _CREDENTIAL_PATTERNS:
        if pattern.search(text):
            return what
    return None


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
