"""The clinical core's tests: pure Python, no database and no Django settings.

``tests/conftest.py`` holds the web layer's fixtures; its one autouse fixture needs Django's
``settings``. It is stood in for here, so these tests also run with ``-p no:django``
(``pytest tests/clinical -p no:django``), and none of them can reach a database: pytest-django,
when it is loaded, refuses database access to tests that do not ask for it.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_and_quiet() -> None:
    """Nothing to silence: the clinical core sends no mail and serves no static files."""
