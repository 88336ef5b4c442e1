"""Every validation problem, asserted by its exact `file:line: path: message` (files relative to floe.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from floe_core.errors import FloeValidationError
from floe_core.loader import load_spec
from floe_core.workflows import WorkflowValidationError, load_workflow_text, load_workflows

MakeProject = Callable[..., Path]
W = "workflows/w/workflow.yaml"


def problems(config: Path) -> list[str]:
    with pytest.raises(WorkflowValidationError) as err:
        load_workflows(load_spec(config), config)
    assert isinstance(err.value, FloeValidationError)  # callers handling floe.yaml errors handle these too
    return [p.render() for p in err.value.problems]


def text_problems(text: str, **kwargs: object) -> list[str]:
    with pytest.raises(WorkflowValidationError) as err:
        load_workflow_text(text, "w.yaml", **kwargs)  # type: ignore[arg-type]
    return [p.render() for p in err.value.problems]


def test_every_problem_of_a_file_at_once(make_project: MakeProject) -> None:
    text = """\
workflow:
  name: w
  schedule: {cron: "0 2 * *", timezone: Mars/Olympus}
  jobs:
    - job:
        name: a
        image: lakehouse/a:1
        args: ["{{ dss }}", "--table={{ params.tabel }}", "--prev={{ prev_execution_date }}"]
        params: {table: raw.sales, day: "{{ params.table }}"}
        env:
          DB_PASSWORD: hunter2
          SOURCE_URL: "postgres://etl:s3cret@db:5432/sales"
          GOOD: {secret_env: GOOD}
        resources: {cpu: "0", memory: "512m"}
        retry: {max_attempts: 3, delay: 5, max_delay: soon}
      depends_on: [b, zz]
    - job: {name: b, image: lakehouse/b:1, timeout: 1h30}
      depends_on: [a]
"""
    config = make_project({W: text})
    assert problems(config) == [
        f"{W}:3: workflow.schedule: start_date is required for a cron or interval schedule: its"
        " windows (partitions) begin there, e.g. start_date: '2024-01-01'",
        f"{W}:3: workflow.schedule.cron: invalid cron expression '0 2 * *': expected 5 fields 'minute hour"
        " day-of-month month day-of-week', e.g. '0 2 * * *' (got '0 2 * *')",
        f"{W}:3: workflow.schedule.timezone: unknown timezone: expected an IANA name such as"
        " 'UTC' or 'Europe/Paris' (got 'Mars/Olympus')",
        f"{W}:8: workflow.jobs[0].job.args[0]: unknown template variable 'dss'; did you mean 'ds'?; available:"
        " execution_date, ds, ts, ds_nodash, ts_nodash, prev_execution_date, next_execution_date,"
        " data_interval_start, data_interval_end, trigger_file, params (got '{{ dss }}')",
        f"{W}:8: workflow.jobs[0].job.args[1]: unknown param 'params.tabel'; did you mean 'table'?; this job's"
        " params: table, day (got '--table={{ params.tabel }}')",
        f"{W}:9: workflow.jobs[0].job.params.day: a param cannot use params: params are rendered first, with"
        " the date variables only (got '{{ params.table }}')",
        f"{W}:11: workflow.jobs[0].job.env.DB_PASSWORD: literal secret in env: use {{secret_env: NAME}} (read"
        " from the orchestrator's environment at run time)",
        f"{W}:12: workflow.jobs[0].job.env.SOURCE_URL: literal credential in the spec (a URL with a"
        " user:password@ part): use {secret_env: NAME} (read from the orchestrator's environment at run time)",
        f"{W}:14: workflow.jobs[0].job.resources.cpu: cpu '0' is below the smallest schedulable amount (1m ="
        " 0.001 cores): write e.g. '250m' or '0.25' (got '0')",
        f"{W}:14: workflow.jobs[0].job.resources.memory: memory '512m' is not a whole number of bytes ('m'"
        " means milli: did you mean 'Mi' or 'M'?) (got '512m')",
        f"{W}:15: workflow.jobs[0].job.retry.delay: expected a duration such as '30s', '5m', '1h30m' or '2d'"
        " (units w, d, h, m, s, largest first); a bare number is ambiguous (seconds? minutes?) (got 5)",
        f"{W}:15: workflow.jobs[0].job.retry.max_delay: invalid duration 'soon': expected a duration such as"
        " '30s', '5m', '1h30m' or '2d' (units w, d, h, m, s, largest first) (got 'soon')",
        f"{W}:16: workflow.jobs[0].depends_on: depends_on forms a cycle: a -> b -> a",
        f"{W}:16: workflow.jobs[0].depends_on[1]: unknown job 'zz' in depends_on; jobs: a, b",
        f"{W}:17: workflow.jobs[1].job.timeout: invalid duration '1h30': expected a duration such as '30s',"
        " '5m', '1h30m' or '2d' (units w, d, h, m, s, largest first) (got '1h30')",
    ]
    # the cron schedule being broken, `prev_execution_date` is not flagged: its kind is still a window


def test_templates_of_manual_and_event_workflows(make_project: MakeProject) -> None:
    manual = """\
