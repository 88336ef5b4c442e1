"""URLs shown in logs, tick messages and errors carry no secret (issue 16.2)."""

from __future__ import annotations

import pytest
from floe_core.urls import display_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://u:pa55@hooks.example.com:8443/services/T0?token=S3cr3t",
            "https://hooks.example.com:8443/services/T0 (query hidden)",
        ),
        ("http://127.0.0.1:9/none", "http://127.0.0.1:9/none"),
        ("http://host:99999999/x", "<unparsable url>"),
        ("not a url S3cr3t", "<url>"),
    ],
)
def test_display_url_keeps_no_user_info_and_no_query(url: str, shown: str) -> None:
    assert display_url(url) == shown
    assert "S3cr3t" not in display_url(url) and "pa55" not in display_url(url)
