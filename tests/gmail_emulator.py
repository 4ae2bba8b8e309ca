"""A local stand-in for Google's Gmail API and OAuth token endpoint, for tests (Google's servers
cannot exist offline). It speaks the subset the CRM uses, shaped as Google answers it: the token
grants (jwt-bearer, refresh_token, authorization_code), profile, messages list/get/send, history,
drafts and multipart/mixed batches, with Google-shaped errors. Tests drive its state (messages,
expired history, denied delegation, injected failures) and read back what it received.

In a test: `with GmailEmulator() as gm:` then point the client (or a CRM subprocess, through
CRM_GMAIL_API_URL=gm.url and CRM_GOOGLE_TOKEN_URL=gm.token_url) at it. By hand:
`python tests/gmail_emulator.py --port 8765 [--write-key key.json]`."""
from __future__ import annotations

import argparse
import base64
import binascii
import http.client
import json
import re
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

READONLY = "https://www.googleapis.com/auth/gmail.readonly"
COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
MODIFY = "https://www.googleapis.com/auth/gmail.modify"
SEND = "https://www.googleapis.com/auth/gmail.send"
FULL = "https://mail.google.com/"
READ_SCOPES = {READONLY, MODIFY, FULL}
DRAFT_SCOPES = {COMPOSE, MODIFY, FULL}
SEND_SCOPES = {COMPOSE, MODIFY, FULL, SEND}
OAUTH_SCOPES = (READONLY, COMPOSE)

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FIRST_HISTORY_ID = 1000
MAX_BATCH_PARTS = 100  # Gmail refuses larger batches
TOKEN_LIFETIME = 3599

_STATUS_NAMES = {
    400: ("INVALID_ARGUMENT", "invalidArgument"),
    401: ("UNAUTHENTICATED", "authError"),
    403: ("PERMISSION_DENIED", "forbidden"),
    404: ("NOT_FOUND", "notFound"),
    429: ("RESOURCE_EXHAUSTED", "rateLimitExceeded"),
    500: ("INTERNAL", "backendError"),
    503: ("UNAVAILABLE", "backendError"),
}
_FAILURE_MESSAGES = {
    429: "Too many concurrent requests for user.",
    500: "Backend Error",
    503: "The service is currently unavailable.",
}


