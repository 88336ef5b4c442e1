"""Kubernetes resource quantities (`cpu: "1000m"`, `memory: "2Gi"`), parsed exactly.

The grammar is Kubernetes' (k8s.io/apimachinery resource.Quantity): a decimal number, then a binary
suffix (Ki Mi Gi Ti Pi Ei), a decimal suffix (n u m "" k M G T P E) or a decimal exponent (e3, E-2).
Values are Decimals, never floats, so "0.1" cpu is exactly 100 millicores. The kubernetes runtime passes
the text through (requests/limits); docker needs numbers: `nano_cpus` and bytes.

floe-core cannot depend on the kubernetes client; the grammar is small and pinned by tests with values
from the Kubernetes documentation.
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, Field

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
}
_QUANTITY = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)


def parse_quantity(text: str) -> Decimal:
    """The numeric value of a Kubernetes quantity ("2Gi" -> 2147483648, "100m" -> 0.1)."""
    match = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"invalid quantity {text!r}: expected a Kubernetes quantity such as '500m', '2', '512Mi', '1G'"
        )
    number, suffix = match.group(1), match.group(2) or ""
    try:
        value = Decimal(number)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise ValueError(f"invalid quantity {text!r}") from None
    if suffix in _BINARY:
        return value * _BINARY[suffix]
    if suffix[:1] in ("e", "E"):
        return value.scaleb(int(suffix[1:]))
    return value * _DECIMAL[suffix]


def cpu_cores(text: str) -> Decimal:
    """CPU cores of a cpu quantity ("1000m" -> 1, "0.5" -> 0.5); at least 1m, like Kubernetes."""
    value = parse_quantity(text)
    if value < Decimal("0.001"):
        raise ValueError(
            f"cpu {text!r} is below the smallest schedulable amount (1m = 0.001 cores):"
            " write e.g. '250m' or '0.25'"
        )
    return value


def cpu_millicores(text: str) -> int:
    """Millicores, rounded up like Kubernetes does for sub-millicore precision."""
    return int((cpu_cores(text) * 1000).to_integral_value(rounding=ROUND_CEILING))


def cpu_nano_cpus(text: str) -> int:
    """docker's `nano_cpus` (1 core = 1e9)."""
    return cpu_millicores(text) * 1_000_000


def memory_bytes(text: str) -> int:
    """Bytes of a memory quantity ("2Gi" -> 2147483648, "1G" -> 1000000000); whole bytes only."""
    value = parse_quantity(text)
    if value <= 0:
        raise ValueError(f"memory {text!r} must be positive, e.g. '512Mi' or '2Gi'")
    if value != value.to_integral_value():
        hint = " ('m' means milli: did you mean 'Mi' or 'M'?)" if text.strip().endswith("m") else ""
        raise ValueError(f"memory {text!r} is not a whole number of bytes{hint}")
    return int(value)


def _check_cpu(text: str) -> str:
    cpu_cores(text)
    return text.strip()


def _check_memory(text: str) -> str:
    memory_bytes(text)
    return text.strip()


CpuQuantity = Annotated[
    str,
    AfterValidator(_check_cpu),
    Field(description="Kubernetes cpu quantity: '500m', '1', '2.5'", examples=["1000m"]),
]
MemoryQuantity = Annotated[
    str,
    AfterValidator(_check_memory),
    Field(description="Kubernetes memory quantity: '512Mi', '2Gi', '1G'", examples=["2Gi"]),
]
