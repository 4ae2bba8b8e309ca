"""A local OpenAI-compatible endpoint for tests (the LLM cannot exist offline).

`with LLMStub() as llm:` serves on 127.0.0.1 (a free port; `llm.url` is the base, the client
appends `/v1/...`):
- `POST /v1/chat/completions` records each valid body in `llm.requests` and answers from
  `llm.reply`, a callable `(request_json) -> answer` (or a constant answer):
  - a str: the assistant message content of a normal `chat.completion`;
  - a dict with "status": that HTTP status, with its "body" (JSON) or an OpenAI-shaped error
    naming "message"; "headers" are added (e.g. {"Retry-After": "1"});
  - a dict with "choices": that whole response body, 200;
  - any other dict: the assistant message itself (e.g. {"content": None, "tool_calls": [...]});
  - "hang": no answer for `hang_seconds` (past any client timeout), then the connection closes;
  - an exception class or instance: the connection drops without an answer (a crashed server).
  If the reply callable itself raises, the stub answers 500 and keeps the error in `llm.errors`.
- `POST /v1/embeddings`: deterministic unit vectors from a hash of each input (`dims`, 8 unless
  set, or the request's "dimensions"); bodies in `llm.embedding_requests`.
- `GET /v1/models` lists `llm.model`.
A request without `model` and `messages` (or `input`) gets 400, as OpenAI answers it. Every request,
valid or not, is in `llm.received` as {"path", "headers", "body"}.
"""
from __future__ import annotations

import hashlib
import json
import math
import socket
import struct
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HANG = "hang"


def _usage(prompt: int, completion: int = 0) -> dict:
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


def _words(value: object) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        return sum(_words(v) for v in value)
    if isinstance(value, dict):
        return _words(value.get("content")) + _words(value.get("text"))
    return 0


def embed(text: str, dims: int = 8) -> list[float]:
    """The stub's vector for text: deterministic, unit length, `dims` long."""
    raw = b""
    counter = 0
    while len(raw) < dims * 4:
        raw += hashlib.sha256(f"{counter}\x00{text}".encode()).digest()
        counter += 1
    values = [(n / 0xFFFFFFFF) * 2 - 1 for n in struct.unpack(f">{dims}I", raw[:dims * 4])]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


class LLMStub:
    """See the module docstring."""

    def __init__(self, reply=None, *, model: str = "stub-model", dims: int = 8,
                 hang_seconds: float = 30.0):
        self.reply = reply if reply is not None else (lambda request: "OK")
        self.model = model
        self.dims = dims
        self.hang_seconds = hang_seconds
        self.requests: list[dict] = []
        self.embedding_requests: list[dict] = []
        self.received: list[dict] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> "LLMStub":
        stub = self

        class Handler(_Handler):
            owner = stub

        self._closing.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="llm-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()  # ends any hang at once
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    close = stop

    def __enter__(self) -> "LLMStub":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the LLM stub is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- for tests -----------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.embedding_requests.clear()
            self.received.clear()
            self.errors.clear()

    def wait_for_requests(self, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """Wait until `count` chat requests have arrived; return them."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            if time.monotonic() >= deadline:
                raise AssertionError(f"the LLM stub had {len(self.requests)} chat request(s) "
                                     f"after {timeout} s, not {count}")
            time.sleep(0.02)

    def _record(self, bucket: list, item: dict) -> None:
        with self._lock:
            bucket.append(item)

    # -- answers -------------------------------------------------------------------------------

    def _chat(self, body: dict):
        """-> (status, body, headers) or an action: HANG, or an exception to drop the line."""
        self._record(self.requests, body)
        try:
            answer = self.reply(body) if callable(self.reply) and not _is_exception(self.reply) \
                else self.reply
        except Exception:
            self._record(self.errors, traceback.format_exc())
            return 500, _error("the stub's reply callable raised (see LLMStub.errors)",
                               "server_error"), {}
        if _is_exception(answer) or answer == HANG:
            return answer
        prompt = _words(body.get("messages"))
        if isinstance(answer, str):
            message = {"role": "assistant", "content": answer}
        elif isinstance(answer, dict) and "status" in answer:
            status = int(answer["status"])
            payload = answer.get("body")
            if payload is None:
                payload = _error(answer.get("message", f"stub status {status}"),
                                 answer.get("type", "stub_error"))
            return status, payload, dict(answer.get("headers") or {})
        elif isinstance(answer, dict) and "choices" in answer:
            return 200, answer, {}
        elif isinstance(answer, dict):
            message = {"role": "assistant", **answer}
        else:
            raise TypeError(f"LLMStub.reply gave {answer!r}: want a str, a dict, 'hang' or an "
                            "exception")
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        return 200, {
            "id": f"chatcmpl-stub-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": _usage(prompt, _words(message.get("content"))),
        }, {}

    def _embeddings(self, body: dict):
        self._record(self.embedding_requests, body)
        inputs = body["input"]
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        dims = body.get("dimensions") or self.dims
        return 200, {
            "object": "list",
            "data": [{"object": "embedding", "index": i, "embedding": embed(str(t), int(dims))}
                     for i, t in enumerate(texts)],
            "model": body.get("model") or self.model,
            "usage": {"prompt_tokens": _words(texts), "total_tokens": _words(texts)},
        }, {}


def _is_exception(value) -> bool:
    return isinstance(value, BaseException) or (
        isinstance(value, type) and issubclass(value, BaseException))


def _error(message: str, kind: str = "invalid_request_error", param: str | None = None,
           code: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _invalid(body: object, path: str) -> dict | None:
    """An OpenAI-shaped 400 body if the request is not one the endpoint takes, else None."""
    if not isinstance(body, dict):
        return _error("We could not parse the JSON body of your request.")
    if not isinstance(body.get("model"), str) or not body["model"]:
        return _error("you must provide a model parameter", param="model")
    if path == "/v1/chat/completions":
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error("'messages' is a required property and must be a non-empty array",
                          param="messages")
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or not isinstance(message.get("role"), str):
                return _error(f"messages[{i}] must be an object with a 'role'",
                              param=f"messages[{i}]")
    else:
        inputs = body.get("input")
        ok = isinstance(inputs, str) or (isinstance(inputs, list) and inputs and all(
            isinstance(t, str) for t in inputs))
        if not ok:
            return _error("'input' must be a string or a non-empty array of strings",
                          param="input")
    return None


class _Handler(BaseHTTPRequestHandler):
    owner: LLMStub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, payload: object, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        head = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
                "Content-Type: application/json", f"Content-Length: {len(data)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        self.owner._record(self.owner.received, {"path": path, "headers": dict(self.headers),
                                                 "body": None})
        if path == "/v1/models":
            self._send(200, {"object": "list", "data": [
                {"id": self.owner.model, "object": "model", "created": 0, "owned_by": "stub"}]})
        else:
            self._send(404, _error(f"no route GET {path}", "not_found"))

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: object = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.owner._record(self.owner.received, {"path": path, "headers": dict(self.headers),
                                                 "body": body})
        if path not in ("/v1/chat/completions", "/v1/embeddings"):
            self._send(404, _error(f"no route POST {path}", "not_found"))
            return
        problem = _invalid(body, path)
        if problem is not None:
            self._send(400, problem)
            return
        if path == "/v1/embeddings":
            self._send(*self.owner._embeddings(body))
            return
        outcome = self.owner._chat(body)
        if isinstance(outcome, tuple):
            self._send(*outcome)
            return
        if outcome == HANG:
            self.owner._closing.wait(self.owner.hang_seconds)
        self.close_connection = True
        try:  # drop the line without an answer
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
