"""Is this name a secret's name, does this text look like a credential? (contract §11.3: no secrets in specs)

`is_secret_name` is meant to be floe-wide (floe_core.secrets on another branch has one of the same name);
this module's copy keeps the workflows package self-contained until they are merged.

A name is split into words (`DB_PASSWORD`, `dbPassword`, `api-token` -> DB PASSWORD / DB PASSWORD / API
TOKEN). It is a secret's name when a word is one of SECRET_WORDS, or when it ends with KEY and the word
before KEY is not one of the data-modelling keys (PARTITION_KEY, PRIMARY_KEY, S3_KEY ...) — unless its last
word says the value points at the secret (TOKEN_FILE, PASSWORD_ENV, SECRET_NAME, TOKEN_URL).
"""

from __future__ import annotations

import re

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
    if any(w in joined for w in ("PASSWORD", "APIKEY", "PRIVATEKEY", "SECRET")):
        return True  # APIKEY, privateKey, clientsecret written as one word
    if words and words[-1] == "KEY":
        return len(words) == 1 or words[-2] not in NON_SECRET_KEY_PREFIXES
    return False


def credential_in(text: str) -> str | None:
    """What kind of credential `text` visibly contains ('a URL with a user:password@ part'), or None."""
    for pattern, what in _CREDENTIAL_PATTERNS:
        if pattern.search(text):
            return what
    return None