workflow:
  name: w
  jobs:
    - job:
        name: a
        image: lakehouse/a:1
        args: ["{{ prev_execution_date }}", "{{ trigger_file }}", "{% if next_execution_date is defined %}n{% endif %}"]
"""
    assert text_problems(manual) == [
        "w.yaml:7: workflow.jobs[0].job.args[0]: prev_execution_date is only defined for runs of a cron or"
        " interval schedule, and the workflow has no cron or interval schedule (manual runs have no window);"
        " test it with {% if prev_execution_date is defined %} (got '{{ prev_execution_date }}')",
        "w.yaml:7: workflow.jobs[0].job.args[1]: trigger_file is only defined for workflows triggered by file"
        " arrival; test it with {% if trigger_file is defined %} (got '{{ trigger_file }}')",
    ]
    event = manual.replace("  jobs:", "  schedule: {trigger: file_arrival, source: landing}\n  jobs:")
    assert [p.split(": ", 2)[2][:60] for p in text_problems(event)] == [
        "prev_execution_date is only defined for runs of a cron or in"
    ]


def test_duplicate_jobs_name_both_files(make_project: MakeProject) -> None:
    workflow = """\
workflow:
  name: w
  jobs:
    - job: {name: load, image: lakehouse/a:1}
    - job: {ref: jobs/extract.yaml}
    - job: {name: load, image: lakehouse/a:2}
"""
    config = make_project(
        {W: workflow, "workflows/w/jobs/extract.yaml": "job:\n  name: load\n  image: a/b:1\n"}
    )
    assert problems(config) == [
        "workflows/w/jobs/extract.yaml:2: job.name: the job is named 'load' but its file is extract.yaml: they"
        " must be equal",
        "workflows/w/jobs/extract.yaml:2: job.name: duplicate job name 'load' (first at workflows/w/workflow.yaml:4)",
        f"{W}:6: workflow.jobs[2].job.name: duplicate job name 'load' (first at workflows/w/workflow.yaml:4)",
    ]


def test_duplicate_workflows_across_files(make_project: MakeProject) -> None:
    inline = """\
workflows:
  path: workflows
  inline:
    - workflow:
        name: w
        jobs: [{job: {name: a, image: lakehouse/a:1}}]