def make_service_account_key(token_uri: str) -> dict:
    """A service-account key file's contents, with a freshly generated RSA key, whose grants go
    to `token_uri`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode("ascii")
    project = "crm-emulator"
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": f"crm-sync@{project}.iam.gserviceaccount.com",
        "client_id": str(secrets.randbelow(10 ** 21)).zfill(21),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    }


def _b64url_decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json(status: int, payload: dict, extra: dict | None = None) -> tuple[int, dict, bytes]:
    headers = {"Content-Type": "application/json; charset=UTF-8"}
    headers.update(extra or {})
    return status, headers, json.dumps(payload).encode("utf-8")


def _google_error(status: int, message: str, reason: str | None = None,
                  extra: dict | None = None) -> tuple[int, dict, bytes]:
    name, default_reason = _STATUS_NAMES.get(status, ("UNKNOWN", "unknown"))
    error = {"code": status, "message": message,
             "errors": [{"message": message, "domain": "global", "reason": reason or default_reason}],
             "status": name}
    return _json(status, {"error": error}, extra)


def _oauth_error(status: int, error: str, description: str) -> tuple[int, dict, bytes]:
    return _json(status, {"error": error, "error_description": description})


@dataclass
class _Message:
    id: str
    thread_id: str
    raw: bytes
    labels: list[str]
    internal_date: int
    history_id: int

    def summary(self) -> dict:
        return {"id": self.id, "threadId": self.thread_id, "labelIds": list(self.labels)}


@dataclass
class _Token:
    mailbox: str
    scopes: frozenset[str]
    expires_at: float


class _Mailbox:
    def __init__(self, address: str):
        self.address = address
        self.messages: dict[str, _Message] = {}
        self.history: list[tuple[int, str, dict]] = []  # (history id, type, message summary)
        self.history_id = FIRST_HISTORY_ID
        self.history_floor = 0
        self.last_internal_date = 0

    def next_history_id(self) -> int:
        self.history_id += 1
        return self.history_id


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GmailEmulator/1"
    # One write per response and no Nagle: keep-alive clients otherwise stall ~40 ms a request.
    disable_nagle_algorithm = True

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    def log_message(self, format, *args):
        pass

    def _handle(self):
        emulator: GmailEmulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        emulator._record(self.command, self.path, headers, body)
        try:
            status, out_headers, payload = emulator._dispatch(self.command, self.path, headers, body)
        except Exception as exc:  # an emulator bug should read as one, not hang the client
            status, out_headers, payload = _google_error(500, f"emulator error: {exc!r}")
        reason = http.client.responses.get(status, "")
        lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(payload)}"]
        lines += [f"{name}: {value}" for name, value in out_headers.items()]
        try:
            self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class GmailEmulator:
    """The emulator's state and its HTTP server on 127.0.0.1 (a free port unless given)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._lock = threading.RLock()
        self._mailboxes: dict[str, _Mailbox] = {}
        self._tokens: dict[str, _Token] = {}
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> mailbox
        self._codes: dict[str, tuple[str, str]] = {}  # code -> (mailbox, refresh token)
        self._denied: set[str] = set()
        self._failures: list[list] = []  # [path substring, status, times left, Retry-After]
        self._stalls: list[list] = []  # [path substring, seconds, times left]
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.batch_items: list[tuple[str, str]] = []  # (method, path) of each request inside a batch
        self.grants: list[dict] = []  # token requests: the form, plus "claims" of a jwt-bearer assertion
        self.drafts: dict[str, list[bytes]] = {}
        self.sent: dict[str, list[bytes]] = {}
        self._server = _Server((host, port), _Handler)
        self._server.emulator = self
        self._thread: threading.Thread | None = None
        bound_host, bound_port = self._server.server_address[:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self.token_url = self.url + "/token"

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> "GmailEmulator":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="gmail-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "GmailEmulator":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- state the tests drive -------------------------------------------------------------------

    def add_message(self, mailbox: str, raw: bytes, thread_id: str | None = None, labels=("INBOX",),
                    internal_date_ms: int | None = None) -> str:
        """Deliver `raw` to `mailbox`: a new id, a new historyId and a messageAdded record.
        Without `internal_date_ms` each message is newer than the one before."""
        with self._lock:
            return self._add(self._box(mailbox), raw, thread_id, list(labels), internal_date_ms).id

    def delete_message(self, mailbox: str, gmail_id: str) -> None:
        with self._lock:
            box = self._box(mailbox)
            message = box.messages.pop(gmail_id)
            box.history.append((box.next_history_id(), "messageDeleted", message.summary()))

    def expire_history(self, mailbox: str) -> None:
        """From now on history.list from any startHistoryId before the current one answers 404."""
        with self._lock:
            box = self._box(mailbox)
            box.history_floor = box.history_id

    def history_id(self, mailbox: str) -> str:
        with self._lock:
            return str(self._box(mailbox).history_id)

    def message_ids(self, mailbox: str) -> list[str]:
        with self._lock:
            return list(self._box(mailbox).messages)

    def fail(self, path_contains: str, status: int = 429, times: int = 1, retry_after: str | None = "1") -> None:
        """The next `times` requests whose path (with query) contains `path_contains` answer
        `status`; batch items match on their own path, and the batch itself on /batch/gmail/v1."""
        with self._lock:
            self._failures.append([path_contains, status, times, retry_after])

    def stall(self, path_contains: str, seconds: float, times: int = 1) -> None:
        """The next `times` matching requests wait `seconds` before answering (for timeouts)."""
        with self._lock:
            self._stalls.append([path_contains, seconds, times])

    def deny_delegation(self, mailbox: str) -> None:
        with self._lock:
            self._denied.add(mailbox.strip().lower())

    def add_oauth_code(self, code: str, mailbox: str, refresh_token: str) -> None:
        with self._lock:
            self._codes[code] = (mailbox.strip().lower(), refresh_token)
            self._box(mailbox)

    def revoke_refresh_token(self, refresh_token: str) -> None:
        with self._lock:
            self._refresh_tokens.pop(refresh_token, None)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers 401 from now on (clients refresh)."""
        with self._lock:
            self._tokens.clear()

    # -- internals -------------------------------------------------------------------------------

    def _box(self, mailbox: str) -> _Mailbox:
        key = mailbox.strip().lower()
        box = self._mailboxes.get(key)
        if box is None:
            box = self._mailboxes[key] = _Mailbox(key)
        return box

    def _add(self, box: _Mailbox, raw: bytes, thread_id: str | None, labels: list[str],
             internal_date_ms: int | None) -> _Message:
        gmail_id = secrets.token_hex(8)
        while gmail_id in box.messages:
            gmail_id = secrets.token_hex(8)
        if internal_date_ms is None:
            internal_date_ms = max(int(time.time() * 1000), box.last_internal_date + 1)
        box.last_internal_date = max(box.last_internal_date, internal_date_ms)
        message = _Message(gmail_id, thread_id or gmail_id, bytes(raw), labels, internal_date_ms,
                           box.next_history_id())
        box.messages[gmail_id] = message
        box.history.append((message.history_id, "messageAdded", message.summary()))
        return message

    def _record(self, method: str, path: str, headers: dict, body: bytes) -> None:
        with self._lock:
            self.requests.append((method, path, headers, body))

    def _take(self, rules: list[list], path: str) -> list | None:
        with self._lock:
            for rule in rules:
                if rule[0] in path and rule[2] > 0:
                    rule[2] -= 1
                    if rule[2] <= 0:
                        rules.remove(rule)
                    return rule
        return None

    def _dispatch(self, method: str, target: str, headers: dict, body: bytes,
                  inner: bool = False) -> tuple[int, dict, bytes]:
        stall = self._take(self._stalls, target)
        if stall:
            time.sleep(stall[1])
        failure = self._take(self._failures, target)
        parts = urllib.parse.urlsplit(target)
        path = parts.path
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        if failure:
            _, status, _, retry_after = failure
            extra = {"Retry-After": retry_after} if retry_after is not None else {}
            if path == "/token":
                status_, headers_, payload = _oauth_error(status, "temporarily_unavailable", "injected failure")
                return status_, {**headers_, **extra}, payload
            return _google_error(status, _FAILURE_MESSAGES.get(status, "Injected failure."), extra=extra)
        if path == "/token" and method == "POST":
            return self._token(body)
        if path == "/batch/gmail/v1" and method == "POST" and not inner:
            return self._batch(headers, body)
        match = re.fullmatch(r"/gmail/v1/users/([^/]+)/(.+)", path)
        if not match:
            return _google_error(404, f"The requested URL {path} was not found on this server.")
        user, rest = urllib.parse.unquote(match.group(1)), match.group(2)
        if rest in ("drafts",) and method == "POST":
            needed = DRAFT_SCOPES
        elif rest == "messages/send" and method == "POST":
            needed = SEND_SCOPES
        else:
            needed = READ_SCOPES
        refused, box = self._authorize(headers, user, needed)
        if refused:
            return refused
        with self._lock:
            if rest == "profile" and method == "GET":
                return self._profile(box)
            if rest == "messages" and method == "GET":
                return self._list(box, query)
            if rest == "history" and method == "GET":
                return self._history(box, query)
            if rest == "drafts" and method == "POST":
                return self._create(box, body, ["DRAFT"], self.drafts, draft=True)
            if rest == "messages/send" and method == "POST":
                return self._create(box, body, ["SENT"], self.sent, draft=False)
            single = re.fullmatch(r"messages/([^/]+)", rest)
            if single and method == "GET":
                return self._get(box, urllib.parse.unquote(single.group(1)), query)
        return _google_error(404, f"The requested URL {path} was not found on this server.")

    def _authorize(self, headers: dict, user: str, needed: set[str]):
        authorization = headers.get("authorization", "")
        unauthenticated = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
        if not authorization.lower().startswith("bearer "):
            return _google_error(401, "Request is missing required authentication credential. Expected OAuth 2 "
                                 "access token, login cookie or other valid authentication credential.",
                                 "required", unauthenticated), None
        with self._lock:
            token = self._tokens.get(authorization[7:].strip())
            if token is None or token.expires_at < time.time():
                return _google_error(401, "Request had invalid authentication credentials. Expected OAuth 2 "
                                     "access token, login cookie or other valid authentication credential.",
                                     extra=unauthenticated), None
            if user != "me" and user.strip().lower() != token.mailbox:
                return _google_error(403, f"Delegation denied for {token.mailbox}"), None
            if not token.scopes & needed:
                return _google_error(403, "Request had insufficient authentication scopes.",
                                     "insufficientPermissions"), None
            return None, self._box(token.mailbox)

    def _issue(self, mailbox: str, scopes) -> str:
        access_token = "ya29.emu-" + secrets.token_urlsafe(24)
        self._tokens[access_token] = _Token(mailbox.strip().lower(), frozenset(scopes), time.time() + TOKEN_LIFETIME)
        self._box(mailbox)
        return access_token

    def _token(self, body: bytes) -> tuple[int, dict, bytes]:
        form = {name: values[0] for name, values in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        record = dict(form)
        with self._lock:
            self.grants.append(record)
            if grant == JWT_BEARER:
                # Neither signature nor aud is checked: google-auth always puts Google's own
                # token URL in aud, even when token_uri points here.
                try:
                    claims = json.loads(_b64url_decode(form.get("assertion", "").split(".")[1]))
                except (IndexError, ValueError, binascii.Error):
                    return _oauth_error(400, "invalid_grant", "Invalid JWT: malformed assertion.")
                record["claims"] = claims
                mailbox = claims.get("sub") or claims.get("iss")
                if not mailbox:
                    return _oauth_error(400, "invalid_grant", "Invalid JWT: no sub or iss.")
                if mailbox.strip().lower() in self._denied:
                    return _oauth_error(401, "unauthorized_client",
                                        "Client is unauthorized to retrieve access tokens using this method, "
                                        "or client not authorized for any of the scopes requested.")
                access_token = self._issue(mailbox, str(claims.get("scope", "")).split())
                return _json(200, {"access_token": access_token, "expires_in": TOKEN_LIFETIME,
                                   "token_type": "Bearer"})
            if grant == "refresh_token":
                mailbox = self._refresh_tokens.get(form.get("refresh_token", ""))
                if mailbox is None:
                    return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
                scopes = form.get("scope", "").split() or list(OAUTH_SCOPES)
                return _json(200, {"access_token": self._issue(mailbox, scopes), "expires_in": TOKEN_LIFETIME,
                                   "scope": " ".join(scopes), "token_type": "Bearer"})
            if grant == "authorization_code":
                if not form.get("redirect_uri"):
                    return _oauth_error(400, "invalid_request", "Missing parameter: redirect_uri")
                entry = self._codes.pop(form.get("code", ""), None)
                if entry is None:
                    return _oauth_error(400, "invalid_grant", "Malformed auth code.")
                mailbox, refresh_token = entry
                self._refresh_tokens[refresh_token] = mailbox
                return _json(200, {"access_token": self._issue(mailbox, OAUTH_SCOPES), "expires_in": TOKEN_LIFETIME,
                                   "refresh_token": refresh_token, "scope": " ".join(OAUTH_SCOPES),
                                   "token_type": "Bearer"})
        return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")

    def _profile(self, box: _Mailbox) -> tuple[int, dict, bytes]:
        threads = {message.thread_id for message in box.messages.values()}
        return _json(200, {"emailAddress": box.address, "messagesTotal": len(box.messages),
                           "threadsTotal": len(threads), "historyId": str(box.history_id)})

    @staticmethod
    def _page_size(query: dict, default: int = 100, most: int = 500) -> int | None:
        try:
            size = int(query.get("maxResults", [default])[0])
        except ValueError:
            return None
        return max(1, min(size, most))

    def _list(self, box: _Mailbox, query: dict) -> tuple[int, dict, bytes]:
        size = self._page_size(query)
        if size is None:
            return _google_error(400, "Invalid value for maxResults")
        hidden = set() if query.get("includeSpamTrash", ["false"])[0] == "true" else {"SPAM", "TRASH"}
        ordered = sorted((m for m in box.messages.values() if not hidden & set(m.labels)),
                         key=lambda m: (m.internal_date, m.id), reverse=True)
        token = query.get("pageToken", [""])[0]
        if token:
            try:
                date_text, _, last_id = _b64url_decode(token).decode("ascii").partition(":")
                cursor = (int(date_text), last_id)
            except (ValueError, binascii.Error, UnicodeDecodeError):
                return _google_error(400, "Invalid pageToken")
            ordered = [m for m in ordered if (m.internal_date, m.id) < cursor]
        page = ordered[:size]
        answer: dict = {"resultSizeEstimate": len(ordered)}
        if page:  # Gmail leaves "messages" out of an empty answer
            answer["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
        if len(ordered) > size:
            last = page[-1]
            answer["nextPageToken"] = base64.urlsafe_b64encode(
                f"{last.internal_date}:{last.id}".encode("ascii")).decode("ascii").rstrip("=")
        return _json(200, answer)

    def _get(self, box: _Mailbox, gmail_id: str, query: dict) -> tuple[int, dict, bytes]:
        message = box.messages.get(gmail_id)
        if message is None:
            return _google_error(404, "Requested entity was not found.")
        shape = query.get("format", ["full"])[0]
        answer = {**message.summary(), "snippet": _snippet(message.raw), "sizeEstimate": len(message.raw),
                  "historyId": str(message.history_id), "internalDate": str(message.internal_date)}
        if shape == "raw":
            answer["raw"] = base64.urlsafe_b64encode(message.raw).decode("ascii")
        elif shape in ("full", "metadata"):
            mime_type, headers = _header_part(message.raw)
            answer["payload"] = {"mimeType": mime_type, "headers": headers}
        return _json(200, answer)

    def _history(self, box: _Mailbox, query: dict) -> tuple[int, dict, bytes]:
        try:
            start = int(query.get("startHistoryId", [""])[0])
        except ValueError:
            return _google_error(400, "Invalid startHistoryId", "invalidArgument")
        if start < box.history_floor:
            return _google_error(404, "Requested entity was not found.")
        size = self._page_size(query)
        if size is None:
            return _google_error(400, "Invalid value for maxResults")
        types = set(query.get("historyTypes", []))
        after = start
        token = query.get("pageToken", [""])[0]
        if token:
            try:
                after = max(start, int(token))
            except ValueError:
                return _google_error(400, "Invalid pageToken")
        records = [(hid, kind, summary) for hid, kind, summary in box.history
                   if hid > after and (not types or kind in types)]
        page = records[:size]
        answer: dict = {"historyId": str(box.history_id)}
        if page:  # Gmail leaves "history" out when nothing happened
            key = {"messageAdded": "messagesAdded", "messageDeleted": "messagesDeleted"}
            answer["history"] = [{"id": str(hid), "messages": [{"id": s["id"], "threadId": s["threadId"]}],
                                  key[kind]: [{"message": s}]} for hid, kind, s in page]
        if len(records) > size:
            answer["nextPageToken"] = str(page[-1][0])
        return _json(200, answer)

    def _create(self, box: _Mailbox, body: bytes, labels: list[str], store: dict, draft: bool):
        try:
            request = json.loads(body or b"{}")
            message = request.get("message", {}) if draft else request
            raw = _b64url_decode(message["raw"])
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            return _google_error(400, "Invalid draft" if draft else "'raw' RFC822 payload message string "
                                 "or uploading message via /upload/* URL required")
        made = self._add(box, raw, message.get("threadId"), labels, None)
        store.setdefault(box.address, []).append(raw)
        if draft:
            return _json(200, {"id": "r" + str(secrets.randbelow(10 ** 19)), "message": made.summary()})
        return _json(200, made.summary())

    def _batch(self, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
        content_type = headers.get("content-type", "")
        envelope = BytesParser(policy=policy.compat32).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
        if not envelope.is_multipart():
            return _google_error(400, "Batch request is not multipart/mixed.")
        parts = envelope.get_payload()
        if len(parts) > MAX_BATCH_PARTS:
            return _google_error(400, f"Too many requests in batch ({len(parts)} > {MAX_BATCH_PARTS}).")
        boundary = "batch_" + secrets.token_hex(12)
        out = []
        for part in parts:
            content_id = (part.get("Content-ID") or "").strip()
            method, target, inner_headers, inner_body = _parse_inner_request(part.get_payload())
            # Headers of the outer request apply to every part that does not set its own.
            if "authorization" not in inner_headers and "authorization" in headers:
                inner_headers["authorization"] = headers["authorization"]
            with self._lock:
                self.batch_items.append((method, target))
            status, out_headers, payload = self._dispatch(method, target, inner_headers, inner_body, inner=True)
            answer_id = "<response-" + content_id.strip("<>") + ">"
            head = [f"HTTP/1.1 {status} {http.client.responses.get(status, '')}"]
            head += [f"{name}: {value}" for name, value in out_headers.items()]
            head.append(f"Content-Length: {len(payload)}")
            out.append(f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: {answer_id}\r\n\r\n"
                       .encode("latin-1") + ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload + b"\r\n")
        out.append(f"--{boundary}--\r\n".encode("latin-1"))
        return 200, {"Content-Type": f"multipart/mixed; boundary={boundary}"}, b"".join(out)


def _parse_inner_request(payload) -> tuple[str, str, dict, bytes]:
    text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
    text = text.lstrip("\r\n")
    blank = re.search(r"\r?\n\r?\n", text)
    head, body = (text[:blank.start()], text[blank.end():]) if blank else (text, "")
    lines = head.splitlines()
    method, target = (lines[0].split(" ") + ["", ""])[:2]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return method, target, headers, body.encode("utf-8")


def _header_part(raw: bytes) -> tuple[str, list[dict]]:
    parsed = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    return parsed.get_content_type(), [{"name": name, "value": str(value)} for name, value in parsed.items()]


def _snippet(raw: bytes) -> str:
    _, _, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    return " ".join(body.decode("utf-8", "replace").split())[:200]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve an empty Gmail API emulator on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--write-key", metavar="PATH",
                        help="also write a service-account key whose token_uri is this emulator")
    args = parser.parse_args(argv)
    emulator = GmailEmulator(port=args.port).start()
    if args.write_key:
        with open(args.write_key, "w", encoding="utf-8") as handle:
            json.dump(make_service_account_key(emulator.token_url), handle, indent=2)
    print(f"Gmail emulator at {emulator.url} (CRM_GMAIL_API_URL={emulator.url} "
          f"CRM_GOOGLE_TOKEN_URL={emulator.token_url})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emulator.stop()


if __name__ == "__main__":
    main()
