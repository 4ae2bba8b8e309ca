"""The local-model client against a local OpenAI-compatible stub: a JSON answer, the request it
sends (temperature 0, the configured model and key), and every way it fails becoming one
`ModelUnavailable` naming why — an error status, a hang past the timeout, a dropped connection,
an empty or non-JSON answer, a prompt over the bound, no model configured."""
from __future__ import annotations

import time

import pytest

from backend.config import LLMSettings
from backend.llm import MAX_PROMPT_CHARS, LocalModel, ModelUnavailable


def model(stub, timeout=2.0, key="sk-local"):
    return LocalModel(LLMSettings(stub.url, "box-model", "box-embed", key, timeout))


def test_a_json_answer_and_what_is_sent(llm_stub):
    llm_stub.reply = lambda request: '```json\n{"ok": true}\n```'
    assert model(llm_stub).chat_json([{"role": "user", "content": "hi"}]) == {"ok": True}
    [sent] = llm_stub.requests
    assert sent["temperature"] == 0 and sent["model"] == "box-model"
    assert sent["response_format"] == {"type": "json_object"}
    assert llm_stub.received[-1]["headers"].get("Authorization") == "Bearer sk-local"


def test_embeddings_come_back_in_order(llm_stub):
    vectors = model(llm_stub).embed(["a", "b", "c"])
    assert len(vectors) == 3 and vectors[0] != vectors[1]
    assert llm_stub.embedding_requests[-1]["model"] == "box-embed"


@pytest.mark.parametrize("reply, why", [
    ({"status": 500, "body": {"error": "boom"}}, "answered 500"),
    ("", "empty"), ("not json at all", "not JSON"), ('["a list"]', "not a JSON object"),
    (ConnectionResetError, "could not be reached"),
])
def test_failures_are_one_error_naming_why(llm_stub, reply, why):
    llm_stub.reply = lambda request: reply
    with pytest.raises(ModelUnavailable, match=why):
        model(llm_stub).chat_json([{"role": "user", "content": "hi"}])


def test_a_hanging_model_times_out(llm_stub):
    llm_stub.reply = lambda request: "hang"
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match="within 1 s"):
        model(llm_stub, timeout=1.0).chat([{"role": "user", "content": "hi"}])
    assert time.monotonic() - started < 5


def test_bounds_and_no_model(llm_stub):
    with pytest.raises(ModelUnavailable, match="bound"):
        model(llm_stub).chat([{"role": "user", "content": "x" * (MAX_PROMPT_CHARS + 1)}])
    assert llm_stub.requests == []
    off = LocalModel(LLMSettings("", "m", "e", "", 5))
    assert not off.enabled
    with pytest.raises(ModelUnavailable, match="no language model"):
        off.chat([{"role": "user", "content": "hi"}])
