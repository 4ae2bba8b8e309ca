"""The Gmail API client the mailbox sync uses: credentials (a service account delegated to a team
mailbox, or a person's OAuth refresh token), the consent and code-exchange steps of the OAuth
flow, and the few Gmail calls capture needs, each retried on rate limits and outages and turned
into GmailError / AuthFailed / CursorExpired that name the mailbox.

Every call goes to `api_url` when one is given (CRM_GMAIL_API_URL), batch requests included, and
tokens come from `token_uri` (CRM_GOOGLE_TOKEN_URL), which is how tests run it against
tests/gmail_emulator.py. A GmailClient holds one httplib2 connection: one client per thread."""
from __future__ import annotations

import base64
import binascii
import email.utils
import http.client
import json
import math
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import Any, Callable

import google_auth_httplib2
import httplib2
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import Credentials
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import BatchError, HttpError
from googleapiclient.http import BatchHttpRequest

SCOPES = (
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.compose",
)
GMAIL_API_URL = "https://gmail.googleapis.com"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/v2/auth"

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 60.0
# A longer Retry-After (a daily quota, say) would park the sync thread for every other mailbox;
# failing the run instead lets the next scheduled run try again.
MAX_RETRY_AFTER_SECONDS = 300.0
MAX_PAGE_SIZE = 500

_RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
_TRANSPORT_ERRORS = (
    OSError,  # refused, reset, timed out (socket.timeout is TimeoutError)
    httplib2.HttpLib2Error,
    http.client.HTTPException,
    auth_exceptions.TransportError,
)
_AUTH_HINTS = {
    "unauthorized_client": " (is domain-wide delegation granted to this service account for the Gmail scopes?)",
    "access_denied": " (is domain-wide delegation granted to this service account for the Gmail scopes?)",
    "invalid_grant": " (the refresh token was revoked or expired, or the mailbox does not exist)",
    "invalid_client": " (the client id/secret or the service-account key is wrong or was deleted)",
}


class GmailError(Exception):
    """A Gmail failure the sync records on its run; the message says what failed and for whom."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class AuthFailed(GmailError):
    """Google refused the credentials: a bad key, delegation not granted, a revoked refresh token."""


class CursorExpired(GmailError):
    """history.list answered 404: the stored historyId is too old and a full re-sync is needed."""


def delegated_credentials(key_info: dict, subject: str, token_uri: str | None = None) -> Credentials:
    """Service-account credentials acting as `subject` (domain-wide delegation) with SCOPES."""
    info = dict(key_info)
    if token_uri:
        info["token_uri"] = token_uri
    base = service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
    return base.with_subject(subject)


def oauth_credentials(refresh_token: str, client_id: str, client_secret: str,
                      token_uri: str | None = None) -> Credentials:
    """A person's own OAuth credentials, refreshed from their stored refresh token on first use."""
    return user_credentials.Credentials(
        token=None, refresh_token=refresh_token, client_id=client_id, client_secret=client_secret,
        token_uri=token_uri or GOOGLE_TOKEN_URI, scopes=list(SCOPES),
    )


def oauth_consent_url(client_id: str, redirect_uri: str, state: str, auth_uri: str | None = None) -> str:
    """Google's consent page for SCOPES. `access_type=offline` with `prompt=consent` makes Google
    return a refresh token every time, not only on a person's first consent."""
    query = urllib.parse.urlencode({
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": " ".join(SCOPES),
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "state": state,
    })
    return f"{auth_uri or GOOGLE_AUTH_URI}?{query}"


