# syntax=docker/dockerfile:1
# Front Door production image: one image for `frontdoor api` (default), `frontdoor worker` and
# `frontdoor migrate`. Configured only through FRONTDOOR_* environment variables.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: resolve the locked runtime dependencies (no dev group) into /opt/venv ---------------
FROM ${PYTHON_IMAGE} AS build

ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1

RUN pip install "uv==${UV_VERSION}"

WORKDIR /build

# Dependencies first, so a source change does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-editable --no-install-project

# Then the project itself, installed as a regular (non-editable) wheel into the venv, with its
# bytecode compiled: the workflow sandbox imports the workflow modules afresh for every case, and
# without cached bytecode (the runtime cannot write it) it would compile their source each time.
COPY README.md ./
COPY activities ./activities
COPY api ./api
COPY cli ./cli
COPY core ./core
COPY domain ./domain
COPY notifier ./notifier
COPY store ./store
COPY workers ./workers
COPY workflows ./workflows
RUN uv sync --locked --no-dev --no-editable --compile-bytecode

# --- runtime: the venv only, no uv, no sources, non-root ----------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

RUN groupadd --system --gid 10001 frontdoor \
    && useradd --system --uid 10001 --gid frontdoor --create-home --home-dir /home/frontdoor \
        --shell /usr/sbin/nologin frontdoor

# Same path as in the build stage: the venv's scripts hold absolute shebangs.
COPY --from=build /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FRONTDOOR_API_HOST=0.0.0.0 \
    FRONTDOOR_LOG_FORMAT=json

WORKDIR /home/frontdoor
USER 10001:10001

EXPOSE 8000
CMD ["frontdoor", "api"]
