"""Building blocks shared by every compute target: env var names, threads, the `extra` escape hatch."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Discriminator, Field, field_validator

from floe_core.secrets import is_secret_name
from floe_core.spec.base import FloeModel

ENV_VAR_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
_ENV_VAR_NAME = re.compile(ENV_VAR_NAME_PATTERN)

# Option names that carry secrets in some dbt adapter (besides any name is_secret_name matches). `properties.extra` passes options through verbatim,
# so it must not become a back door for a literal secret: these go through `credentials.*_env` instead.
SECRET_OPTION_NAMES = frozenset(
    {
        "password",
        "pass",
        "token",
        "refresh_token",
        "private_key",
        "private_key_passphrase",
        "oauth_client_secret",
        "client_secret",
        "azure_client_secret",
        "keyfile_json",
        "secret_access_key",
        "motherduck_token",
        "access_token",
    }
)


def _check_env_var_name(value: str) -> str:
    # A value that is not a valid name is most likely a pasted secret: say so without echoing more of it.
    if not _ENV_VAR_NAME.match(value):
        raise ValueError(
            "expected the NAME of an environment variable (letters, digits and _, not starting with a digit),"
            " never the secret itself"
        )
    return value


EnvVarName = Annotated[
    str,
    AfterValidator(_check_env_var_name),
    Field(json_schema_extra={"pattern": ENV_VAR_NAME_PATTERN}),
]
"""The name of an environment variable; floe writes `{{ env_var('NAME') }}`, never its value."""

ExtraValue = str | int | float | bool


class TargetProperties(FloeModel):
    """Settings common to every target's `properties`."""

    threads: int = Field(default=4, ge=1, description="dbt threads: models built in parallel")
    extra: dict[str, ExtraValue] = Field(
        default_factory=dict,
        description="Adapter options floe does not model, copied into the dbt output last (they override"
        " floe's defaults). Secrets are not allowed here: use `credentials.*_env`.",
    )

    @field_validator("extra")
    @classmethod
    def _no_secrets_in_extra(cls, extra: dict[str, ExtraValue]) -> dict[str, ExtraValue]:
        secret = sorted(k for k in extra if k in SECRET_OPTION_NAMES or is_secret_name(k))
        if secret:
            raise ValueError(
                f"{', '.join(secret)} would hold a secret in plain text: set it through the target's"
                " `credentials` as an environment variable name (`*_env`)"
            )
        if "type" in extra:
            raise ValueError("`type` cannot be overridden: set the target's `type` instead")
        return extra


def choose_by(key: str, *tags: str) -> Discriminator:
    """Discriminator on `key` whose error, for a missing *or* unknown value, lists the accepted ones.

    pydantic's own message for a missing tag ("Unable to extract tag") does not say what is accepted;
    a callable discriminator lets us use one message for both cases. Members are tagged with `Tag(...)`.
    """

    def pick(value: object) -> object:
        return value.get(key) if isinstance(value, dict) else getattr(value, key, None)

    return Discriminator(
        pick,
        custom_error_type=f"invalid_{key}",
        custom_error_message=f"`{key}` must be one of: {', '.join(tags)}",
    )
