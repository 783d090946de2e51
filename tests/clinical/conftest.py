"""The clinical core's tests: pure Python, no database and no Django settings.

``tests/conftest.py`` holds the web layer's fixtures; its autouse fixtures change Django settings
through pytest-django's ``settings``. Here ``settings`` is a stand-in that takes whatever they set
and passes it nowhere, so these tests also run without Django (``pytest tests/clinical -p
no:django``) and cannot come to depend on a setting. None of them can reach a database either:
pytest-django, when it is loaded, refuses database access to a test that does not ask for it.
"""

from __future__ import annotations

from typing import Any

import pytest


class _NoDjangoSettings:
    """Accepts any setting and reads every unset one as empty: the clinical core has none."""

    def __getattr__(self, name: str) -> Any:
        return {}


@pytest.fixture
def settings() -> _NoDjangoSettings:
    return _NoDjangoSettings()
