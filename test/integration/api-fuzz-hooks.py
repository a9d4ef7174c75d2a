"""schemathesis hooks for test/integration/api-fuzz.test.ts (issue 13): besides what schemathesis derives from the
OpenAPI document, some generated requests carry a NUL byte in a string (body fields, path parameters, query
parameters) or an oversized string field (a body over the API's 1 MiB limit).  Every such request must still get a
documented 4xx (400 naming the field or '(url)', 413), never a 5xx."""
from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

OVERSIZED = "x" * (1024 * 1024 + 16)


def _with_nul(value):
    if isinstance(value, dict):
        for key, v in value.items():
            if isinstance(v, str):
                return {**value, key: v[: len(v) // 2] + "\x00" + v[len(v) // 2:]}
    return value


def _oversized(value):
    if isinstance(value, dict):
        for key, v in value.items():
            if isinstance(v, str):
                return {**value, key: OVERSIZED}
    return value


@schemathesis.hook
def flatmap_body(context, body):
    return st.sampled_from([body, body, _with_nul(body), _oversized(body)])


@schemathesis.hook
def flatmap_query(context, query):
    return st.sampled_from([query, query, query, _with_nul(query)])


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    return st.sampled_from([path_parameters, path_parameters, _with_nul(path_parameters)])
