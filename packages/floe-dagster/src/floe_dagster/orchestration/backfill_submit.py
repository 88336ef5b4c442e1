"""`floe backfill <name> --submit`: the named backfill handed to a running Dagster as an asset backfill.

Through the webserver's GraphQL API (`launchPartitionBackfill`), exactly as the UI launches one: the
daemon picks it up and splits it into runs by each asset's backfill policy (asset rules'
`backfill_policy`), not by `batch_size`, which only the in-process mode applies.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from floe_core.errors import FloeError

from floe_dagster.orchestration.backfills import BACKFILL_TAG, BackfillPlan

_LAUNCH = """
mutation ($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
    ... on InvalidSubsetError { message }
    ... on PartitionSetNotFoundError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on InvalidOutputError { stepKey invalidOutputName }
  }
}
"""


@dataclass(frozen=True)
class SubmittedBackfill:
    backfill_id: str
    asset_partitions: int  # assets x partition keys targeted


def submit_backfill(plan: BackfillPlan, name: str, url: str, timeout: float = 30.0) -> SubmittedBackfill:
    """Launch backfill `name` on the Dagster webserver at `url`; FloeError saying why when it cannot."""
    keys = sorted(plan.job.asset_layer.selected_asset_keys, key=lambda k: k.to_user_string())
    params = {
        "assetSelection": [{"path": list(k.path)} for k in keys],
        "partitionNames": plan.keys,
        "tags": [{"key": BACKFILL_TAG, "value": name}],
        "title": f"floe backfill {name}",
        "description": f"orchestration.backfills.{name}: job {plan.spec.job}, {len(plan.keys)} partition(s)",
    }
    answer = _graphql(url, _LAUNCH, {"params": params}, timeout)["launchPartitionBackfill"]
    if answer.get("__typename") != "LaunchBackfillSuccess":
        detail = answer.get("message") or json.dumps(answer)
        raise FloeError(f"Dagster at {url} refused backfill {name!r}: {answer.get('__typename')}: {detail}")
    return SubmittedBackfill(str(answer["backfillId"]), len(keys) * len(plan.keys))


def _graphql(url: str, query: str, variables: dict[str, Any], timeout: float) -> dict[str, Any]:
    endpoint = url.rstrip("/") + "/graphql"
    request = urllib.request.Request(
        endpoint,
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FloeError(
            f"cannot reach the Dagster webserver at {url} ({type(exc).__name__}: {exc}): start `dagster dev`"
            " or pass --url / set DAGSTER_URL"
        ) from None
    if body.get("errors"):
        raise FloeError(f"Dagster at {url} rejected the request: {body['errors'][0].get('message')}")
    data: dict[str, Any] = body["data"]
    return data
