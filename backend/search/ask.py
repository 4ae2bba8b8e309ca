"""Questions in plain words (`app.questions`): `POST /api/ask`, `POST /api/query`, `GET /api/query/schema`.

A question becomes a query plan (`plans.py` validates, runs and describes it) by, in order:
1. a built-in template that reads it confidently (`templates.py`: fast, deterministic, no model);
2. the box's own model (`app.llm`, when configured): the plan schema and the grid's live
   vocabulary (column, fund, status and list names) as context, JSON at temperature 0, the plan
   validated, and one retry telling the model what was wrong;
3. a remote model (`CRM_REMOTE_LLM_*`), only through `redaction.py`: no LP name, address or amount
   leaves the box, and the plan comes back with the real values restored;
4. a template that read only part of the question (the answer says what it ignored);
otherwise 422 with example questions. Every answer carries the plan, its description and, when
the plan is a plain filter of the grid, a saved-view spec ("Save as view").
"""
from __future__ import annotations

import json
import logging
import time

from ..errors import Unprocessable
from ..llm import ModelUnavailable
from . import plans, redaction, templates

log = logging.getLogger(__name__)
MAX_QUESTION = 1000
QUERY_TIMEOUT_SECONDS = 5.0
ROW_CAP = 1000

SYSTEM = """You turn a fundraising team's question about their CRM into one JSON query plan.
Answer with the plan only: a JSON object with keys entity, fields, and optionally computed,
filters, group_by, aggregates, sort, limit. Plans only read; there is no way to change data.
Use only the entities, fields, ops and fns in the schema below; grid columns are named
"column:<Name>". Per-investor values over related rows go in "computed" ({"as","fn","of","where"});
filters are ANDed and may name a computed "as". Values must be real values from the vocabulary
(exact fund names, status choices, list values) or from the question. Dates are YYYY-MM-DD.
Today is {today}."""


