"""A revision's stored document: exact or absent, and read in place of its source."""

from __future__ import annotations

import pytest

from engine.flow.document import MAX_REVISION_BYTES, decode_document, encode_document, read_document
from engine.flow.loader import InvalidFlowError, parse_flow
from engine.flow.model import PluginDefault
from engine.flow.plugin_defaults import ConfiguredDefaults
from engine.flow.yaml_source import load_yaml
from engine.memory.flow_repository import InMemoryFlowRepository
from engine.services.catalog import FlowCatalog
from engine.services.flows import FlowService

LOG = "io.kestra.plugin.core.log.Log"
FLOW = f"""
id: hello
namespace: company.team
labels:
  env: prod
inputs:
  - id: n
    type: INT
    defaults: 0o17
tasks:
  - id: say
    type: {LOG}
    message: "{{{{ inputs.n }}}} {{{{ 1.5e3 }}}}"
    disabled: false
    timeout: PT1M
triggers:
  - id: on
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 9 * * 1"
    disabled: yes
"""


@pytest.mark.parametrize(
    "source",
    [
        FLOW,
        "a: [1, -2, 3.25, -0.0, .inf, .nan, null, true, ~, '', 18446744073709551615]\n",
        "1: one\n2.5: two\ntrue: three\nnested: {x: [{y: [[]]}]}\n",
        "anchors: &a {k: v}\nagain: *a\n",
    ],
)
def test_a_plain_document_comes_back_exactly(source: str) -> None:
    data = load_yaml(source).data
    encoded = encode_document(data, source)

    assert encoded is not None
    decoded = decode_document(encoded)
    assert repr(decoded) == repr(data)  # types and order too, and NaN (never equal to itself)


@pytest.mark.parametrize(
    "source",
    [
        "when: 2024-01-31\n",
        "at: 2024-01-31T10:00:00+02:00\n",
        "raw: !!binary aGVsbG8=\n",
        "big: 36893488147419103232\n",
        "low: -9223372036854775809\n",
    ],
)
def test_a_document_without_an_exact_stored_form_is_read_from_its_source(source: str) -> None:
    assert encode_document(load_yaml(source).data, source) is None


def test_a_document_that_would_not_fit_the_revision_is_not_stored() -> None:
    value = "x" * (MAX_REVISION_BYTES // 2)
    data = {"a": value}
    assert encode_document(data, "a: short\n") is not None
    assert encode_document(data, f"a: {value}\n") is None


def test_a_deployed_revision_is_read_from_its_document() -> None:
    repository = InMemoryFlowRepository()
    record, deployed = FlowService(repository).deploy(FLOW)

    assert record.document is not None
    assert read_document(record.source, record.document) == load_yaml(FLOW).data
    # What a cold process reads: the document alone gives the same flow, the source is not parsed.
    assert parse_flow("{ not: yaml", "f.yaml", None, record.document) == deployed
    graph = FlowCatalog(repository).graph("company.team", "hello")
    assert graph.flow == deployed


def test_a_revision_with_a_date_is_stored_without_a_document_and_read_from_its_source() -> None:
    source = FLOW.replace(
        "    defaults: 0o17\n", "    defaults: 0o17\n  - id: day\n    type: DATE\n    defaults: 2024-01-31\n"
    )
    repository = InMemoryFlowRepository()
    record, deployed = FlowService(repository).deploy(source)

    assert record.document is None
    assert FlowCatalog(repository).graph("company.team", "hello").flow == deployed
    assert str(read_document(record.source, record.document)["inputs"][1]["defaults"]) == "2024-01-31"


def test_a_stored_document_the_configured_defaults_now_refuse_is_reported_at_its_source() -> None:
    record, _ = FlowService(InMemoryFlowRepository()).deploy(FLOW)
    refusing = ConfiguredDefaults((PluginDefault(type=LOG, forced=True, values={"level": "LOUD"}),))

    with pytest.raises(InvalidFlowError) as caught:
        parse_flow(record.source, "f.yaml", refusing, record.document)
    assert [(p.file, p.line, p.path) for p in caught.value.problems] == [("f.yaml", 11, "tasks[0].level")]
