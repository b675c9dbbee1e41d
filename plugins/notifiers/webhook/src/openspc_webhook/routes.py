"""``/api/v1/webhooks``: configured webhooks and their delivery log (admins only).

The signing secret is write-only: it is returned once, when the server generated it, and
afterwards only masked (``secret_hint``); the audit log records that it changed, never its
value. Every change reloads the notifier's cached filters before the response is sent.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from openspc.api.deps import AdminUser, KernelDep
from openspc.api.errors import AUTH_ERRORS, ResponseDocs, conflict, invalid, not_found
from openspc.api.schemas import MAX_ID, Id
from openspc.db.repo import audit
from openspc.kernel import Kernel
from openspc_webhook import repo
from openspc_webhook.filters import WebhookFilters
from openspc_webhook.notifier import WebhookNotifier
from openspc_webhook.schemas import (
    Delivery,
    DeliveryPage,
    NewWebhook,
    Status,
    Webhook,
    WebhookCreate,
    WebhookUpdate,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=AUTH_ERRORS)

NOT_FOUND: ResponseDocs = {404: {"description": "No such webhook"}}
INVALID: ResponseDocs = {
    422: {"description": "Invalid input, an unknown hierarchy node or rule key"}
}
NAME_TAKEN: ResponseDocs = {409: {"description": "Another webhook has this name"}}


def get_notifier(request: Request) -> WebhookNotifier:
    notifier: WebhookNotifier = request.app.state.webhook_notifier
    return notifier


NotifierDep = Annotated[WebhookNotifier, Depends(get_notifier)]


def _webhook(row: Any) -> Webhook:
    return Webhook(
        id=row.id,
        name=row.name,
        url=row.url,
        secret_hint=f"****{row.secret[-4:]}",
        enabled=row.enabled,
        filters=WebhookFilters.model_validate(row.filters),
        timeout_seconds=row.timeout_seconds,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _audited(webhook: Webhook) -> dict[str, Any]:
    return webhook.model_dump(
        mode="json", include={"name", "url", "enabled", "filters", "timeout_seconds"}
    )


def _check_filters(conn: Connection, kernel: Kernel, filters: WebhookFilters) -> None:
    if filters.hierarchy_id is not None and not repo.node_exists(conn, filters.hierarchy_id):
        raise invalid(
            ("body", "filters", "hierarchy_id"), "no such hierarchy node", filters.hierarchy_id
        )
    unknown = [key for key in filters.rule_keys if key not in kernel.registry.rules]
    if unknown:
        raise invalid(
            ("body", "filters", "rule_keys"), f"unknown rules: {', '.join(unknown)}", unknown
        )


def _existing(conn: Connection, webhook_id: int) -> Any:
    row = repo.get(conn, webhook_id)
    if row is None:
        raise not_found("webhook")
    return row


@router.get("", operation_id="listWebhooks")
def list_webhooks(kernel: KernelDep, _: AdminUser) -> list[Webhook]:
    with kernel.engine.connect() as conn:
        return [_webhook(row) for row in repo.list_webhooks(conn)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createWebhook",
    responses={**NAME_TAKEN, **INVALID},
)
def create_webhook(
    body: WebhookCreate, kernel: KernelDep, notifier: NotifierDep, principal: AdminUser
) -> NewWebhook:
    """Create a webhook. Without a ``secret`` one is generated and returned in ``secret``,
    this once."""
    secret = body.secret or secrets.token_urlsafe(32)
    values = {**body.model_dump(mode="json"), "secret": secret}
    try:
        with kernel.engine.begin() as conn:
            _check_filters(conn, kernel, body.filters)
            created = _webhook(repo.create(conn, values))
            audit.record(
                conn, principal.name, "create", "webhook", created.id, after=_audited(created)
            )
    except IntegrityError as exc:
        raise conflict(f"a webhook named {body.name!r} exists") from exc
    notifier.changed()
    return NewWebhook(**created.model_dump(), secret=None if body.secret else secret)


@router.get("/{webhook_id}", operation_id="getWebhook", responses=NOT_FOUND)
def get_webhook(webhook_id: Id, kernel: KernelDep, _: AdminUser) -> Webhook:
    with kernel.engine.connect() as conn:
        return _webhook(_existing(conn, webhook_id))


@router.patch(
    "/{webhook_id}",
    operation_id="updateWebhook",
    responses={**NOT_FOUND, **NAME_TAKEN, **INVALID},
)
def update_webhook(
    webhook_id: Id,
    body: WebhookUpdate,
    kernel: KernelDep,
    notifier: NotifierDep,
    principal: AdminUser,
) -> Webhook:
    """Change a webhook; pending deliveries use the new URL, secret and timeout from their
    next attempt. A disabled webhook keeps its pending deliveries until it is enabled."""
    changes = body.model_dump(mode="json", exclude_none=True)
    try:
        with kernel.engine.begin() as conn:
            before = _webhook(_existing(conn, webhook_id))
            if body.filters is not None:
                _check_filters(conn, kernel, body.filters)
            if not changes:
                return before
            after = _webhook(repo.update_webhook(conn, webhook_id, changes))
            audit.record(
                conn,
                principal.name,
                "update",
                "webhook",
                webhook_id,
                before=_audited(before),
                after={**_audited(after), "secret_replaced": body.secret is not None},
            )
    except IntegrityError as exc:
        raise conflict(f"a webhook named {body.name!r} exists") from exc
    notifier.changed()
    return after


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteWebhook",
    responses=NOT_FOUND,
)
def delete_webhook(
    webhook_id: Id, kernel: KernelDep, notifier: NotifierDep, principal: AdminUser
) -> Response:
    """Delete a webhook with its delivery log; its pending deliveries are not sent."""
    with kernel.engine.begin() as conn:
        before = _webhook(_existing(conn, webhook_id))
        repo.delete_webhook(conn, webhook_id)
        audit.record(conn, principal.name, "delete", "webhook", webhook_id, before=_audited(before))
    notifier.changed()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{webhook_id}/deliveries", operation_id="listWebhookDeliveries", responses=NOT_FOUND)
def list_deliveries(
    webhook_id: Id,
    kernel: KernelDep,
    _: AdminUser,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> DeliveryPage:
    """The delivery log, newest first: what was sent, how often, the last answer or error."""
    with kernel.engine.connect() as conn:
        _existing(conn, webhook_id)
        rows, total = repo.deliveries(conn, webhook_id, status=status, limit=limit, offset=offset)
    return DeliveryPage(items=[Delivery.model_validate(r) for r in rows], total=total)


@router.post(
    "/{webhook_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="testWebhook",
    responses={**NOT_FOUND, 409: {"description": "The webhook is disabled"}},
)
def test_webhook(
    webhook_id: Id, kernel: KernelDep, notifier: NotifierDep, principal: AdminUser
) -> Delivery:
    """Queue a ``test`` event for this webhook (filters do not apply); follow its delivery
    in the log."""
    with kernel.engine.begin() as conn:
        row = _existing(conn, webhook_id)
        if not row.enabled:
            raise conflict("the webhook is disabled")
        payload = {
            "webhook_id": webhook_id,
            "name": row.name,
            "message": "a test event from OpenSPC",
            "requested_by": principal.name,
        }
        [delivery] = repo.queue(
            conn,
            [
                {
                    "webhook_id": webhook_id,
                    "event_type": "test",
                    "payload": payload,
                    "created_at": datetime.now(UTC),
                }
            ],
        )
    notifier.changed()
    return Delivery.model_validate(delivery)
