"""The Matrix side: log in, join the configured room, and listen. Each message in the room goes to
the conversation, and what it answers is posted as a threaded `m.notice` (with the reply fallback
for clients without threads). The sync position is saved after the events before it were handled,
so a restart picks up exactly where the bot stopped; on its very first start the bot skips the
room's history. When the homeserver or the CRM goes away it retries with backoff, forever."""
from __future__ import annotations

import asyncio
import logging
import os
import time

from nio import AsyncClient, AsyncClientConfig, JoinError, RoomSendError, SyncError, WhoamiError

from .config import Settings
from .conversation import Conversation, Message, Outgoing
from .crm import CRM, Unreachable
from .llm import LLM
from .state import State

log = logging.getLogger("matrix_intake")

SYNC_TIMEOUT_MS = 30_000


class Lost(RuntimeError):
    """The homeserver refused or could not be reached: reconnect after a pause."""


class Backoff:
    def __init__(self, first: float = 0.5, most: float = 30.0):
        self.first, self.most, self.wait = first, most, first

    def next(self) -> float:
        wait, self.wait = self.wait, min(self.most, self.wait * 2)
        return wait

    def reset(self) -> None:
        self.wait = self.first


class Bot:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.state = State(settings.state_file)
        os.chmod(settings.state_file, 0o600)  # it may hold the bot's access token
        self.crm = CRM(settings.crm_url, settings.crm_token)
        llm = (LLM(settings.llm_base_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout_seconds)
               if settings.llm_base_url else None)
        ttl = settings.proposal_ttl_hours * 3600
        self.conversation = Conversation(self.state, self.crm, llm, settings.crm_url, ttl, settings.allowed_senders)
        self.tick = max(0.5, min(SYNC_TIMEOUT_MS / 1000, ttl / 4))  # how often expiry is looked at
        self.client: AsyncClient | None = None
        self.room_id: str | None = None
        self._next_expiry = 0.0

    async def run(self) -> None:
        backoff = Backoff()
        while True:
            try:
                await self._connect()
                backoff.reset()
                await self._listen(backoff)
            except (Lost, OSError, asyncio.TimeoutError) as error:
                wait = backoff.next()
                log.warning("homeserver unavailable (%s); retrying in %.1f s", error, wait)
                await self._close()
                await asyncio.sleep(wait)

    async def _close(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None

    async def _connect(self) -> None:
        s = self.settings
        config = AsyncClientConfig(max_timeouts=1, request_timeout=SYNC_TIMEOUT_MS / 1000 + 15,
                                   store_sync_tokens=False, encryption_enabled=False)
        client = AsyncClient(s.homeserver_url, s.user_id, device_id=self.state.get("device_id"), config=config)
        self.client = client
        token = s.access_token or self.state.get("access_token")
        if token:
            client.access_token, client.user_id = token, s.user_id
            who = await client.whoami()
            if isinstance(who, WhoamiError):
                if who.status_code != "M_UNKNOWN_TOKEN" or not s.password:
                    raise Lost(f"the access token was refused: {who.message}")
                token = None
        if not token:
            login = await client.login(s.password, device_name="Venture CRM intake bot")
            if not getattr(login, "access_token", None):
                raise Lost(f"login failed: {getattr(login, 'message', login)}")
            self.state.put("device_id", login.device_id)
            self.state.put("access_token", login.access_token)
        joined = await client.join(s.room_id)
        if isinstance(joined, JoinError):
            raise Lost(f"could not join {s.room_id}: {joined.message} (invite the bot to the room first)")
        self.room_id = joined.room_id

    def _filter(self, limit: int) -> dict:
        return {"presence": {"types": []}, "account_data": {"types": []},
                "room": {"rooms": [self.room_id], "timeline": {"limit": limit},
                         "state": {"lazy_load_members": True}, "ephemeral": {"types": []},
                         "account_data": {"types": []}}}

    async def _sync(self, since: str | None, timeout_ms: int, limit: int):
        resp = await self.client.sync(timeout=timeout_ms, since=since, sync_filter=self._filter(limit))
        if isinstance(resp, SyncError):
            raise Lost(f"sync failed: {resp.message}")
        return resp

    async def _listen(self, backoff: Backoff) -> None:
        since = self.state.get("since")
        if since is None:  # first start: what was said before the bot existed is not for it
            since = (await self._sync(None, 0, 1)).next_batch
            self.state.put("since", since)
            log.info("first start: skipped the room's history")
        log.info("listening in %s as %s", self.room_id, self.settings.user_id)
        while True:
            resp = await self._sync(since, int(self.tick * 1000), 100)
            room = resp.rooms.join.get(self.room_id)
            if room is not None:
                for event in room.timeline.events:
                    await self._on_event(event.source)
            since = resp.next_batch
            self.state.put("since", since)
            backoff.reset()
            if time.monotonic() >= self._next_expiry:
                self._next_expiry = time.monotonic() + self.tick
                for out in self.conversation.expire_due():
                    await self._send(out, None)

    def _message(self, source: dict) -> Message | None:
        content = source.get("content") or {}
        if (source.get("type") != "m.room.message" or source.get("sender") == self.settings.user_id
                or content.get("msgtype") not in ("m.text", "m.emote") or not isinstance(content.get("body"), str)):
            return None  # notices are bots talking (this one included); edits and media are not notes
        relation = content.get("m.relates_to") or {}
        if relation.get("rel_type") == "m.replace":
            return None
        root = relation.get("event_id") if relation.get("rel_type") == "m.thread" else None
        if root is None:  # a plain reply to a card, from a client without threads
            replied = (relation.get("m.in_reply_to") or {}).get("event_id")
            root = self.state.root_of(replied) if replied else None
        return Message(source["event_id"], self.room_id, source["sender"], content["body"], root)

    async def _on_event(self, source: dict) -> None:
        msg = self._message(source)
        if msg is None or self.state.handled(msg.event_id):
            return
        started, backoff = time.monotonic(), Backoff()
        while True:
            try:
                outgoing = await asyncio.to_thread(self.conversation.handle, msg)
                break
            except Unreachable as error:  # keep the event: it is handled once the CRM is back
                wait = backoff.next()
                log.warning("%s; retrying %s in %.1f s", error, msg.event_id, wait)
                await asyncio.sleep(wait)
        for out in outgoing:
            await self._send(out, msg.event_id)
        self.state.mark_handled(msg.event_id)
        if outgoing:
            log.info("answered %s in %.0f ms", msg.event_id, (time.monotonic() - started) * 1000)

    async def _send(self, out: Outgoing, reply_to: str | None) -> None:
        stored = self.state.find(out.root)
        reply_to = reply_to or (stored.last_event_id if stored else None) or out.root
        content = {"msgtype": "m.notice", "body": out.text,
                   "m.relates_to": {"rel_type": "m.thread", "event_id": out.root, "is_falling_back": True,
                                    "m.in_reply_to": {"event_id": reply_to}}}
        if out.html:
            content.update(format="org.matrix.custom.html", formatted_body=out.html)
        resp = await self.client.room_send(self.room_id, "m.room.message", content, ignore_unverified_devices=True)
        if isinstance(resp, RoomSendError):
            raise Lost(f"could not post in {self.room_id}: {resp.message}")
        if stored:
            self.state.update(out.root, last_event_id=resp.event_id, card_event_id=resp.event_id if out.card else None)
