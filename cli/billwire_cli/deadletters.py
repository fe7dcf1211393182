"""`billwire deadletters list|show|replay|drop`: the messages durable consumers gave up on.

A consumer that exhausts its deliveries copies the message, unchanged, to the dead-letter
stream `DEADLETTER` (subject `deadletter.<consumer>`, headers Billwire-Consumer, -Error and
-Subject); so does its service when JetStream reports a message delivered as often as allowed
without an answer (a hung handler, a process that died on it); see billwire_shared.consumers. Uses NATS_URL and BILLWIRE_PREFIX.

Replaying republishes the original payload to its original subject on EVENTS, then removes
the dead letter. The replay gets a new `Nats-Msg-Id`, `<event id>.replay.<dead-letter seq>`:
- not the original id: the EVENTS stream drops a repeat of an id seen in the last two minutes,
  and a consumer with short delays gives up well inside that window, so a replay under the
  original id could be silently dropped;
- derived from the dead letter: running the same replay twice (say, after a crash between the
  publish and the removal) publishes it once.
The envelope inside is untouched (same event `id`), and every consumer of that subject sees
the event again, not only the one that failed: consumers are idempotent (they deduplicate or
act on state), and outside subscribers should skip an event `id` they have already handled.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from billwire_shared.subjects import Names

if TYPE_CHECKING:  # the parser is built for every `billwire` command: NATS is imported when used
    from nats.js import JetStreamContext
    from nats.js.api import RawStreamMsg

BILLWIRE_HEADERS = ("Billwire-Consumer", "Billwire-Error", "Billwire-Subject")


class Letter(msgspec.Struct, kw_only=True):
    seq: int
    time: datetime | None
    consumer: str
    subject: str
    error: str
    event_id: str | None
    event_type: str | None


def add_commands(sub) -> None:
    """The `deadletters` sub-commands, on the `billwire` parser's subparsers."""
    dead = sub.add_parser("deadletters", help="list and replay messages that consumers gave up on")
    actions = dead.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the dead letters, oldest first")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--consumer", help="only this consumer's (name as listed)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    show = actions.add_parser("show", help="one dead letter with its headers and payload")
    show.add_argument("seq", type=int)
    for name, text in (("replay", "republish to the original subject, then remove"), ("drop", "remove without replaying")):
        action = actions.add_parser(name, help=text)
        action.add_argument("seqs", type=int, nargs="*", metavar="SEQ")
        action.add_argument("--all", action="store_true", help="every dead letter (of --consumer, if given)")
        action.add_argument("--consumer")


def run(args, origins=None) -> int:
    return asyncio.run(_run(args, origins))


async def _run(args, origins=None) -> int:
    from billwire_cli.local_servers import Origins, connect_nats, unreachable
    from billwire_shared.settings import CommonSettings, load_settings

    settings = load_settings(CommonSettings)
    names = Names(settings.prefix)
    try:
        nc = await connect_nats(settings.nats_url)
    except Exception as exc:
        raise SystemExit(unreachable("NATS", exc, origins or Origins(None, frozenset()))) from exc
    try:
        js = nc.jetstream(timeout=10)
        if args.action == "list":
            return await list_letters(js, names, args.limit, args.consumer, args.json)
        if args.action == "show":
            return await show_letter(js, names, args.seq)
        if not args.seqs and not args.all:
            raise SystemExit(f"name the dead letters to {args.action} (SEQ ...) or pass --all")
        seqs = args.seqs or [letter.seq async for letter, _ in letters(js, names, args.consumer)]
        return await (replay if args.action == "replay" else drop)(js, names, seqs)
    finally:
        await nc.close()


def _stream(names: Names) -> str:
    from billwire_shared.consumers import DEAD_LETTER_STREAM

    return names.stream(DEAD_LETTER_STREAM)


def describe(msg: RawStreamMsg) -> Letter:
    headers = msg.headers or {}
    event_id = event_type = None
    try:
        body = msgspec.json.decode(msg.data or b"")
        if isinstance(body, dict):
            event_id, event_type = body.get("id"), body.get("type")
    except msgspec.DecodeError:
        pass
    return Letter(
        seq=msg.seq or 0, time=msg.time, consumer=headers.get("Billwire-Consumer", "?"),
        subject=headers.get("Billwire-Subject", "?"), error=headers.get("Billwire-Error", ""),
        event_id=str(event_id) if event_id else None, event_type=str(event_type) if event_type else None,
    )


