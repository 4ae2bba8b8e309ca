"""The one client of the box's own language model (`CRM_LLM_*`, an OpenAI-compatible server):
chat completions (optionally JSON only) and embeddings, each bounded by CRM_LLM_TIMEOUT_SECONDS.

LP data may go only here: this endpoint is the local model the operator points at the box. A
remote model, where one is allowed at all, goes through the redaction boundary, never this client.
Every caller has a deterministic fallback and calls this only when `enabled`; any failure — no
answer, a timeout, an error status, a malformed body — is one `ModelUnavailable` naming why.
"""
from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.request

from .config import LLMSettings

MAX_PROMPT_CHARS = 60_000  # a busy day must not blow the model's context: callers bound their inputs to this


class ModelUnavailable(RuntimeError):
    """The model gave no usable answer; the message says why (for the log and the "fallback" note)."""


class LocalModel:
    def __init__(self, settings: LLMSettings):
        self.settings = settings

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def _post(self, path: str, body: dict, timeout: float | None) -> dict:
        if not self.enabled:
            raise ModelUnavailable("no language model is configured (CRM_LLM_BASE_URL)")
        headers = {"Content-Type": "application/json"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        request = urllib.request.Request(self.settings.base_url + path, data=json.dumps(body).encode(),
                                         headers=headers, method="POST")
        limit = timeout or self.settings.timeout_seconds
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=limit) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ModelUnavailable(f"the model answered {exc.code}") from None
        except (socket.timeout, TimeoutError):
            raise ModelUnavailable(f"the model did not answer within {limit:g} s") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            if time.monotonic() - started >= limit:
                raise ModelUnavailable(f"the model did not answer within {limit:g} s") from None
            raise ModelUnavailable(f"the model could not be reached: {exc}") from None

    def chat(self, messages: list[dict], json_only: bool = False, max_tokens: int | None = None,
             timeout: float | None = None) -> str:
        """The assistant's text for `messages`, at temperature 0 (the same input, the same answer)."""
        size = sum(len(str(m.get("content") or "")) for m in messages)
        if size > MAX_PROMPT_CHARS:
            raise ModelUnavailable(f"the prompt is {size:,} characters, over the {MAX_PROMPT_CHARS:,} bound")
        body: dict = {"model": self.settings.model, "temperature": 0, "messages": messages}
        if json_only:
            body["response_format"] = {"type": "json_object"}
        if max_tokens:
            body["max_tokens"] = max_tokens
        answer = self._post("/v1/chat/completions", body, timeout)
        try:
            content = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise ModelUnavailable("the model's answer has no message") from None
        if not isinstance(content, str) or not content.strip():
            raise ModelUnavailable("the model's answer is empty")
        return content

    def chat_json(self, messages: list[dict], **kw) -> dict:
        """`chat` asked for JSON only, parsed (a ``` fence some models add anyway is allowed)."""
        text = self.chat(messages, json_only=True, **kw).strip()
        fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.S)
        try:
            value = json.loads(fenced.group(1) if fenced else text)
        except ValueError:
            raise ModelUnavailable("the model's answer is not JSON") from None
        if not isinstance(value, dict):
            raise ModelUnavailable("the model's answer is not a JSON object")
        return value

    def embed(self, texts: list[str], timeout: float | None = None) -> list[list[float]]:
        answer = self._post("/v1/embeddings", {"model": self.settings.embedding_model, "input": texts}, timeout)
        try:
            vectors = [item["embedding"] for item in sorted(answer["data"], key=lambda d: d.get("index", 0))]
        except (KeyError, TypeError):
            raise ModelUnavailable("the model's embeddings answer is malformed") from None
        if len(vectors) != len(texts):
            raise ModelUnavailable(f"asked for {len(texts)} embeddings, got {len(vectors)}")
        return vectors


class RemoteModel(LocalModel):
    """A remote OpenAI-compatible model (`CRM_REMOTE_LLM_*`): the same client, a distinct type so
    that where one is made can be checked. It may be constructed ONLY by `backend/search/redaction.py`
    (the redaction boundary; `tests/test_layout.py` checks): nothing identifying an LP (investor or
    person names, email addresses, amounts) may reach it, so every message goes out redacted and
    every answer comes back through the boundary's restore."""
