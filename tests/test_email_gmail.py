"""Tests of backend/email_integration/gmail.py and crypto.py: the real googleapiclient (bundled
discovery document) against the local Gmail emulator, with every DNS lookup of a host other than
127.0.0.1/localhost refused, so passing proves nothing reached the network."""
from __future__ import annotations

import base64
import os
import socket
import stat
import time
import urllib.parse
from email.utils import formatdate

import pytest

from backend.email_integration import crypto, gmail
from gmail_emulator import GmailEmulator, make_service_account_key
from helpers import free_port

MAILBOX = "ana@fund.test"


@pytest.fixture(autouse=True)
def refused_hosts(monkeypatch):
    real = socket.getaddrinfo
    refused = []

    def loopback_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1", b"localhost"):
            refused.append(host)
            raise socket.gaierror(socket.EAI_NONAME, f"no network in tests: {host}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    return refused


@pytest.fixture(scope="module")
def key_info():
    # Pointing nowhere on purpose: each test overrides token_uri with its own emulator's.
    return make_service_account_key("http://127.0.0.1:9/token")


@pytest.fixture
def gm():
    with GmailEmulator() as emulator:
        yield emulator


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def connect(gm, key_info, sleeps):
    clients = []

    def make(mailbox=MAILBOX, **options):
        credentials = gmail.delegated_credentials(key_info, mailbox, token_uri=gm.token_url)
        client = gmail.GmailClient(credentials, api_url=gm.url, sleep=sleeps.append, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def raw_message(n: int) -> bytes:
    # 8-bit text and random bytes, so "byte-identical" means more than ASCII survived.
    return (f"From: lp{n}@example.org\r\nTo: {MAILBOX}\r\nSubject: Fund III, café {n}\r\n"
            f"Message-ID: <m{n}@example.org>\r\n\r\n").encode("utf-8") + os.urandom(64) + b"\r\n"


def gets_outside_batches(gm) -> list[str]:
    return [path for method, path, _, _ in gm.requests if method == "GET" and "/messages/" in path]


# -- credentials -------------------------------------------------------------------------------------


def test_delegated_credentials_reach_the_mailbox_with_both_scopes(gm, connect):
    profile = connect().profile()
    assert profile["emailAddress"] == MAILBOX
    grant = gm.grants[-1]
    assert grant["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert grant["claims"]["sub"] == MAILBOX
    assert set(grant["claims"]["scope"].split()) == set(gmail.SCOPES)
    gmail_calls = [headers for _, path, headers, _ in gm.requests if path.startswith("/gmail/")]
    assert gmail_calls and all(h["authorization"].startswith("Bearer ya29.emu-") for h in gmail_calls)


def test_a_key_made_for_the_emulator_needs_no_override_and_validates(gm):
    key = make_service_account_key(gm.token_url)
    assert gmail.validate_service_account_key(key) == {"client_email": key["client_email"],
                                                       "project_id": "crm-emulator"}
    client = gmail.GmailClient(gmail.delegated_credentials(key, "bo@fund.test"), api_url=gm.url)
    try:
        assert client.profile()["emailAddress"] == "bo@fund.test"
    finally:
        client.close()


@pytest.mark.parametrize("change, field", [
    ({"type": "authorized_user"}, "type"),
    ({"client_email": None}, "client_email"),
    ({"client_email": "not-an-address"}, "client_email"),
    ({"private_key": None}, "private_key"),
    ({"private_key": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"}, "private_key"),
    ({"token_uri": None}, "token_uri"),
    ({"token_uri": "file:///etc/passwd"}, "token_uri"),
])
def test_validate_service_account_key_names_the_bad_field(key_info, change, field):
    bad = {**key_info, **change}
    bad = {name: value for name, value in bad.items() if value is not None}
    with pytest.raises(ValueError, match=field):
        gmail.validate_service_account_key(bad)


def test_validate_service_account_key_refuses_what_is_not_an_object():
    with pytest.raises(ValueError, match="JSON object"):
        gmail.validate_service_account_key(["type", "service_account"])


def test_denied_delegation_is_auth_failed_naming_the_mailbox(gm, connect, sleeps):
    gm.deny_delegation(MAILBOX)
    with pytest.raises(gmail.AuthFailed, match=MAILBOX) as caught:
        connect().profile()
    assert "unauthorized_client" in str(caught.value)
    assert sleeps == []
    assert not [path for _, path, _, _ in gm.requests if path.startswith("/gmail/")]


def test_gmail_refusing_a_token_is_auth_failed(gm, connect):
    gm.fail("/profile", 401, times=5, retry_after=None)
    with pytest.raises(gmail.AuthFailed, match=f"{MAILBOX}.*401"):
        connect().profile()


# -- OAuth -------------------------------------------------------------------------------------------


def test_oauth_consent_url_asks_for_offline_access_and_carries_state():
    url = gmail.oauth_consent_url("client-1", "https://crm.example/oauth/callback", "st4te")
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == gmail.GOOGLE_AUTH_URI
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert query["access_type"] == "offline" and query["prompt"] == "consent"
    assert query["include_granted_scopes"] == "true" and query["response_type"] == "code"
    assert query["state"] == "st4te" and query["client_id"] == "client-1"
    assert query["redirect_uri"] == "https://crm.example/oauth/callback"
    assert query["scope"].split() == list(gmail.SCOPES)


def test_oauth_code_exchange_gives_a_refresh_token_that_reads_the_mailbox(gm, sleeps):
    gm.add_oauth_code("code-1", "cy@fund.test", "refresh-1")
    tokens = gmail.exchange_oauth_code("code-1", "client-1", "secret-1", "http://localhost/cb",
                                       token_uri=gm.token_url)
    assert tokens["refresh_token"] == "refresh-1" and tokens["access_token"]
    assert "email" not in tokens  # Google sends no id_token for the Gmail scopes alone
    credentials = gmail.oauth_credentials("refresh-1", "client-1", "secret-1", token_uri=gm.token_url)
    client = gmail.GmailClient(credentials, api_url=gm.url, sleep=sleeps.append)
    try:
        assert client.profile()["emailAddress"] == "cy@fund.test"
        assert client.mailbox == "cy@fund.test"
        gm.revoke_refresh_token("refresh-1")
        gm.expire_access_tokens()
        with pytest.raises(gmail.AuthFailed, match="cy@fund.test.*invalid_grant"):
            client.profile()
    finally:
        client.close()
    with pytest.raises(gmail.AuthFailed, match="invalid_grant"):  # a code works once
        gmail.exchange_oauth_code("code-1", "client-1", "secret-1", "http://localhost/cb", token_uri=gm.token_url)


def test_an_unknown_oauth_code_is_auth_failed(gm):
    with pytest.raises(gmail.AuthFailed, match="refused the authorization code"):
        gmail.exchange_oauth_code("nope", "client-1", "secret-1", "http://localhost/cb", token_uri=gm.token_url)


# -- listing, fetching, history, drafts --------------------------------------------------------------


def test_list_pages_return_every_id_once_newest_first(gm, connect):
    added = [gm.add_message(MAILBOX, raw_message(n)) for n in range(250)]
    client = connect()
    seen, token, pages = [], None, []
    while True:
        page, token = client.list_message_ids(page_token=token, page_size=100)
        pages.append(len(page))
        seen += [item["id"] for item in page]
        if token is None:
            break
    assert pages == [100, 100, 50]
    assert seen == list(reversed(added))
    assert all("maxResults=100" in path for _, path, _, _ in gm.requests if "/messages?" in path)


def test_an_empty_mailbox_lists_nothing(connect):
    assert connect().list_message_ids() == ([], None)


def test_raw_messages_arrive_in_batches_byte_identical(gm, connect):
    originals = {}
    for n in range(120):
        raw = raw_message(n)
        originals[gm.add_message(MAILBOX, raw, labels=("INBOX", "UNREAD"))] = raw
    ids = list(originals)
    got = connect().get_raw_messages(ids)
    assert list(got) == ids
    assert all(got[gmail_id]["raw"] == originals[gmail_id] for gmail_id in ids)
    first = got[ids[0]]
    assert first["labelIds"] == ["INBOX", "UNREAD"] and first["threadId"] == ids[0]
    assert isinstance(first["internalDate"], int) and first["historyId"].isdigit()
    batches = [path for method, path, _, _ in gm.requests if method == "POST" and path == "/batch/gmail/v1"]
    assert len(batches) == 3  # 50 + 50 + 20
    assert len(gm.batch_items) == 120 and gets_outside_batches(gm) == []


def test_a_message_deleted_since_listing_is_left_out(gm, connect):
    ids = [gm.add_message(MAILBOX, raw_message(n)) for n in range(5)]
    gm.delete_message(MAILBOX, ids[2])
    got = connect().get_raw_messages(ids)
    assert list(got) == ids[:2] + ids[3:]


def test_history_returns_exactly_the_messages_added(gm, connect):
    gm.add_message(MAILBOX, raw_message(0))
    client = connect()
    start = client.profile()["historyId"]
    added = [gm.add_message(MAILBOX, raw_message(n)) for n in range(1, 4)]
    ids, token, current = client.history(start)
    assert ids == added and token is None
    assert current == gm.history_id(MAILBOX)
    assert client.history(current) == ([], None, current)


def test_history_pages(gm, connect):
    client = connect()
    start = client.profile()["historyId"]
    added = [gm.add_message(MAILBOX, raw_message(n)) for n in range(520)]
    first, token, _ = client.history(start)
    second, last_token, current = client.history(start, page_token=token)
    assert len(first) == 500 and last_token is None
    assert first + second == added and current == gm.history_id(MAILBOX)


def test_an_expired_history_cursor_raises_cursor_expired(gm, connect):
    client = connect()
    start = client.profile()["historyId"]
    gm.add_message(MAILBOX, raw_message(1))
    gm.expire_history(MAILBOX)
    with pytest.raises(gmail.CursorExpired, match=MAILBOX) as caught:
        client.history(start)
    assert caught.value.status == 404


def test_create_draft_lands_in_the_thread(gm, connect):
    thread = gm.add_message(MAILBOX, raw_message(1))
    draft_raw = b"To: lp1@example.org\r\nSubject: Re: Fund III\r\n\r\nFollowing up.\r\n"
    draft = connect().create_draft(draft_raw, thread_id=thread)
    assert draft["id"] and draft["message"]["threadId"] == thread
    assert gm.drafts[MAILBOX] == [draft_raw]


# -- retries -----------------------------------------------------------------------------------------


def test_retry_after_seconds_is_honoured(gm, connect, sleeps):
    gm.add_message(MAILBOX, raw_message(1))
    gm.fail("/messages?", 429, retry_after="7")
    page, _ = connect().list_message_ids()
    assert len(page) == 1 and sleeps == [7.0]


def test_retry_after_as_an_http_date_is_honoured(gm, connect, sleeps):
    gm.fail("/profile", 503, retry_after=formatdate(time.time() + 30, usegmt=True))
    connect().profile()
    assert len(sleeps) == 1 and 27 <= sleeps[0] <= 30


def test_a_retry_after_beyond_the_cap_fails_the_call_instead_of_parking_the_sync(gm, connect, sleeps):
    gm.fail("/profile", 429, retry_after="86400")
    with pytest.raises(gmail.GmailError, match="wait 86400 s"):
        connect().profile()
    assert sleeps == []


def test_one_batch_item_answered_429_is_asked_again(gm, connect, sleeps):
    ids = [gm.add_message(MAILBOX, raw_message(n)) for n in range(10)]
    gm.fail(f"/messages/{ids[5]}", 429, retry_after="2")
    got = connect().get_raw_messages(ids)
    assert list(got) == ids and sleeps == [2.0]
    assert [path for _, path in gm.batch_items].count(f"/gmail/v1/users/me/messages/{ids[5]}?format=raw&alt=json") == 2


def test_a_whole_batch_answered_503_is_sent_again(gm, connect, sleeps):
    ids = [gm.add_message(MAILBOX, raw_message(n)) for n in range(3)]
    gm.fail("/batch/gmail/v1", 503, retry_after=None)
    assert list(connect().get_raw_messages(ids)) == ids and len(sleeps) == 1


def test_503_twice_then_success_backs_off_exponentially(gm, connect, sleeps):
    gm.fail("/profile", 503, times=2, retry_after=None)
    assert connect().profile()["emailAddress"] == MAILBOX
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


def test_retries_exhausted_is_gmail_error_naming_the_status(gm, connect, sleeps):
    gm.fail("/profile", 500, times=10, retry_after=None)
    with pytest.raises(gmail.GmailError) as caught:
        connect(max_retries=2).profile()
    assert not isinstance(caught.value, gmail.AuthFailed)
    assert "500" in str(caught.value) and MAILBOX in str(caught.value) and caught.value.status == 500
    assert len(sleeps) == 2


def test_a_batch_item_that_keeps_failing_is_gmail_error(gm, connect, sleeps):
    ids = [gm.add_message(MAILBOX, raw_message(n)) for n in range(3)]
    gm.fail(f"/messages/{ids[0]}", 503, times=10, retry_after="1")
    with pytest.raises(gmail.GmailError, match=f"{MAILBOX} after 3 attempts: 503"):
        connect(max_retries=2).get_raw_messages(ids)
    assert sleeps == [1.0, 1.0]


def test_a_client_error_is_not_retried(gm, connect, sleeps):
    gm.fail("/profile", 400, retry_after=None)
    with pytest.raises(gmail.GmailError, match="400") as caught:
        connect().profile()
    assert caught.value.status == 400 and sleeps == []


def test_a_timeout_is_retried(gm, connect, sleeps):
    gm.stall("/profile", 1.0)
    assert connect(timeout=0.3).profile()["emailAddress"] == MAILBOX
    assert len(sleeps) == 1


def test_an_unreachable_gmail_is_retried_then_gmail_error(gm, key_info, sleeps):
    credentials = gmail.delegated_credentials(key_info, MAILBOX, token_uri=gm.token_url)
    client = gmail.GmailClient(credentials, api_url=f"http://127.0.0.1:{free_port()}", max_retries=2,
                               sleep=sleeps.append)
    try:
        with pytest.raises(gmail.GmailError, match=f"could not reach Gmail.*{MAILBOX}"):
            client.profile()
    finally:
        client.close()
    assert len(sleeps) == 2


def test_without_api_url_the_client_would_go_to_google_and_the_guard_refuses(gm, key_info, sleeps, refused_hosts):
    credentials = gmail.delegated_credentials(key_info, MAILBOX, token_uri=gm.token_url)
    client = gmail.GmailClient(credentials, max_retries=0, sleep=sleeps.append)
    try:
        with pytest.raises(gmail.GmailError, match="could not reach Gmail"):
            client.profile()
    finally:
        client.close()
    assert refused_hosts == ["gmail.googleapis.com"]


def test_retry_after_parsing():
    assert gmail.retry_after_seconds("7") == 7.0
    assert gmail.retry_after_seconds(" 0 ") == 0.0
    assert gmail.retry_after_seconds(formatdate(time.time() - 60, usegmt=True)) == 0.0
    assert gmail.retry_after_seconds("soon") is None
    assert gmail.retry_after_seconds("inf") is None
    assert gmail.retry_after_seconds(None) is None
    assert all(gmail.backoff_seconds(20) <= gmail.BACKOFF_CAP_SECONDS for _ in range(50))


# -- crypto ------------------------------------------------------------------------------------------


def test_seal_and_open_round_trip():
    key = os.urandom(32)
    sealed = crypto.seal(key, "1//refresh-token", MAILBOX)
    assert sealed.startswith("v1:") and "refresh" not in sealed
    assert crypto.seal(key, "1//refresh-token", MAILBOX) != sealed  # a fresh nonce each time
    assert crypto.open_sealed(key, sealed, MAILBOX) == "1//refresh-token"


def test_open_refuses_wrong_context_tampering_and_wrong_key():
    key = os.urandom(32)
    sealed = crypto.seal(key, "1//refresh-token", MAILBOX)
    blob = bytearray(base64.urlsafe_b64decode(sealed[3:] + "=" * (-len(sealed[3:]) % 4)))
    blob[20] ^= 1
    tampered = "v1:" + base64.urlsafe_b64encode(bytes(blob)).decode()
    for key_used, token, context in [(key, sealed, "bo@fund.test"), (key, tampered, MAILBOX),
                                     (os.urandom(32), sealed, MAILBOX), (key, "plain-token", MAILBOX),
                                     (key, "v1:AAAA", MAILBOX)]:
        with pytest.raises(ValueError, match="cannot be decrypted"):
            crypto.open_sealed(key_used, token, context)


def test_key_file_is_created_private_and_reused(tmp_path):
    path = tmp_path / "secrets" / "email.key"
    key = crypto.load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert crypto.load_or_create_key(path) == key
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_env_key_wins_in_either_base64_alphabet_and_a_wrong_length_is_refused(tmp_path):
    path = tmp_path / "email.key"
    raw = bytes(range(250, 256)) + os.urandom(26)  # leading 0xfa.. bytes encode to +/ vs -_
    for encoded in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")):
        assert crypto.load_or_create_key(path, env_value=encoded) == raw
    assert not path.exists()
    with pytest.raises(ValueError, match="CRM_EMAIL_ENCRYPTION_KEY"):
        crypto.load_or_create_key(path, env_value=base64.b64encode(os.urandom(16)).decode())
    with pytest.raises(ValueError, match="CRM_EMAIL_ENCRYPTION_KEY"):
        crypto.load_or_create_key(path, env_value="not base64 at all!")
