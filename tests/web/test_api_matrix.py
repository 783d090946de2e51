"""The role × API operation matrix, generated from the API itself.

Every operation under /api/v1 names the capability it needs where it starts
(``action(request, Capability.X)``, directly or in the module's own helper it calls first), or
is listed below with the reason it is open or checks its callers another way: a new operation
cannot forget its permission. Then every operation that takes no body and no required query
parameter is called by every role, and must answer exactly: 403 for a role without the
capability (ketacare.core.roles.MATRIX decides), and for a role with it the success its OpenAPI
document declares when it takes no path parameter, 404 when its path names a record that does
not exist.
"""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import pytest
from django.urls import get_resolver

from ketacare.config.api import api
from ketacare.core.roles import MATRIX, Capability
from tests.conftest import ROLES, base_world, from_module_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def module_world(module_data):
    """One clinic and its staff, made once for the module."""
    with module_data.building():
        return base_world(patient=False)


organisation, clinic, staff = from_module_world("organisation", "clinic", "staff")

# "METHOD /path" -> why it carries no capability of its own
OPEN_OR_SELF_CHECKED = {
    "GET /me": "the signed-in person's own roles and clinics",
    "GET /directory/clinics": "the public directory",
    "GET /directory/clinics/{slug}": "a clinic's public directory profile",
    "POST /billing/webhooks/stripe": "Stripe's notice, checked by its signature",
}
MISSING_ID = 987654  # no record has it
# Operations whose answer to a role that may call them is not the generic one, and why.
ALLOWED_STATUS: dict[str, int] = {}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as mounted under /api/v1, with {name} placeholders
    view: Callable
    capability: Capability | None

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _first_capability(function: Callable, depth: int = 0) -> Capability | None:
    """The capability the function checks first, in the order Python evaluates it: a
    ``Capability.X`` it names, or the one a call passes on, or the one the module's own helper
    it calls (``_documenting``, ``_step``...) checks, down to two levels; a helper's default
    ``capability=`` counts only when the caller passes none."""
    namespace = function.__globals__
    definition = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]

    def named(node: ast.AST) -> Capability | None:
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and namespace.get(node.value.id) is Capability
        ):
            return Capability[node.attr]
        if isinstance(node, ast.Call):
            for argument in [*node.args, *(k.value for k in node.keywords)]:
                if (found := named(argument)) is not None:
                    return found
            helper = namespace.get(node.func.id) if isinstance(node.func, ast.Name) else None
            if (
                depth < 2
                and inspect.isfunction(helper)
                and helper.__module__ == function.__module__
                and helper is not function
                and (found := _first_capability(helper, depth + 1)) is not None
            ):
                return found
        for child in ast.iter_child_nodes(node):
            if (found := named(child)) is not None:
                return found
        return None

    for statement in definition.body:
        if (found := named(statement)) is not None:
            return found
    for default in [*definition.args.defaults, *definition.args.kw_defaults]:
        if default is not None and (found := named(default)) is not None:
            return found
    return None


@cache
def _operations() -> tuple[Operation, ...]:
    # Loading the URLs binds every router, the sub-routers an app mounts on its own router
    # included: before that, the API lists only the top-level routers.
    assert get_resolver().url_patterns
    operations = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                view = operation.view_func
                capability = _first_capability(view)
                for method in operation.methods:
                    path_in_api = "/" + "/".join(p for p in f"{prefix}/{path}".split("/") if p)
                    operations.append(Operation(method, path_in_api, view, capability))
    return tuple(sorted(operations, key=lambda o: o.key))


def test_every_operation_declares_who_may_call_it():
    undeclared = {
        o.key: o.view.__qualname__
        for o in _operations()
        if o.capability is None and o.key not in OPEN_OR_SELF_CHECKED
    }
    assert not undeclared, (
        "API operations naming no capability (declare it with action(request, "
        f"Capability.X) or list the operation with its reason): {undeclared}"
    )
    stale = set(OPEN_OR_SELF_CHECKED) - {o.key for o in _operations()}
    assert not stale, f"listed as open but no longer an operation: {sorted(stale)}"


@cache
def _document() -> dict:
    return api.get_openapi_schema()


def _callable_without_input(operation: Operation) -> bool:
    spec = _document()["paths"]["/api/v1" + operation.path][operation.method.lower()]
    required_query = [
        p for p in spec.get("parameters", []) if p["in"] == "query" and p.get("required")
    ]
    return "requestBody" not in spec and not required_query


def _path_params(operation: Operation) -> Iterator[str]:
    spec = _document()["paths"]["/api/v1" + operation.path][operation.method.lower()]
    for parameter in spec.get("parameters", []):
        if parameter["in"] == "path":
            yield parameter["name"]


def _success(operation: Operation) -> int:
    """The success the OpenAPI document declares (200, or 201 for an operation that creates)."""
    spec = _document()["paths"]["/api/v1" + operation.path][operation.method.lower()]
    return min(int(code) for code in spec["responses"] if str(code).startswith("2"))


def _url(operation: Operation) -> str:
    url = "/api/v1" + operation.path
    for name in _path_params(operation):
        url = url.replace("{" + name + "}", str(MISSING_ID))
    return url


def _checked() -> list[Operation]:
    return [o for o in _operations() if o.capability is not None and _callable_without_input(o)]


def test_the_generated_matrix_covers_the_api():
    assert len(_operations()) >= 170  # sub-routers (billing setup, scheduling's) included
    assert len(_checked()) >= 75
    assert "POST /billing/webhooks/stripe" in {o.key for o in _operations()}


@pytest.mark.parametrize("operation", _checked(), ids=lambda o: o.key)
def test_each_role_gets_exactly_the_matrix_answer(client_for, operation):
    url = _url(operation)
    for role in ROLES:
        response = client_for(role).generic(
            operation.method, url, data=json.dumps({}) if operation.method != "GET" else "",
            content_type="application/json",
        )  # fmt: skip
        if role not in MATRIX[operation.capability]:
            expected = 403
        else:
            generic = 404 if any(True for _ in _path_params(operation)) else _success(operation)
            expected = ALLOWED_STATUS.get(operation.key, generic)
        assert response.status_code == expected, (
            operation.key, role, response.status_code, response.content[:200],
        )  # fmt: skip
