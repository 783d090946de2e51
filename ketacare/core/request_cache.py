"""Reads worth doing once per request: a clinic's protocol settings are read by the page, each of
its panels and each service they call. ``RequestCacheMiddleware`` opens a fresh cache for every
request; outside a request (commands, jobs, tests calling services) nothing is cached. A write
forgets what it changed (``forget``), so a read after it in the same request sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_cache: ContextVar[dict[Hashable, object] | None] = ContextVar("request_cache", default=None)


def cached(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per request for ``key``; every time outside a request."""
    cache = _cache.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]  # type: ignore[return-value]


def forget(key: Hashable) -> None:
    cache = _cache.get()
    if cache is not None:
        cache.pop(key, None)


class RequestCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _cache.set({})
        try:
            return self.get_response(request)
        finally:
            _cache.reset(token)
