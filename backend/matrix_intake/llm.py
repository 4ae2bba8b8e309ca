"""The optional language model: the box's own OpenAI-compatible chat endpoint (`CRM_LLM_*`), asked
at temperature 0 for JSON only. Its answer is checked against the proposal schema; a bad answer
gets one retry with the problem named, and after that the caller falls back to the deterministic
parser. Notes go only to the configured endpoint, which the operator points at the box."""
from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from datetime import date

from . import proposal as proposals

log = logging.getLogger("matrix_intake.llm")


class Unavailable(RuntimeError):
    """No usable answer: the endpoint failed or answered twice with something that is not a proposal."""


READ_PROMPT = """You turn a venture fund partner's chat note about a limited partner (LP) into JSON.
Answer with one JSON object and nothing else, with exactly these keys:
{schema}
Rules: copy names and email addresses exactly as written; never invent an email, phone or name;
"investor" is the LP organisation (null if none is named); "funds" only from this list: {funds};
"status" only from this list and only when the note states it: {statuses}; "occurred_at" is the
date of the meeting or call (today is {today}, a {weekday}), null if the note gives none;
"kind" is meeting, call, email or note; "summary" is one line; "task" is a follow-up the note asks
for ("follow up in 3 days", "remind me to send the deck next week") as {{"title": what to do,
"due": YYYY-MM-DD on or after today}}, or null when it asks for none."""

REVISE_PROMPT = """You revise a proposed CRM change from a partner's instruction. The current proposal
is below as JSON; apply the instruction and answer with the whole revised proposal as one JSON
object with the same keys and nothing else. Keep everything the instruction does not change."""


class LLM:
    def __init__(self, base_url: str, model: str, api_key: str | None, timeout: float):
        self.url = base_url.rstrip("/") + "/v1/chat/completions"
        self.model, self.api_key, self.timeout = model, api_key, timeout

    def _complete(self, messages: list[dict]) -> str:
        body = json.dumps({"model": self.model, "temperature": 0, "messages": messages,
                           "response_format": {"type": "json_object"}}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read())
            return answer["choices"][0]["message"]["content"] or ""
        except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError, TypeError) as error:
            raise Unavailable(f"the language model did not answer: {error}") from None

    def _ask(self, messages: list[dict], heard: list[str], vocabulary: dict, today: date) -> dict:
        """A checked proposal; one retry that names what was wrong with the first answer."""
        problem = None
        for attempt in (1, 2):
            content = self._complete(messages)
            try:
                return proposals.from_model(_json_of(content), heard, vocabulary, today)
            except proposals.Invalid as error:
                problem = str(error)
                log.info("model answer %d refused: %s", attempt, problem)
                messages = messages + [{"role": "assistant", "content": content},
                                       {"role": "user", "content": f"That answer is not valid: {problem}. "
                                        "Answer again with only the JSON object."}]
        raise Unavailable(f"the language model's answer was not a valid proposal ({problem})")

    def _system(self, vocabulary: dict, today: date) -> str:
        return READ_PROMPT.format(schema=json.dumps(proposals.MODEL_SCHEMA["properties"]),
                                  funds=json.dumps(vocabulary.get("funds", [])),
                                  statuses=json.dumps(vocabulary.get("statuses", [])),
                                  today=today.isoformat(), weekday=today.strftime("%A"))

    def read(self, text: str, vocabulary: dict, today: date) -> dict:
        return self._ask([{"role": "system", "content": self._system(vocabulary, today)},
                          {"role": "user", "content": text}], [text], vocabulary, today)

    def revise(self, current: dict, instruction: str, heard: list[str], vocabulary: dict, today: date) -> dict:
        shown = {k: current.get(k) for k in (*proposals.MODEL_SCHEMA["required"], "task")}
        return self._ask([{"role": "system", "content": self._system(vocabulary, today) + "\n\n" + REVISE_PROMPT},
                          {"role": "user", "content": f"Current proposal:\n{json.dumps(shown)}\n\n"
                                                      f"Instruction: {instruction}"}],
                         heard, vocabulary, today)


def _json_of(content: str):
    """The JSON object in an answer; models sometimes wrap it in a ``` fence despite being told."""
    text = content.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.S)
    if fenced:
        text = fenced.group(1)
    try:
        return json.loads(text)
    except ValueError:
        raise proposals.Invalid("the answer is not JSON") from None
