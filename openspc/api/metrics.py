"""``/metrics``: the Prometheus exposition of :data:`openspc.metrics.REGISTRY`.

Unauthenticated, as Prometheus scrapers expect; it shows counts and timings only, no process
data. Restrict it at the network or the reverse proxy where that matters. The format follows
the scraper's ``Accept`` header (Prometheus text by default, OpenMetrics on request).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, choose_encoder

from openspc.metrics import REGISTRY

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    operation_id="metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text format (OpenMetrics when the Accept header asks)",
            "content": {CONTENT_TYPE_PLAIN_0_0_4: {"schema": {"type": "string"}}},
        }
    },
)
def metrics(request: Request) -> Response:
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(REGISTRY), media_type=content_type)