"""
    config = make_project(
        {W: "workflow:\n  name: w\n  jobs: [{job: {name: a, image: lakehouse/a:1}}]\n"}, inline
    )
    assert problems(config) == [
        "floe.yaml:11: workflows.inline[0].workflow.name: workflow 'w' is defined twice (first at"
        " workflows/w/workflow.yaml:2)"
    ]


def test_cross_workflow_dependencies(make_project: MakeProject) -> None:
    def workflow(name: str, deps: list[str], schedule: bool = True) -> str:
        text = f"workflow:\n  name: {name}\n"
        if schedule:
            text += '  schedule: {cron: "0 2 * * *", start_date: "2024-01-01"}\n'
        text += "  jobs: [{job: {name: a, image: lakehouse/a:1}}]\n"
        if deps:
            text += "  dependencies:\n" + "".join(f"    - workflow: {d}\n" for d in deps)
        return text

    config = make_project(
        {
            "workflows/up/workflow.yaml": workflow("up", ["down"]),
            "workflows/down/workflow.yaml": workflow("down", ["up", "upp", "manual", "down"]),
            "workflows/manual/workflow.yaml": workflow("manual", [], schedule=False),
        }
    )
    assert problems(config) == [
        "workflows/down/workflow.yaml:5: workflow.dependencies: dependencies between workflows form a cycle:"
        " down -> up -> down",
        "workflows/down/workflow.yaml:7: workflow.dependencies[1].workflow: unknown workflow 'upp'; did you"
        " mean 'up'?; workflows: down, manual, up",
        "workflows/down/workflow.yaml:8: workflow.dependencies[2].workflow: a dependency links the windows of"
        " two scheduled workflows, but 'manual' has no cron or interval schedule",
        "workflows/down/workflow.yaml:9: workflow.dependencies[3].workflow: a workflow cannot depend on itself",
    ]


def test_dependencies_of_a_text_workflow_against_existing_ones(make_project: MakeProject) -> None:
    up = 'workflow:\n  name: up\n  schedule: {cron: "0 2 * * *", start_date: "2024-01-01"}\n'
    up += "  jobs: [{job: {name: a, image: lakehouse/a:1}}]\n"
    config = make_project({"workflows/up/workflow.yaml": up})
    existing = load_workflows(load_spec(config), config)
    new = up.replace("name: up", "name: new") + "  dependencies: [{workflow: up}]\n"
    assert load_workflow_text(new, "new.yaml", existing=existing).dependencies[0].workflow == "up"
    assert load_workflow_text(new.replace("up}", "nope}"), "new.yaml").name == "new"  # without the others
    assert text_problems(new.replace("up}", "nope}"), existing=existing) == [
        "w.yaml:5: workflow.dependencies[0].workflow: unknown workflow 'nope'; workflows: new, up"
    ]
    # once `up` depends on `new`, registering `new` closes a cycle
    Path("workflows/up/workflow.yaml").write_text(up + "  dependencies: [{workflow: new}]\n")
    with pytest.raises(WorkflowValidationError, match="unknown workflow 'new'"):
        load_workflows(load_spec(config), config)
    cyclic = existing.model_copy(
        update={
            "workflows": [
                w.model_copy(
                    update={"spec": load_workflow_text(Path("workflows/up/workflow.yaml").read_text())}
                )
                for w in existing.workflows
            ]
        }
    )
    assert text_problems(new, existing=cyclic) == [
        "w.yaml:5: workflow.dependencies: dependencies between workflows form a cycle: new -> up -> new"
    ]


def test_layout_problems(make_project: MakeProject) -> None:
    workflow = """\
workflow:
  name: other
  jobs:
    - job: {ref: ../x/jobs/a.yaml}
    - job: {name: missing}
    - job: {ref: jobs/notes.txt}
    - job: {ref: jobs/nope.yaml}
    - job: {name: twin, image: lakehouse/a:1}
    - job: {ref: jobs/used.yaml, image: lakehouse/b:2}
