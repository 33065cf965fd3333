# The example image: Burrow with its locked dependencies, the contracts and the examples.
# Built by compose.yaml for the cleanup app and its worker.
FROM python:3.11-slim

COPY --from=ghcr.io/astral-sh/uv:0.13 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1
WORKDIR /srv/burrow

# Dependencies first, in their own layer: it is rebuilt only when the lock changes.
# The dev group brings FastAPI and uvicorn, which the example app needs.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-install-project

COPY sdk sdk
COPY server server
COPY codegen codegen
COPY contracts contracts
COPY examples examples
RUN uv sync --frozen

CMD ["burrow", "worker", "examples.cleanup.worker:worker"]
