"""Domain events: a service says what happened; apps that react subscribe, nobody is called
from inside another app's service.

A service emits after its write, inside its transaction::

    emit(SESSION_SIGNED, session=session, actor=actor, at=at)

and an app that reacts (billing to a signed session, the ledger to an administration) registers
a handler in its ``AppConfig.ready``::

    subscribe(SESSION_SIGNED, charges_from_signed_session)

Handlers run synchronously, in registration order, in the emitter's transaction: a handler that
raises rolls the whole action back, so a write and its consequences land together or not at all.
Event names are constants in the emitting app (``ketacare.sessions.events``), documented with
the keyword arguments they carry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Handler = Callable[..., Any]

_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler) -> Handler:
    """Register ``handler`` for ``event`` (idempotent: the same handler is registered once)."""
    if handler not in _handlers[event]:
        _handlers[event].append(handler)
    return handler


def unsubscribe(event: str, handler: Handler) -> None:
    if handler in _handlers.get(event, []):
        _handlers[event].remove(handler)


def emit(event: str, **payload: Any) -> list[Any]:
    """Call every handler of ``event`` with ``payload``; returns their results in order."""
    return [handler(**payload) for handler in list(_handlers.get(event, ()))]


def handlers_of(event: str) -> tuple[Handler, ...]:
    return tuple(_handlers.get(event, ()))