"""
    config = make_project(
        {
            W: workflow,
            "workflows/w/jobs/twin.yaml": "job: {name: twin, image: lakehouse/a:1}\n",
            "workflows/w/jobs/stray.yaml": "job: {name: stray, image: lakehouse/a:1}\n",
            "workflows/w/jobs/notes.txt": "not a job\n",
            "workflows/w/jobs/used.yaml": "job: {name: used, image: lakehouse/a:1}\n",
            "workflows/two/workflow.yaml": "workflow: {name: two, jobs: [{job: {name: a, image: a/b:1}}]}\n",
            "workflows/two/workflow.json": "{}\n",
            "workflows/empty/README.md": "nothing here\n",
            "workflows/loose.yaml": "workflow: {}\n",
            "workflows/_drafts/workflow.yaml": "ignored: folders starting with _ or . are skipped\n",
        }
    )
    assert problems(config) == [
        "workflows/empty: <root>: no workflow.yaml (or workflow.yml, workflow.json) in this workflow folder",
        "workflows/loose.yaml: <root>: workflows live in workflows/<name>/workflow.yaml: move this file to"
        " workflows/loose/workflow.yaml",
        "workflows/two: <root>: several workflow files (workflow.yaml, workflow.json): keep one",
        "workflows/w/jobs/stray.yaml: <root>: not used by workflow 'w': reference it (`- job: {ref:"
        " jobs/stray.yaml}`) or remove it",
        f"{W}:2: workflow.name: the workflow is named 'other' but its folder is 'w': they must be equal",
        f"{W}:4: workflow.jobs[0].job.ref: a job file must be inside the workflow's folder (got '../x/jobs/a.yaml')",
        f"{W}:5: workflow.jobs[1].job: job 'missing' gives only its name and jobs/missing.yaml (or .yml,"
        " .json) does not exist in workflows/w: add the file or write the job inline",
        f"{W}:6: workflow.jobs[2].job.ref: a job file ends in .yaml, .yml or .json (got 'jobs/notes.txt')",
        f"{W}:7: workflow.jobs[3].job.ref: no such job file in workflows/w (got 'jobs/nope.yaml')",
        f"{W}:8: workflow.jobs[4].job.name: job 'twin' is written inline and in workflows/w/jobs/twin.yaml:"
        " keep one (`- job: {name: twin}` uses the file)",
        f"{W}:9: workflow.jobs[5].job: a job reference holds only `ref`: image belong(s) in the job file"
        " (got 'jobs/used.yaml')",
    ]


def test_path_must_exist(make_project: MakeProject) -> None:
    config = make_project({}, "workflows:\n  path: flows\n")
    assert problems(config) == [
        "floe.yaml:8: workflows.path: does not exist (relative to floe.yaml) (got 'flows')"
    ]


def test_json_files_report_their_own_lines(make_project: MakeProject) -> None:
    broken = '{\n  "workflow": {\n    "name": "w",\n    "jobs": [}\n}\n'
    config = make_project({"workflows/w/workflow.json": broken})
    assert problems(config) == ["workflows/w/workflow.json:4:14: <root>: invalid JSON: Expecting value"]
    duplicate = '{\n  "workflow": {\n    "name": "w",\n    "name": "v",\n    "jobs": []\n  }\n}\n'
    Path("workflows/w/workflow.json").write_text(duplicate)
    assert problems(config) == [
        "workflows/w/workflow.json:4:5: workflow.name: duplicate key 'workflow.name' (first defined on line 3)"
    ]
    wrong_type = (
        '{\n\t"workflow": {\n\t\t"name": "w",\n\t\t"jobs": [{"job": {"name": "a", "image": 7}}]\n\t}\n}\n'
    )
    Path("workflows/w/workflow.json").write_text(wrong_type)
    assert problems(config) == [
        "workflows/w/workflow.json:4: workflow.jobs[0].job.image: expected a string (quote it to keep it text,"
        ' e.g. "1.0") (got 7)'
    ]


def test_unquoted_templates_get_a_hint() -> None:
    text = "workflow:\n  name: w\n  jobs:\n    - job: {name: a, image: a/b:1, args: [--day, {{ ds }}]}\n"
    (problem,) = text_problems(text)
    assert problem.startswith("w.yaml:4:")
    assert problem.endswith("(a value holding {{ ... }} must be quoted: '{{ ds }}')")


def test_yaml_alias_bombs_are_refused() -> None:
    bomb = 'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]\n'
    for level in "bcdefg":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
    [problem] = text_problems(bomb)  # the same bound as floe.yaml's (floe_core.limits)
    assert problem.startswith("w.yaml:1:") and "aliases expand to more than 10,000 values" in problem


def test_what_the_runtime_cannot_run(make_project: MakeProject) -> None:
    workflow = """\
workflow:
  name: w
  jobs:
    - job:
        name: a
        image: lakehouse/a:1
        env: {TOKEN_FILE: /run/token, PASS: {k8s_secret: {name: db, key: password}}}
"""
    config = make_project({W: workflow}, "workflows:\n  path: workflows\n  runtime: {type: subprocess}\n")
    assert problems(config) == [
        f"{W}:4: workflow.jobs[0].job: job 'a' has no command: the subprocess runtime runs command + args on"
        " this machine and cannot use the image's entrypoint (set `command`, or use the docker runtime)",
        f"{W}:7: workflow.jobs[0].job.env.PASS: k8s_secret needs the kubernetes runtime, but"
        " workflows.runtime.type is 'subprocess': use {secret_env: NAME} to run it elsewhere",
    ]
    kubernetes = (
        "workflows:\n  path: workflows\n  runtime: {type: kubernetes, kubernetes: {namespace: jobs}}\n"
    )
    config = make_project({}, kubernetes)
    assert load_workflows(load_spec(config), config).get("w").spec.job("a").image == "lakehouse/a:1"


def test_inline_workflows_are_located_in_floe_yaml(make_project: MakeProject) -> None:
    inline = """\
workflows:
  inline:
    - workflow:
        name: small
        jobs:
          - job: {name: a, image: lakehouse/a:1, args: ["{{ nope }}"]}
          - job: {ref: jobs/b.yaml}
