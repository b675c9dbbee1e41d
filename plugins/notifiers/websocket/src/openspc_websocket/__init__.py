"""OpenSPC WebSocket notifier: streams committed samples, violations, acknowledgments and
limit changes to the dashboards that subscribed to them (``GET /api/v1/ws``)."""