async def letters(js: JetStreamContext, names: Names, consumer: str | None = None) -> AsyncIterator[tuple[Letter, RawStreamMsg]]:
    """Every dead letter in stream order (of one consumer, when given)."""
    from nats.js.errors import NotFoundError

    subject = names.subject(f"deadletter.{consumer}" if consumer else "deadletter.>")
    try:
        info = await js.stream_info(_stream(names))
    except NotFoundError:
        return
    seq, last = info.state.first_seq, info.state.last_seq
    while seq and seq <= last:
        try:
            msg = await js.get_msg(_stream(names), seq=seq, subject=subject, next=True)
        except NotFoundError:
            return
        yield describe(msg), msg
        seq = (msg.seq or seq) + 1


async def list_letters(js: JetStreamContext, names: Names, limit: int, consumer: str | None, as_json: bool) -> int:
    shown = more = 0
    async for letter, _ in letters(js, names, consumer):
        if shown >= limit:
            more += 1
            continue
        shown += 1
        if as_json:
            print(msgspec.json.encode(letter).decode())
        else:
            when = f"{letter.time:%Y-%m-%d %H:%M:%S}" if letter.time else "?"
            event = f"{letter.event_type or '?'} {letter.event_id or ''}".strip()
            print(f"{letter.seq:>8}  {when}  {letter.consumer}  {letter.subject}  [{event}]  {letter.error}")
    if not as_json:
        print(f"{shown} dead letter(s)" + (f", {more} more (use --limit)" if more else "") if shown or more else "no dead letters")
    return 0


async def _get(js: JetStreamContext, names: Names, seq: int) -> RawStreamMsg | None:
    from nats.js.errors import NotFoundError

    try:
        msg = await js.get_msg(_stream(names), seq=seq)
    except NotFoundError:
        return None
    return msg if (msg.subject or "").startswith(names.subject("deadletter.")) else None


async def show_letter(js: JetStreamContext, names: Names, seq: int) -> int:
    msg = await _get(js, names, seq)
    if msg is None:
        raise SystemExit(f"no dead letter {seq}")
    print(json.dumps({"seq": seq, "time": str(msg.time), "headers": msg.headers or {}}, indent=2))
    try:
        print(json.dumps(json.loads(msg.data or b""), indent=2))
    except ValueError:
        print(repr(msg.data))
    return 0


def replay_id(msg: RawStreamMsg, letter: Letter) -> str:
    origin = letter.event_id or hashlib.sha256(msg.data or b"").hexdigest()[:32]
    return f"{origin}.replay.{letter.seq}"


async def replay(js: JetStreamContext, names: Names, seqs: list[int]) -> int:
    failed = 0
    for seq in seqs:
        msg = await _get(js, names, seq)
        if msg is None:
            print(f"{seq}: no such dead letter")
            failed += 1
            continue
        letter = describe(msg)
        if not letter.subject.startswith(names.subject("events.")):
            print(f"{seq}: original subject {letter.subject!r} is not an event of this deployment; left in place")
            failed += 1
            continue
        headers = {k: v for k, v in (msg.headers or {}).items() if k not in BILLWIRE_HEADERS and k != "Nats-Msg-Id"}
        headers |= {"Nats-Msg-Id": replay_id(msg, letter), "Billwire-Replay-Of": str(seq)}
        ack = await js.publish(letter.subject, msg.data or b"", headers=headers, stream=names.events_stream)
        await js.delete_msg(_stream(names), seq)
        note = " (already replayed)" if ack.duplicate else ""
        print(f"{seq}: replayed to {letter.subject} as event stream seq {ack.seq}{note}")
    return 1 if failed else 0


async def drop(js: JetStreamContext, names: Names, seqs: list[int]) -> int:
    failed = 0
    for seq in seqs:
        if await _get(js, names, seq) is None:
            print(f"{seq}: no such dead letter")
            failed += 1
            continue
        await js.delete_msg(_stream(names), seq)
        print(f"{seq}: dropped")
    return 1 if failed else 0
