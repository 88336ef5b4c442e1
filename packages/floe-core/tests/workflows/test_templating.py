"""The one template renderer: values, manual/event contexts, static analysis, and hostile templates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from floe_core.errors import FloeError
from floe_core.workflows import TemplateError, analyze, render, trigger_context
from floe_core.workflows.templating import MAX_RENDERED

WINDOW = {
    "kind": "window",
    "execution_date": "2024-01-02T02:00:00+00:00",
    "ds": "2024-01-02",
    "ds_nodash": "20240102",
    "ts": "2024-01-02T02:00:00+00:00",
    "ts_nodash": "20240102T020000",
    "prev_execution_date": "2024-01-01T02:00:00+00:00",
    "next_execution_date": "2024-01-03T02:00:00+00:00",
    "data_interval_start": "2024-01-02T02:00:00+00:00",
    "data_interval_end": "2024-01-03T02:00:00+00:00",
    "partition_key": "2024-01-02",
}


def variables(params: dict[str, object] | None = None) -> dict[str, object]:
    from floe_core.workflows import TemplateContext

    return TemplateContext.model_validate(WINDOW).variables(params or {"table": "raw.sales", "n": 3})


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ ds }}", "2024-01-02"),
        ("{{ execution_date }}", "2024-01-02T02:00:00+00:00"),
        ("{{ execution_date.strftime('%Y/%m/%d %H') }}", "2024/01/02 02"),
        ("{{ next_execution_date }}", "2024-01-03T02:00:00+00:00"),
        ("{{ prev_execution_date.date() }}", "2024-01-01"),
        ("{{ ds_nodash }}-{{ ts_nodash }}", "20240102-20240102T020000"),
        ("s3://bucket/{{ params.table }}/dt={{ ds }}/", "s3://bucket/raw.sales/dt=2024-01-02/"),
        ("{{ params['table'] | upper }}", "RAW.SALES"),
        ("{{ params.n * 2 }}", "6"),
        ("{% if params.n > 2 %}big{% else %}small{% endif %}", "big"),
        ("{{ ds | replace('-', '/') }}", "2024/01/02"),
        ("no template, kept as is\n", "no template, kept as is\n"),
        ("{{ ds }}\n", "2024-01-02\n"),  # the trailing newline is kept
    ],
)
def test_render(template: str, expected: str) -> None:
    assert render(template, variables()) == expected


def test_manual_run_has_no_window() -> None:
    context = trigger_context(datetime(2024, 1, 2, 10, 15, tzinfo=UTC))
    assert (context.execution_date, context.ds, context.ts_nodash) == (
        "2024-01-02T10:15:00+00:00",
        "2024-01-02",
        "20240102T101500",
    )
    assert context.prev_execution_date is None and context.partition_key is None
    with pytest.raises(TemplateError) as err:
        render("{{ prev_execution_date }}", context.variables({}))
    assert str(err.value) == (
        "prev_execution_date is not defined here: this is a manual run, not the run of a schedule window"
        " (the workflow has no cron or interval)"
    )
    guarded = "{% if prev_execution_date is defined %}{{ prev_execution_date }}{% else %}first{% endif %}"
    assert render(guarded, context.variables({})) == "first"
    with pytest.raises(
        TemplateError, match="trigger_file is not defined here: only runs triggered by a file"
    ):
        render("{{ trigger_file }}", context.variables({}))
    assert trigger_context(date(2024, 1, 2)).execution_date == "2024-01-02T00:00:00+00:00"


def test_event_run_has_its_file() -> None:
    context = trigger_context(datetime(2024, 1, 2, 10, 15), kind="event", trigger_file="s3://raw/sales/a.csv")
    assert (
        render("{{ trigger_file }} {{ ts }}", context.variables({}))
        == "s3://raw/sales/a.csv 2024-01-02T10:15:00+00:00"
    )
    with pytest.raises(TemplateError, match="triggered by a file arrival, not by a schedule window"):
        render("{{ next_execution_date }}", context.variables({}))
    with pytest.raises(FloeError, match="an event run needs the trigger file"):
        trigger_context(date(2024, 1, 2), kind="event")


def test_analyze_finds_variables_and_params() -> None:
    usage = analyze(
        "{{ ds }} {{ params.a }} {{ params['b'] }} {% set x = 1 %}{{ x }}{% if nope is defined %}{% endif %}"
    )
    assert usage.variables == {"ds", "params", "nope"}
    assert usage.params == {"a", "b"}
    assert usage.guarded == {"nope"}
    assert analyze("plain text").variables == frozenset()


HOSTILE = [
    ("{{ ''.__class__ }}", "attribute '__class__' is not allowed"),
    ("{{ params.__class__.__mro__ }}", "is not allowed: templates cannot reach Python internals"),
    (
        "{{ execution_date.__class__.__init__.__globals__ }}",
        "is not allowed: templates cannot reach Python internals",
    ),
    ("{{ params['__class__'] }}", "'__class__' is not allowed"),
    ("{{ ''|attr('__class__') }}", "'__class__' is not allowed"),
    ("{{ '{0.__class__}'.format(ds) }}", "access to attribute '__class__' of 'str' object is unsafe"),
    ("{{ cycler.__init__.__globals__.os }}", "is not allowed"),
    ("{{ cycler(1, 2).next() }}", "'cycler' is undefined"),
    ("{{ joiner() }}", "'joiner' is undefined"),
    ("{{ lipsum() }}", "'lipsum' is undefined"),
    ("{{ namespace(a=1) }}", "'namespace' is undefined"),
    ("{{ range(10) | list }}", "'range' is undefined"),
    ("{{ dict(a=1) }}", "'dict' is undefined"),
    ("{{ params.update({'a': 1}) }}", "access to attribute 'update' of 'dict' object is unsafe"),
    ("{{ ds | random }}", "No filter named 'random'"),
    ("{{ 'x' * 1000000 }}", "repetition would produce more than"),
    ("{{ 2 ** (10 ** 6) }}", "exponent 1000000 is too large"),
    ("{{ ds.ljust(1000000000) }}", "integer argument 1000000000 is too large"),
    ("{{ ds | list | join('x' * 99999) }}", "join would produce more than"),
    ("{{ ds.replace('', 'x' * 99999) }}", "more than"),
    ("{% include 'etc/passwd' %}", "'{% include %}' is not supported"),
    ("{% import 'x' as y %}", "'{% import %}' is not supported"),
    ("{% extends 'base' %}", "'{% extends %}' is not supported"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "'{% macro %}' is not supported"),
    ("{% for a in ds %}{% for b in ds %}{% endfor %}{% endfor %}", "nested loops are not supported"),
    ("{{ ds", "template syntax error: unexpected end of template"),
]


@pytest.mark.parametrize(("template", "message"), HOSTILE)
def test_hostile_templates_raise_a_floe_error(template: str, message: str) -> None:
    with pytest.raises(TemplateError) as err:
        render(template, variables())
    assert isinstance(err.value, FloeError)
    assert message in str(err.value)


def test_rendered_values_are_bounded() -> None:
    with pytest.raises(TemplateError, match=f"longer than {MAX_RENDERED} characters"):
        render("{% for c in params.s %}{{ params.s }}{% endfor %}", variables({"s": "x" * 1000}))
