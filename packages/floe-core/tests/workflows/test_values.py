"""Durations, Kubernetes quantities and secret names: the small value grammars of the spec."""

from __future__ import annotations

from decimal import Decimal

import pytest
from floe_core.workflows import (
    cpu_millicores,
    cpu_nano_cpus,
    credential_in,
    format_duration,
    is_secret_name,
    memory_bytes,
    parse_duration,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("2d", 172800), ("1w", 604800), ("0s", 0), ("90m", 5400)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5 m", "m5", "1m1h", "1.5h", "5min", "-5m", "1h30"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration such as '30s'"):
        parse_duration(text)


def test_format_duration() -> None:
    assert [format_duration(s) for s in (0, 30, 300, 5400, 90061, 1209600, 22.5)] == [
        "0s",
        "30s",
        "5m",
        "1h30m",
        "1d1h1m1s",
        "14d",
        "22.5s",
    ]


# values from the Kubernetes documentation ("Resource units in Kubernetes", "Quantity")
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1000m", Decimal(1)),
        ("0.5", Decimal("0.5")),
        ("2", Decimal(2)),
        ("100m", Decimal("0.1")),
        ("128974848", Decimal(128974848)),
        ("129e6", Decimal(129000000)),
        ("129M", Decimal(129000000)),
        ("123Mi", Decimal(128974848)),
        ("2Gi", Decimal(2147483648)),
        ("1G", Decimal(1000000000)),
        ("1.5Gi", Decimal(1610612736)),
        ("1k", Decimal(1000)),
        ("1Ki", Decimal(1024)),
        ("5E-3", Decimal("0.005")),
    ],
)
def test_quantities(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


def test_cpu_and_memory_for_runtimes() -> None:
    assert (cpu_millicores("1000m"), cpu_nano_cpus("1000m")) == (1000, 1_000_000_000)
    assert (cpu_millicores("0.25"), cpu_nano_cpus("250m")) == (250, 250_000_000)
    assert cpu_millicores("0.0015") == 2  # sub-millicore precision rounds up, like Kubernetes
    assert memory_bytes("512Mi") == 536870912
    with pytest.raises(ValueError, match="'m' means milli"):
        memory_bytes("512m")
    with pytest.raises(ValueError, match="below the smallest schedulable amount"):
        cpu_millicores("0.0001")


@pytest.mark.parametrize("text", ["", "1GB", "one", "1 Gi", "Gi", "1.2.3", "1ki", "0x10"])
def test_bad_quantities(text: str) -> None:
    with pytest.raises(ValueError, match="expected a Kubernetes quantity"):
        parse_quantity(text)


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASSWORD",
        "dbPassword",
        "API_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "SIGNING_KEY",
        "GCP_CREDS",
        "CLIENT_SECRET",
        "apikey",
        "PRIVATE_KEY",
        "KEY",
        "SNOWFLAKE_PASSPHRASE",
        "github-token",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "PARTITION_KEY",
        "PRIMARY_KEY",
        "S3_KEY",
        "CACHE_KEY",
        "TOKEN_FILE",
        "PASSWORD_ENV",
        "SECRET_NAME",
        "TOKEN_URL",
        "EXECUTION_DATE",
        "KEYSPACE",
        "MONKEY",
        "ICEBERG_CATALOG",
    ],
)
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


def test_credentials_in_text() -> None:
    assert credential_in("postgres://etl:s3cret@db:5432/sales") == "a URL with a user:password@ part"
    assert credential_in("https://hooks.slack.com/services/T000/B000/XXXX") == "a Slack webhook URL"
    assert credential_in("-----BEGIN RSA PRIVATE KEY-----") == "a private key"
    assert credential_in("http://trino:8080") is None
    assert credential_in("postgres://etl@db/sales") is None
