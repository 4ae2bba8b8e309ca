"""The test helpers for the Matrix bot work: tests/matrix_homeserver.py against a real Synapse
(one per module), and tests/llm_stub.py (the local OpenAI-compatible stand-in)."""
from __future__ import annotations

import http.client
import importlib.util
import json
import re
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from llm_stub import LLMStub, embed
from matrix_homeserver import RATE_LIMITS, UNLIMITED, Homeserver, MatrixError, MatrixUser

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def hs(tmp_path_factory):
    home = Homeserver().start(tmp_path_factory.mktemp("synapse"))
    print(f"\nsynapse started in {home.start_seconds:.2f} s on {home.url}")
    yield home
    home.stop()


@pytest.fixture(scope="module")
def people(hs):
    began = time.monotonic()
    alice = MatrixUser(hs.url, hs.register("alice", "alice-pw"))
    bob = hs.new_user("bob", "bob-pw")
    print(f"\nregistered 2 users in {time.monotonic() - began:.2f} s")
    return alice, bob


def _get(url: str, timeout: float = 5.0) -> tuple[int, dict]:
    try:
        with NO_PROXY.open(url, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _post(url: str, body: object, timeout: float = 5.0) -> tuple[int, dict, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer sk-local"})
    try:
        with NO_PROXY.open(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), dict(exc.headers)


# -- the homeserver -----------------------------------------------------------------------------

def test_starts_serving_the_client_api_only_on_loopback(hs):
    assert hs.start_seconds is not None and hs.start_seconds < 60
    assert hs.server_name == "localhost"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", hs.url)
    status, versions = _get(f"{hs.url}/_matrix/client/versions")
    assert status == 200 and versions["versions"]
    # No federation resource: neither the federation API nor the key server answers.
    assert _get(f"{hs.url}/_matrix/federation/v1/version")[0] == 404
    assert _get(f"{hs.url}/_matrix/key/v2/server")[0] == 404
    config = json.loads(hs.config_path.read_text())
    assert [listener["bind_addresses"] for listener in config["listeners"]] == [["127.0.0.1"]]
    assert config["listeners"][0]["resources"] == [{"names": ["client"], "compress": False}]
    assert config["enable_registration"] is False and config["trusted_key_servers"] == []
    assert hs.log_path.exists()


def test_every_rate_limit_this_synapse_reads_is_lifted():
    """A Synapse upgrade that adds an rc_* limit fails here rather than as a flaky 429."""
    spec = importlib.util.find_spec("synapse")  # finds the package without importing it
    source = (Path(spec.origin).parent / "config" / "ratelimiting.py").read_text()
    read = set(re.findall(r'RatelimitSettings\.parse\(\s*config,\s*"([a-z0-9_.]+)"', source))
    assert read, "synapse's ratelimiting.py no longer reads limits the way this test expects"
    for key in sorted(read):
        value = RATE_LIMITS
        for part in key.split("."):
            assert part in value, f"{key} is not lifted in matrix_homeserver.RATE_LIMITS"
            value = value[part]
        assert value == UNLIMITED, key


def test_register_gives_working_tokens_and_admin_only_when_asked(hs, people):
    alice, bob = people
    assert alice.user_id == "@alice:localhost" and bob.user_id == "@bob:localhost"
    assert alice.whoami()["user_id"] == alice.user_id
    assert bob.whoami()["device_id"] == bob.device_id
    with pytest.raises(MatrixError) as refused:
        alice.call("GET", "/_synapse/admin/v2/users/%40bob%3Alocalhost")
    assert refused.value.status == 403
    root = hs.new_user("root", admin=True)
    assert root.call("GET", "/_synapse/admin/v2/users/%40bob%3Alocalhost")["admin"] is False
    assert root.call("GET", "/_synapse/admin/v2/users/%40root%3Alocalhost")["admin"] is True
    with pytest.raises(MatrixError) as taken:
        hs.register("alice", "another-pw")
    assert taken.value.status == 400 and taken.value.errcode == "M_USER_IN_USE"


@pytest.fixture(scope="module")
def conversation(people):
    """Alice's room with Bob in it, her message and Bob's reply in its thread."""
    alice, bob = people
    room = alice.create_room("Deal flow", invite=[bob.user_id])
    assert room.startswith("!") and bob.join(room) == room
    root = alice.send_text(room, "Met Jane Doe from Acme Capital today")
    reply = bob.reply_in_thread(room, root, "Adding her to the CRM")
    return room, root, reply


def test_threaded_reply_round_trip(people, conversation):
    alice, bob = people
    room, root, reply = conversation
    assert alice.joined_members(room) == sorted([alice.user_id, bob.user_id])
    thread = alice.thread_events(room, root)
    assert [e["event_id"] for e in thread] == [reply]
    relates = thread[0]["content"]["m.relates_to"]
    assert relates["rel_type"] == "m.thread" and relates["event_id"] == root
    assert relates["is_falling_back"] is True and relates["m.in_reply_to"] == {"event_id": root}
    assert thread[0]["sender"] == bob.user_id
    seen = alice.wait_for_thread(room, root, lambda e: "CRM" in e["content"]["body"], timeout=5)
    assert seen["event_id"] == reply
    # The next reply falls back to the thread's latest event, and the thread stays in order.
    second = alice.reply_in_thread(room, root, "Thanks")
    thread = bob.thread_events(room, root)
    assert [e["event_id"] for e in thread] == [reply, second]
    assert thread[1]["content"]["m.relates_to"]["m.in_reply_to"] == {"event_id": reply}
    timeline = [e for e in alice.room_messages(room) if e["type"] == "m.room.message"]
    assert [e["event_id"] for e in timeline] == [root, reply, second]


def test_wait_for_thread_ignores_own_events_and_names_the_thread_on_timeout(people,
                                                                              conversation):
    alice, bob = people
    room, root, reply = conversation
    assert bob.wait_for_thread(room, root, timeout=2)["sender"] == alice.user_id
    began = time.monotonic()
    with pytest.raises(AssertionError) as failed:
        alice.wait_for_thread(room, root, lambda e: "never" in e["content"]["body"], timeout=0.3)
    assert time.monotonic() - began < 3
    assert "Adding her to the CRM" in str(failed.value) and bob.user_id in str(failed.value)


def test_invite_and_raw_events(people):
    alice, bob = people
    room = alice.create_room("Later")
    alice.invite(room, bob.user_id)
    bob.join(room)
    event = bob.send_raw(room, {"msgtype": "m.notice", "body": "bot notice"})
    assert event.startswith("$")
    notices = [e for e in alice.room_messages(room, limit=10) if e["event_id"] == event]
    assert notices[0]["content"]["msgtype"] == "m.notice"


def test_restart_keeps_accounts_rooms_and_threads(hs, people, conversation):
    alice, bob = people
    room, root, reply = conversation
    url = hs.url
    hs.restart()
    print(f"\nsynapse restarted in {hs.start_seconds:.2f} s (starts: "
          f"{', '.join(f'{s:.2f}' for s in hs.start_times)})")
    assert len(hs.start_times) == 2 and hs.url == url
    assert alice.whoami()["user_id"] == alice.user_id
    assert [e["event_id"] for e in bob.thread_events(room, root)][0] == reply
    with pytest.raises(MatrixError) as taken:
        hs.register("bob", "bob-pw")
    assert taken.value.errcode == "M_USER_IN_USE"


# -- the LLM stub -------------------------------------------------------------------------------

CHAT = {"model": "local", "messages": [{"role": "user", "content": "Summarise Acme"}]}


def test_stub_answers_a_chat_completion_and_records_it():
    with LLMStub(lambda req: f"echo: {req['messages'][-1]['content']}") as llm:
        status, body, _ = _post(f"{llm.url}/v1/chat/completions", CHAT)
        assert status == 200
        assert body["object"] == "chat.completion" and body["model"] == "local"
        assert body["choices"] == [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": "echo: Summarise Acme"}}]
        assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
        assert llm.requests == [CHAT]
        assert llm.received[0]["headers"]["Authorization"] == "Bearer sk-local"
        assert llm.wait_for_requests(1, timeout=1) == [CHAT]
        llm.reply = {"content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {
            "name": "find_investor", "arguments": "{}"}}]}
        status, body, _ = _post(f"{llm.url}/v1/chat/completions", CHAT)
        assert body["choices"][0]["finish_reason"] == "tool_calls"
        assert body["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == \
            "find_investor"


def test_stub_refuses_requests_without_model_or_messages():
    with LLMStub() as llm:
        for bad in ({"messages": CHAT["messages"]}, {"model": "local"},
                    {"model": "local", "messages": []}, b"not json"):
            status, body, _ = _post(f"{llm.url}/v1/chat/completions", bad)
            assert status == 400 and body["error"]["type"] == "invalid_request_error", bad
        assert llm.requests == [] and len(llm.received) == 4
        assert _post(f"{llm.url}/v1/other", CHAT)[0] == 404


def test_stub_failures_status_drop_hang_and_a_broken_reply():
    with LLMStub(hang_seconds=5) as llm:
        llm.reply = lambda req: {"status": 429, "message": "slow down",
                                 "headers": {"Retry-After": "2"}}
        status, body, headers = _post(f"{llm.url}/v1/chat/completions", CHAT)
        assert (status, body["error"]["message"], headers["Retry-After"]) == \
            (429, "slow down", "2")
        llm.reply = lambda req: {"status": 503, "body": {"detail": "loading"}}
        assert _post(f"{llm.url}/v1/chat/completions", CHAT)[:2] == (503, {"detail": "loading"})
        llm.reply = ConnectionResetError
        dropped = (http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)
        with pytest.raises(dropped):
            _post(f"{llm.url}/v1/chat/completions", CHAT)
        llm.reply = "hang"
        began = time.monotonic()
        with pytest.raises((socket.timeout, TimeoutError, urllib.error.URLError)):
            _post(f"{llm.url}/v1/chat/completions", CHAT, timeout=0.3)
        assert time.monotonic() - began < 2
        llm.reply = lambda req: req["no such key"]
        status, body, _ = _post(f"{llm.url}/v1/chat/completions", CHAT)
        assert status == 500 and "KeyError" in llm.errors[0]
        assert len(llm.requests) == 5
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 3  # stopping ends the hang


def test_stub_embeddings_are_deterministic_unit_vectors():
    with LLMStub(dims=8) as llm:
        status, body, _ = _post(f"{llm.url}/v1/embeddings",
                                {"model": "embed", "input": ["Acme Capital", "Jane Doe"]})
        assert status == 200 and [d["index"] for d in body["data"]] == [0, 1]
        first, second = (d["embedding"] for d in body["data"])
        assert len(first) == 8 and first == embed("Acme Capital") and first != second
        assert abs(sum(v * v for v in first) - 1) < 1e-9
        status, body, _ = _post(f"{llm.url}/v1/embeddings",
                                {"model": "embed", "input": "Acme Capital", "dimensions": 12})
        assert len(body["data"][0]["embedding"]) == 12
        assert _post(f"{llm.url}/v1/embeddings", {"model": "embed"})[0] == 400
        assert len(llm.embedding_requests) == 2
        assert _get(f"{llm.url}/v1/models")[1]["data"][0]["id"] == "stub-model"
