"""schemathesis against /api/v1/openapi.json, as a coordinator and as a partner, a bounded
number of examples per operation: no 5xx, and every answer conforms to the document (status
codes, content types, bodies). The document is fixed where it is wrong, never the check loosened.

The operations are driven here with Hypothesis directly (schemathesis' pytest plugin does not
run under this pytest), one failure report naming every operation that failed."""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from flask import g
from hypothesis import HealthCheck, given, settings

from hub.api_docs import openapi_document

#: Examples per operation and persona: the whole run stays within a few minutes.
MAX_EXAMPLES = 50


def _fuzz(app, headers: dict[str, str]) -> list[str]:
    def fresh_request(environ, start_response):  # noqa: ANN001, ANN202  (a WSGI callable)
        # The test's app context is shared by every request: forget the previous caller, as a
        # real server's fresh context would (see HubTestClient).
        for name in ("_login_user", "api_token", "csrf_token"):
            g.pop(name, None)
        return app.wsgi_app(environ, start_response)

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fresh_request)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = sum(1 for item in openapi_document()["paths"].values()
                     for method in item if method in ("get", "put", "post", "patch", "delete"))
    # Every documented operation is driven (schemathesis leaves out the document's own route).
    assert len(operations) == documented - 1
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:
            # On the case itself, so the missing-credentials check knows what to leave out.
            case.headers = {**(case.headers or {}), **headers}
            case.call_and_validate()

        try:
            run()
        except BaseException as exc:  # noqa: BLE001  (an exception group; one report for every operation)
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.method.upper()} {operation.path}: {_describe(exc)}")
    return failures


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize("persona", ["staff", "agent"])
def test_the_api_conforms_to_its_document(app, world, persona):
    # Objects with small ids, which the generated paths hit often: a document and messages.
    from hub.shipment_tx import shipment_transaction
    from hub.threads.services import add_message
    from tests.documents.factories import document

    document(world)
    with shipment_transaction(world.shipment.id) as shipment:
        add_message(shipment, world.staff, "Hello @li.wei", client_id=str(uuid.uuid4()))
    failures = _fuzz(app, world.headers(persona))
    assert not failures, f"{len(failures)} operations fail:\n\n" + "\n\n".join(failures)


def _describe(exc: BaseException) -> str:
    """The failures schemathesis found (an exception group), one line each."""
    return str(exc)[:2500]
