"""Schemathesis hooks for the fuzz test (loaded by the `st` process through SCHEMATHESIS_HOOKS):
every case goes out with the next of several API keys of the fuzz account, so the per-key rate
limit (100 a minute) never answers in the fuzzer's place, and none of those keys is revoked by
the fuzzer; the coverage phase sends its request-shape probes only; and Python parses source
into syntax trees one thread at a time."""

from __future__ import annotations

import ast
import itertools
import os
import threading
from typing import Any

import schemathesis
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario

_keys = itertools.cycle(os.environ["BILLWIRE_FUZZ_KEYS"].split(","))
_key_ids = frozenset(os.environ["BILLWIRE_FUZZ_KEY_IDS"].split(","))
REVOKE = ("DELETE", "/api/v1/settings/api-keys/{key_id}")
NO_SUCH_KEY = "00000000-0000-4000-8000-000000000000"

# The coverage phase's cases that only it makes and only its checks judge: a method the path does
# not document (unsupported_method: a 405 with an Allow header; allow_header_conformance: OPTIONS
# lists exactly the documented methods), a required parameter left out (the key among them:
# missing_required_header wants a 401), a parameter given twice, and a body under a malformed or
# undocumented media type. Its other ~2,000 cases (boundary values, wrong types, patterns, extra
# properties) are the kind the fuzzing phase draws at random, which the same checks judge there;
# sending them all takes the run to ~11 minutes.
COVERAGE_SCENARIOS = frozenset({
    CoverageScenario.UNSPECIFIED_HTTP_METHOD, CoverageScenario.MISSING_PARAMETER, CoverageScenario.DUPLICATE_PARAMETER,
    CoverageScenario.MALFORMED_CONTENT_TYPE, CoverageScenario.UNSUPPORTED_CONTENT_TYPE,
})


@schemathesis.auth(refresh_interval=None)
class RotatingKeys:
    """A fresh key for every case (no caching: `refresh_interval=None`)."""

    def get(self, case: Any, context: Any) -> str:
        return next(_keys)

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """A revocation of one of the fuzz keys (their ids are in listings the fuzzer reads and links
    it follows) goes to a key that does not exist instead: every later case sent with the revoked
    key would be a 401, judged by no check but the key's."""
    if (case.method.upper(), case.operation.path) == REVOKE and str(case.path_parameters.get("key_id")) in _key_ids:
        case.path_parameters = {**case.path_parameters, "key_id": NO_SUCH_KEY}


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """Of the coverage phase, the scenarios of COVERAGE_SCENARIOS; every case of the other phases."""
    data = case.meta.phase.data if case.meta is not None else None
    return not isinstance(data, CoveragePhaseData) or data.scenario in COVERAGE_SCENARIOS


# CPython 3.11 builds syntax trees with a recursion counter shared by all threads: two threads in
# ast.parse at once (Hypothesis parses a module to describe a filter's lambda, and the coverage
# phase builds filters in all its workers) fail with "SystemError: AST constructor recursion depth
# mismatch", an error of the fuzzer, not of the API (python/cpython#106905, fixed in newer releases).
_parse = ast.parse
_parsing = threading.Lock()


def _parse_one_at_a_time(*args: Any, **kwargs: Any) -> ast.AST:
    with _parsing:
        return _parse(*args, **kwargs)


ast.parse = _parse_one_at_a_time
