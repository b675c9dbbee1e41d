# syntax=docker/dockerfile:1
# Stage 1: build the web app.
FROM node:20-bookworm-slim AS web
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build -- --outDir /web

# Stage 2: the Python service with the kernel and the first-party plugins.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    OPENSPC_HOST=0.0.0.0 OPENSPC_PORT=8000 \
    OPENSPC_DATABASE_URL=sqlite:////var/lib/openspc/openspc.db
RUN useradd --system --home /var/lib/openspc --create-home openspc
WORKDIR /opt/openspc
COPY pyproject.toml README.md ./
COPY openspc/ openspc/
COPY plugins/ plugins/
COPY --from=web /web openspc/web/
RUN pip install --no-cache-dir . $(for p in plugins/*/*/; do [ -f "$p/pyproject.toml" ] && printf '%s ' "$p"; done)
USER openspc
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"
CMD ["openspc", "serve"]
