"""Several broker URLs: how a list or a ``;``-separated string is read."""

from __future__ import annotations

import pytest
from burrow.sdk import AmqpTransport, ConfigurationError
from burrow.sdk._url import broker_url, split_urls

A, B = "amqp://u:p@rabbit-1/", "amqp://u:p@rabbit-2:5673/v"


def test_a_semicolon_separated_string_and_a_list_name_the_same_nodes_in_order() -> None:
    assert split_urls(f"{A};{B}") == [A, B]
    assert split_urls(f" {A} ; {B} ;") == [A, B]
    assert split_urls([A, f"{B}"]) == [A, B]
    assert split_urls(A) == [A]


def test_no_url_at_all_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="no broker URL"):
        split_urls(" ; ")
    with pytest.raises(ConfigurationError, match="no broker URL"):
        split_urls([])


def test_a_list_resolves_to_itself_and_none_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BURROW_URL", f"{A};{B}")
    assert broker_url([B, A]) == f"{B};{A}"
    assert split_urls(broker_url(None)) == [A, B]


def test_the_transport_keeps_every_node() -> None:
    transport = AmqpTransport([A, B])
    assert transport.urls == [A, B]