class Questions:
    def __init__(self, db, settings, llm):
        self.db = db
        self.settings = settings
        self.llm = llm
        self.remote = redaction.Boundary(settings.remote_llm)

    # -- the routes ---------------------------------------------------------------------------

    def schema(self) -> dict:
        vocab = templates.vocabulary(self.db)
        return {**plans.schema(self.db), "vocabulary": self._vocabulary(vocab),
                "example_questions": list(templates.EXAMPLES)}

    def query(self, plan) -> dict:
        """Run a plan as given (a 422 naming the problem, with its path as the field)."""
        clean = self._validate(plan)
        return self._answer(clean, "query", None)

    def ask(self, actor, question) -> dict:
        if not isinstance(question, str) or not question.strip():
            raise Unprocessable("ask a question in words", field="question", examples=list(templates.EXAMPLES))
        question = question.strip()[:MAX_QUESTION]
        started = time.monotonic()
        vocab = templates.vocabulary(self.db)
        reading = templates.match(question, vocab)
        if reading is not None and reading.confident:
            clean = self._try(reading.plan)
            if clean is not None:
                return self._answer(clean, "template", started, template=reading.template)
        notes: list[str] = []
        for name, channel in self._models(vocab):
            try:
                clean = self._from_model(channel, question, vocab)
            except ModelUnavailable as exc:
                notes.append(f"{name}: {exc}")
                log.info("question fell back from the %s model: %s", name, exc)
                continue
            return self._answer(clean, "llm", started)
        if reading is not None:
            clean = self._try(reading.plan)
            if clean is not None:
                return self._answer(clean, "template", started, template=reading.template,
                                    ignored=reading.ignored)
        raise Unprocessable("this question could not be read as a query; try one of the examples, or ask it "
                            "with a fund, status, list or time span", field="question",
                            examples=list(templates.EXAMPLES), **({"model_notes": notes} if notes else {}))

    # -- the pieces ---------------------------------------------------------------------------

    def _models(self, vocab):
        """(name, channel with chat_json) in order: the local model, then the redacted remote one."""
        if self.llm.enabled:
            yield "local", self.llm
        if self.remote.enabled:
            yield "remote", self.remote.session(self.db, allow=self._allowlist(vocab))

    @staticmethod
    def _vocabulary(vocab: templates.Vocabulary) -> dict:
        return {"columns": list(vocab.columns), "funds": list(vocab.funds), "statuses": list(vocab.statuses),
                "lists": dict(vocab.lists)}

    def _allowlist(self, vocab: templates.Vocabulary) -> list[str]:
        """Words that describe the grid, not an LP: they may reach a remote model as they are."""
        words = [*vocab.columns, *vocab.funds, *vocab.statuses, *vocab.lists, *vocab.lists.values(),
                 *plans.ENTITIES, *(f.name for e in plans.ENTITIES.values() for f in e.fields)]
        return words

    def _messages(self, question: str, vocab: templates.Vocabulary) -> list[dict]:
        schema = plans.schema(self.db)
        schema.pop("examples", None)
        examples = [{"question": e["question"], "plan": e["plan"]} for e in plans.EXAMPLES]
        today = time.strftime("%Y-%m-%d", time.gmtime())
        system = (SYSTEM.replace("{today}", today) + "\n\nSchema:\n" + json.dumps(schema, separators=(",", ":"))
                  + "\n\nVocabulary of this grid:\n" + json.dumps(self._vocabulary(vocab), separators=(",", ":"))
                  + "\n\nExamples:\n" + json.dumps(examples, separators=(",", ":")))
        return [{"role": "system", "content": system}, {"role": "user", "content": question}]

    def _from_model(self, channel, question: str, vocab: templates.Vocabulary) -> dict:
        """A validated plan from `channel`, with one retry naming the problem; ModelUnavailable if none."""
        messages = self._messages(question, vocab)
        problem = None
        for attempt in (1, 2):
            plan = channel.chat_json(messages, max_tokens=1500)
            if isinstance(plan.get("plan"), dict) and "entity" not in plan:
                plan = plan["plan"]  # some models wrap it
            try:
                clean = plans.validate(plan, self.db)
                return clean
            except plans.PlanError as exc:
                problem = str(exc)
                messages = messages + [
                    {"role": "assistant", "content": json.dumps(plan)[:4000]},
                    {"role": "user", "content": f"That plan is not valid: {problem}. Answer with a corrected plan "
                                                "(JSON only) for the same question."}]
        raise ModelUnavailable(f"the model's plan was not valid twice ({problem})")

    def _try(self, plan: dict) -> dict | None:
        try:
            return plans.validate(plan, self.db)
        except plans.PlanError as exc:  # a template that no longer fits the grid: not the user's fault
            log.warning("a question template built an invalid plan: %s", exc)
            return None

    def _validate(self, plan) -> dict:
        try:
            return plans.validate(plan, self.db)
        except plans.PlanError as exc:
            raise Unprocessable(f"the plan is not valid: {exc}", field=exc.path or "plan") from None

    def _grid_columns(self) -> list[dict]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT id, name, type, field FROM grid_columns WHERE archived_at IS NULL"
                                " ORDER BY position").fetchall()
        return [{"id": i, "name": n, "type": t, "field": f, "primary": f == "name"} for i, n, t, f in rows]

    def _answer(self, clean: dict, model: str, started: float | None, template: str | None = None,
                ignored: list | None = None) -> dict:
        try:
            result = plans.run(self.db, clean, timeout_seconds=QUERY_TIMEOUT_SECONDS, row_cap=ROW_CAP)
        except plans.PlanError as exc:
            raise Unprocessable(str(exc), field=exc.path or "plan") from None
        out = {"answer": {"columns": result["columns"], "rows": result["rows"], "truncated": result["truncated"]},
               "plan": clean, "explanation": plans.describe(clean),
               "view": plans.as_view(clean, self._grid_columns())}
        if model != "query":
            out["model"] = model
        if template:
            out["template"] = template
        if ignored:
            out["ignored"] = ignored
            out["explanation"] += f" (not understood, so not applied: {', '.join(ignored)})"
        out["elapsed_ms"] = int((time.monotonic() - (started or 0)) * 1000) if started else result["elapsed_ms"]
        return out
