"""Schemathesis hooks for the fuzz test (loaded by the `st` process through SCHEMATHESIS_HOOKS):
every case goes out with the next of several API keys of the fuzz account, so the per-key rate
limit (100 a minute) never answers in the fuzzer's place."""

from __future__ import annotations

import itertools
import os
from typing import Any

import schemathesis

_keys = itertools.cycle(os.environ["BILLWIRE_FUZZ_KEYS"].split(","))


@schemathesis.auth(refresh_interval=None)
class RotatingKeys:
    """A fresh key for every case (no caching: `refresh_interval=None`)."""

    def get(self, case: Any, context: Any) -> str:
        return next(_keys)

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
