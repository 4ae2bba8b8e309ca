"""Fixtures: `server` is one running server for the whole session (bootstrapped with an admin);
`admin` and `member` are clients signed in to it; `start_server(**env)` starts a private server
with its own data dir and settings (rate limits, restarts); `fresh_server` is a private server
with its admin signed in: (server, admin); `matrix_homeserver` is a real Synapse for the session
and `llm_stub` a local OpenAI-compatible endpoint. Helpers they use are in helpers.py.
"""
from __future__ import annotations

import pytest

from helpers import Client, launch, make_user, sign_in
from llm_stub import LLMStub
from matrix_homeserver import Homeserver


@pytest.fixture(scope="session")
def server():
    srv = launch()
    srv.bootstrap()
    yield srv
    srv.stop()


@pytest.fixture
def start_server():
    """Factory for private servers: start_server(**env) -> RunningServer (stopped afterwards)."""
    started = []

    def factory(**env):
        srv = launch(**env)
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


@pytest.fixture
def admin(server) -> Client:
    client = server.client(server.admin_token)
    client.user = server.admin_user
    yield client
    client.close()


@pytest.fixture
def member(server, admin) -> Client:
    """A freshly created member, signed in."""
    user = make_user(admin, "member")
    client = sign_in(server, user["username"])
    yield client
    client.close()


@pytest.fixture
def fresh_server(start_server):
    """A private, empty server and its first admin, signed in: (server, admin client)."""
    srv = start_server()
    return srv, srv.bootstrap()


@pytest.fixture
def app(tmp_path):
    """The server's App in this process (no HTTP): migrated, seeded, with no background threads.
    For tests of in-memory state (the grid cache) that need to reach inside."""
    from backend.config import load_settings
    from backend.server import App
    application = App(load_settings({"CRM_DATA_DIR": str(tmp_path / "data"), "CRM_ENV": "test",
                                     "CRM_BCRYPT_ROUNDS": "4"}))
    application.start(background=False)
    yield application
    application.db.close()


@pytest.fixture(scope="session")
def matrix_homeserver(tmp_path_factory):
    """One real Synapse for the session: client API on 127.0.0.1, server_name "localhost",
    rate limits lifted. Accounts persist across tests: use unique localparts."""
    home = Homeserver().start(tmp_path_factory.mktemp("synapse"))
    yield home
    home.stop()


@pytest.fixture
def llm_stub():
    """A fresh local OpenAI-compatible endpoint; point the code at llm_stub.url."""
    with LLMStub() as stub:
        yield stub
