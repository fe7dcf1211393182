"""Who a session belongs to, remembered for a few seconds by one gateway replica.

Without it every page costs two round trips before its own read: the session from the NATS KV
bucket, then the users wing's check (user enabled, same session generation). A page's reads then
outnumber its REST call's, which checks a cached API key (security.py). So each replica keeps the
checked (session, user) for SECONDS, keyed by the session's KV key (a hash; never the cookie):

- sign-out ends the session here at once and announces it, so every other replica drops it;
- a password change or reset, a disable and a language change are announced by the invoices
  service after their commit (`broadcast.user.sessions_changed`), and the replica a person acts on
  drops them itself too, so their own next page never waits for the announcement;
- an announcement is core NATS (at most once): a replica that misses one, say while reconnecting,
  checks the session generation again within SECONDS, the same bound API key revocation has.

Only checked sessions are kept, so made-up cookies cannot push real ones out.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import msgspec

from billwire_gateway.bus import Bus
from billwire_gateway.web.sessions import Session
from billwire_shared import subjects
from billwire_shared.contracts.users import User

SECONDS = 5.0


@dataclass(frozen=True)
class Checked:
    expires: float
    session: Session
    user: User


class SessionCache:
    def __init__(self, bus: Bus, seconds: float = SECONDS, max_entries: int = 10_000) -> None:
        self.bus, self.seconds, self.max_entries = bus, seconds, max_entries
        self._entries: OrderedDict[str, Checked] = OrderedDict()

    async def start(self) -> None:
        assert self.bus.nc is not None
        await self.bus.nc.subscribe(self.bus.names.subject(subjects.USER_SESSIONS_CHANGED), cb=self._on_changed)

    async def _on_changed(self, msg) -> None:
        said = msgspec.json.decode(msg.data)
        if said.get("session"):
            self.forget_session(str(said["session"]))
        if said.get("user_id"):
            self.forget_user(str(said["user_id"]))

    def get(self, key: str) -> Checked | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= time.monotonic():
            self._entries.pop(key, None)
            return None
        return entry

    def put(self, key: str, session: Session, user: User) -> None:
        self._entries[key] = Checked(time.monotonic() + self.seconds, session, user)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget_session(self, key: str) -> None:
        self._entries.pop(key, None)

    def forget_user(self, user_id: str) -> None:
        for key, entry in list(self._entries.items()):
            if str(entry.user.id) == user_id:
                self._entries.pop(key, None)

    async def announce_end(self, key: str) -> None:
        """This session is over: dropped here, and every other replica is told."""
        self.forget_session(key)
        if self.bus.nc is not None:
            await self.bus.nc.publish(self.bus.names.subject(subjects.USER_SESSIONS_CHANGED), msgspec.json.encode({"session": key}))