"""
    config = make_project({}, inline)
    found = problems(config)
    assert len(found) == 2
    assert found[0].startswith(
        "floe.yaml:12: workflows.inline[0].workflow.jobs[0].job.args[0]: unknown template"
    )
    assert found[1].startswith(
        "floe.yaml:13: workflows.inline[0].workflow.jobs[1].job: jobs of a workflow in floe.yaml"
    )


def test_text_workflows_have_inline_jobs_only() -> None:
    text = "workflow:\n  name: w\n  jobs:\n    - job: {name: a}\n"
    assert text_problems(text) == [
        "w.yaml:4: workflow.jobs[0].job: jobs of a workflow given as text must be written inline (name, image,"
        " ...): job files ({ref: ...} or a bare {name: ...}) need the folder layout of workflows.path"
    ]
    assert text_problems("[1, 2]\n") == [
        "w.yaml:1: <root>: expected `workflow:` at the top level (the contract's form: `workflow: {name: ...,"
        " jobs: [...]}`), got something else"
    ]


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ('{cron: "@daily", start_date: "2024-01-01"}', "cron aliases are not supported: write '0 0 * * *'"),
        ('{cron: "0 0 30 2 *", start_date: "2024-01-01"}', "cron '0 0 30 2 *' never fires"),
        ('{cron: "0 2 * * *", start_date: "2024-01-05", end_date: "2024-01-01"}', "must be after start_date"),
        ('{cron: "0 2 * * *", start_date: "2024-01-01T00:00+02:00"}', "has a UTC offset"),
        ('{interval: "90m", start_date: "2024-01-01"}', "interval '90m' has no equivalent cron schedule"),
        ('{interval: "1h"}', "start_date is required for a cron or interval schedule"),
        (
            "{trigger: s3_file_arrival, source: landing/}",
            "trigger s3_file_arrival needs an s3://bucket/prefix/",
        ),
        ('{trigger: file_arrival, source: "gs://b/p"}', "unsupported source 'gs://b/p'"),
        ("{every: 1h}", "expected one of {cron: ..., start_date: ...}, {interval: ..., start_date: ...} or"),
    ],
)
def test_schedule_problems(schedule: str, message: str) -> None:
    text = f"workflow:\n  name: w\n  schedule: {schedule}\n  jobs: [{{job: {{name: a, image: a/b:1}}}}]\n"
    (problem,) = text_problems(text)
    assert problem.startswith("w.yaml:3: workflow.schedule")
    assert message in problem


@pytest.mark.parametrize(
    ("job", "message"),
    [
        ("params: {api_token: abc}", "params.api_token: literal secret in params"),
        ("params: {items: x}", "params.items: param name 'items' is a dict method"),
        ("params: {path: /tmp}", "params.path: param 'path' would replace the container's $PATH"),
        (
            "params: {day: x}\n        env: {DAY: y}",
            "params.day: param 'day' is passed as $DAY, which `env` also sets",
        ),
        ("params: {day: x, DAY: y}", "params.DAY: params 'day' and 'DAY' are both passed as $DAY"),
        (
            "args: [--key, AKIAABCDEFGHIJKLMNOP]",
            "args[1]: literal credential in the spec (an AWS access key id)",
        ),
        ("image: Lakehouse Extract", "image: invalid image reference 'Lakehouse Extract'"),
        ("name: Bad-Name", "name: must match the pattern"),
        ("env: {1BAD: x}", "env.1BAD: must match the pattern"),
        ('args: ["{{ ds|nofilter }}"]', "args[0]: template error: No filter named 'nofilter'"),
        (
            "env: {DB_PASSWORD: 12345}",
            "env.DB_PASSWORD: expected a string, {secret_env: NAME} or {k8s_secret: {name: ..., key: ...}} (got '***')",
        ),
    ],
)
def test_job_problems(job: str, message: str) -> None:
    text = f"workflow:\n  name: w\n  jobs:\n    - job:\n        name: a\n        image: lakehouse/a:1\n        {job}\n"
    text = text.replace(
        "        name: a\n        image: lakehouse/a:1\n        name:",
        "        image: lakehouse/a:1\n        name:",
    )
    if job.startswith("image:"):
        text = text.replace("        image: lakehouse/a:1\n", "", 1)
    found = text_problems(text)
    assert any(message in p for p in found), found
    # a value under a secret's name is never echoed (masked as '***'), nor a credential found in text
    assert all("abc" not in p and "AKIAABCDEFGHIJKLMNOP" not in p and "12345" not in p for p in found), found