def exchange_oauth_code(code: str, client_id: str, client_secret: str, redirect_uri: str,
                        token_uri: str | None = None, timeout: float = 30.0) -> dict:
    """Trade the consent page's code for tokens: {"refresh_token", "access_token"} plus "email"
    when Google sent an id_token (it does not for SCOPES alone: ask GmailClient.profile()).
    Not retried: a code works once, so a second try could only be refused."""
    body = urllib.parse.urlencode({
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uri": redirect_uri,
    }).encode("ascii")
    request = urllib.request.Request(
        token_uri or GOOGLE_TOKEN_URI, data=body, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        detail = _oauth_error_text(exc.read())
        if 400 <= exc.code < 500:
            raise AuthFailed(f"Google refused the authorization code: {detail}", status=exc.code) from None
        raise GmailError(f"Google's token endpoint failed exchanging the authorization code: "
                         f"{exc.code} {detail}", status=exc.code) from None
    except (urllib.error.URLError, *_TRANSPORT_ERRORS) as exc:
        raise GmailError(f"could not reach Google's token endpoint to exchange the authorization code: {exc}") from None
    except ValueError:
        raise GmailError("Google's token endpoint answered the code exchange with something other than JSON") from None
    if not isinstance(answer, dict) or not answer.get("refresh_token"):
        raise AuthFailed("Google returned no refresh token for the authorization code "
                         "(the consent must ask for offline access)")
    result = {"refresh_token": answer["refresh_token"], "access_token": answer.get("access_token")}
    address = _id_token_email(answer.get("id_token"))
    if address:
        result["email"] = address
    return result


def _oauth_error_text(content: bytes) -> str:
    try:
        data = json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")[:200] or "no details"
    if not isinstance(data, dict) or not isinstance(data.get("error"), str):
        return json.dumps(data)[:200]
    code = data["error"]
    description = f": {data['error_description']}" if data.get("error_description") else ""
    return f"{code}{description}{_AUTH_HINTS.get(code, '')}"


def _id_token_email(id_token: Any) -> str | None:
    # The signature is not checked: the token came straight from Google's token endpoint over
    # TLS, which OpenID Connect (Core 3.1.3.7) accepts in place of validating it.
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return None
    try:
        claims = json.loads(_b64url_decode(id_token.split(".")[1]))
    except (ValueError, binascii.Error):
        return None
    address = claims.get("email") if isinstance(claims, dict) else None
    return address if isinstance(address, str) else None


def validate_service_account_key(info: dict) -> dict:
    """Check an uploaded service-account key before it is stored: {"client_email", "project_id"},
    or ValueError naming the missing or bad field."""
    if not isinstance(info, dict):
        raise ValueError("the service-account key must be a JSON object (the key file Google Cloud downloads)")
    if info.get("type") != "service_account":
        raise ValueError(f'type must be "service_account", not {info.get("type")!r}')
    client_email = info.get("client_email")
    if not isinstance(client_email, str) or "@" not in client_email:
        raise ValueError("client_email is missing or is not an email address")
    private_key = info.get("private_key")
    if not isinstance(private_key, str) or not private_key.strip():
        raise ValueError("private_key is missing")
    try:
        loaded = serialization.load_pem_private_key(private_key.encode("utf-8"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError("private_key is not a PEM private key that loads") from None
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError("private_key must be an RSA key (Google signs service-account grants with RS256)")
    token_uri = info.get("token_uri")
    if not isinstance(token_uri, str) or urllib.parse.urlsplit(token_uri).scheme not in ("http", "https"):
        raise ValueError("token_uri is missing or is not an http(s) URL")
    project_id = info.get("project_id")
    return {"client_email": client_email, "project_id": project_id if isinstance(project_id, str) else None}


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header (delta-seconds or an HTTP date) as seconds from now; None if absent
    or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter for retry `attempt` (0-based): half fixed, half random, so
    mailboxes syncing side by side do not retry in step."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _b64url_decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _error_reasons(exc: HttpError) -> set[str]:
    try:
        error = json.loads(exc.content.decode("utf-8"))["error"]
        return {item.get("reason") for item in error.get("errors", []) if isinstance(item, dict)}
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()


def _is_retryable(exc: HttpError) -> bool:
    status = exc.resp.status
    if status == 429 or status >= 500:
        return True
    # Gmail reports some per-user rate limits as 403 rather than 429.
    return status == 403 and bool(_error_reasons(exc) & _RATE_LIMIT_REASONS)


class GmailClient:
    """One mailbox's Gmail API, through googleapiclient's bundled (static) discovery document."""

    def __init__(self, credentials, api_url: str | None = None, timeout: float = 30.0, max_retries: int = 5,
                 sleep: Callable[[float], None] = time.sleep, batch_size: int = 50, *,
                 mailbox: str | None = None):
        self._credentials = credentials
        self._max_retries = max(0, int(max_retries))
        self._sleep = sleep
        self._batch_size = max(1, min(int(batch_size), 100))
        # Only the address error messages name: the delegated subject unless told, and for OAuth
        # credentials the profile's address once it has been read.
        self.mailbox = mailbox or getattr(credentials, "_subject", None)
        base = (api_url or GMAIL_API_URL).rstrip("/")
        self._batch_uri = f"{base}/batch/gmail/v1"
        self._http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
        # The trailing slash keeps a path prefix in api_url when discovery joins its paths on.
        options = {"api_endpoint": base + "/"} if api_url else None
        self._service = build("gmail", "v1", http=self._http, static_discovery=True,
                              cache_discovery=False, client_options=options)

    def close(self) -> None:
        self._http.close()

    # -- calls ---------------------------------------------------------------------------------

    def profile(self) -> dict:
        """{"emailAddress", "historyId", "messagesTotal"}."""
        answer = self._run("reading the profile", self._service.users().getProfile(userId="me").execute)
        if not self.mailbox:
            self.mailbox = answer.get("emailAddress")
        return {"emailAddress": answer.get("emailAddress"), "historyId": str(answer.get("historyId", "")),
                "messagesTotal": int(answer.get("messagesTotal", 0))}

    def list_message_ids(self, page_token: str | None = None, page_size: int = 500,
                         query: str | None = None) -> tuple[list[dict], str | None]:
        """One page of [{"id", "threadId"}], newest first as Gmail returns them, and the next
        page's token (None on the last page)."""
        request = self._service.users().messages().list(
            userId="me", pageToken=page_token, q=query, maxResults=max(1, min(int(page_size), MAX_PAGE_SIZE)))
        answer = self._run("listing messages", request.execute)
        messages = [{"id": m["id"], "threadId": m.get("threadId")} for m in answer.get("messages", [])]
        return messages, answer.get("nextPageToken") or None

    def get_raw_messages(self, ids: list[str]) -> dict[str, dict]:
        """id -> {"raw": bytes, "threadId", "labelIds", "historyId", "internalDate": int ms}, in the
        order asked, fetched in batch requests. An id Gmail no longer has (deleted since it was
        listed) is left out; items refused for rate or outage are asked again, up to max_retries."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, dict] = {}
        pending = wanted
        attempt = 0
        while pending:
            again: list[str] = []
            waits: list[float | None] = []
            last_error: HttpError | None = None
            for start in range(0, len(pending), self._batch_size):
                chunk = pending[start:start + self._batch_size]
                answers = self._run(f"fetching {len(chunk)} messages", lambda chunk=chunk: self._fetch_batch(chunk))
                for gmail_id in chunk:
                    message, error = answers[gmail_id]
                    if error is None:
                        found[gmail_id] = _raw_message(message)
                    elif error.resp.status == 404:
                        continue
                    elif _is_retryable(error):
                        again.append(gmail_id)
                        waits.append(retry_after_seconds(error.resp.get("retry-after")))
                        last_error = error
                    else:
                        raise self._http_failure(f"fetching message {gmail_id}", error)
            if not again:
                break
            if attempt >= self._max_retries:
                raise self._http_failure(f"fetching {len(again)} messages", last_error, attempts=attempt + 1)
            told = [w for w in waits if w is not None]
            self._wait(f"fetching {len(again)} messages", attempt, max(told) if told else None)
            attempt += 1
            pending = again
        return {gmail_id: found[gmail_id] for gmail_id in wanted if gmail_id in found}

    def history(self, start_history_id: str, page_token: str | None = None) -> tuple[list[str], str | None, str]:
        """(ids of messages added since `start_history_id`, the next page's token, the mailbox's
        current historyId). CursorExpired when Gmail no longer keeps history that far back."""
        start = str(start_history_id)
        request = self._service.users().history().list(
            userId="me", startHistoryId=start, pageToken=page_token,
            historyTypes=["messageAdded"], maxResults=MAX_PAGE_SIZE)
        answer = self._run(
            f"reading history since {start}", request.execute,
            on_404=lambda: CursorExpired(
                f"Gmail history for {self._who()} no longer reaches back to {start}; a full re-sync is needed",
                status=404))
        added: list[str] = []
        for record in answer.get("history", []):
            for item in record.get("messagesAdded", []):
                gmail_id = (item.get("message") or {}).get("id")
                if gmail_id and gmail_id not in added:
                    added.append(gmail_id)
        return added, answer.get("nextPageToken") or None, str(answer.get("historyId") or start)

    def create_draft(self, raw: bytes, thread_id: str | None = None) -> dict:
        """A draft of the RFC 822 message `raw` in the mailbox (in `thread_id` when given):
        {"id", "message": {"id", "threadId"}}. People send it; the CRM never does."""
        message = {"raw": base64.urlsafe_b64encode(raw).decode("ascii")}
        if thread_id:
            message["threadId"] = thread_id
        request = self._service.users().drafts().create(userId="me", body={"message": message})
        answer = self._run("creating a draft", request.execute, once=True)
        made = answer.get("message") or {}
        return {"id": answer.get("id"), "message": {"id": made.get("id"), "threadId": made.get("threadId")}}

    def send_message(self, raw: bytes) -> dict:
        """Send the RFC 822 message `raw` from the mailbox (users.messages.send, within the compose
        scope): {"id", "threadId", "labelIds"}. Only the team outbox calls this
        (email_integration/outbound.py, mail to the team); tests/test_mailer.py checks it."""
        request = self._service.users().messages().send(
            userId="me", body={"raw": base64.urlsafe_b64encode(raw).decode("ascii")})
        answer = self._run("sending a message", request.execute, once=True)
        return {"id": answer.get("id"), "threadId": answer.get("threadId"),
                "labelIds": list(answer.get("labelIds", []))}

    # -- plumbing ------------------------------------------------------------------------------

    def _fetch_batch(self, chunk: list[str]) -> dict[str, tuple[dict | None, HttpError | None]]:
        answers: dict[str, tuple[dict | None, HttpError | None]] = {}
        if not self._credentials.valid:
            # Left to itself, BatchHttpRequest refreshes through an http of its own: without our
            # timeout, and never closed.
            self._credentials.refresh(google_auth_httplib2.Request(self._http.http))

        def collect(request_id, response, exception):
            answers[request_id] = (response, exception)

        # Built here rather than by service.new_batch_http_request(), which always posts to
        # Google's own batch URL whatever api_endpoint says.
        batch = BatchHttpRequest(callback=collect, batch_uri=self._batch_uri)
        for gmail_id in chunk:
            batch.add(self._service.users().messages().get(userId="me", id=gmail_id, format="raw"),
                      request_id=gmail_id)
        batch.execute(http=self._http)
        return answers

    def _run(self, what: str, call: Callable[[], Any], on_404: Callable[[], GmailError] | None = None,
             once: bool = False) -> Any:
        """`call()` with retries: 429, 5xx, rate-limit 403s and transport failures are tried again
        up to max_retries (waiting Retry-After when given); anything else becomes a GmailError.
        `once` is for calls that create something (a draft, a sent message): a 5xx or a lost
        connection may come after Gmail did it, so only a refusal before the work (429, a
        rate-limit 403) is tried again — a second draft or a second email is worse than an error."""
        attempt = 0
        while True:
            try:
                return call()
            except HttpError as exc:
                if exc.resp.status == 404 and on_404 is not None:
                    raise on_404() from None
                if not _is_retryable(exc) or (once and exc.resp.status >= 500):
                    raise self._http_failure(what, exc) from None
                if attempt >= self._max_retries:
                    raise self._http_failure(what, exc, attempts=attempt + 1) from None
                self._wait(what, attempt, retry_after_seconds(exc.resp.get("retry-after")))
            except auth_exceptions.RefreshError as exc:
                if not exc.retryable:
                    raise self._refused(what, exc) from None
                if attempt >= self._max_retries:
                    raise GmailError(f"Google's token endpoint kept failing while {what} for {self._who()}: "
                                     f"{_refresh_detail(exc)}") from None
                self._wait(what, attempt, None)
            except BatchError as exc:
                raise GmailError(f"Gmail answered a malformed batch while {what} for {self._who()}: {exc}") from None
            except _TRANSPORT_ERRORS as exc:
                if once or attempt >= self._max_retries:
                    raise GmailError(f"could not reach Gmail while {what} for {self._who()} "
                                     f"after {attempt + 1} attempts: {type(exc).__name__}: {exc}") from None
                self._wait(what, attempt, None)
            attempt += 1

    def _wait(self, what: str, attempt: int, told: float | None) -> None:
        if told is not None and told > MAX_RETRY_AFTER_SECONDS:
            raise GmailError(f"Gmail asked to wait {told:.0f} s while {what} for {self._who()}; "
                             "the next sync will try again", status=429)
        self._sleep(told if told is not None else backoff_seconds(attempt))

    def _who(self) -> str:
        return self.mailbox or "the mailbox"

    def _http_failure(self, what: str, exc: HttpError, attempts: int = 1) -> GmailError:
        status = exc.resp.status
        reason = exc.reason or http.client.responses.get(status, "")
        if status in (401, 403) and not _is_retryable(exc):
            return AuthFailed(f"Google refused access to {self._who()} while {what}: {status} {reason}", status=status)
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return GmailError(f"Gmail failed {what} for {self._who()}{tries}: {status} {reason}", status=status)

    def _refused(self, what: str, exc: auth_exceptions.RefreshError) -> AuthFailed:
        return AuthFailed(f"Google refused access to {self._who()} while {what}: {_refresh_detail(exc)}")


def _refresh_detail(exc: auth_exceptions.RefreshError) -> str:
    detail = str(exc.args[0]) if exc.args else str(exc)
    code = detail.split(":", 1)[0].strip()
    return detail + _AUTH_HINTS.get(code, "")


def _raw_message(message: dict) -> dict:
    return {
        "raw": _b64url_decode(message.get("raw", "")),
        "threadId": message.get("threadId"),
        "labelIds": list(message.get("labelIds", [])),
        "historyId": str(message.get("historyId", "")),
        "internalDate": int(message.get("internalDate") or 0),
    }
