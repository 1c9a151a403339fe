# One image for every process of SCRM: web (gunicorn, the default CMD), Celery worker and beat (docker-compose.yml
# gives each its command). Build: docker build -t scrm .   Run the web alone:
#   docker run -e SECRET_KEY=... -e DATABASE_URL=... -e REDIS_URL=... -e ALLOWED_HOSTS=... -p 8000:8000 scrm

# --- 1. Front-end vendor files: package.json -> node_modules -> static/vendor ------------------------------------------
FROM node:20-bookworm-slim AS vendor
WORKDIR /src
# Lock files first: this layer is rebuilt only when a dependency changes, not on every code change.
COPY package.json package-lock.json ./
# Front-end libraries ship files, not build steps; --ignore-scripts keeps a package's install hook out of the build.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY scripts/vendor.mjs scripts/vendor.mjs
RUN node scripts/vendor.mjs

# --- 2. Python dependencies into a virtualenv that the runtime stage copies whole -------------------------------------
FROM python:3.11-slim-bookworm AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
WORKDIR /src
# pyproject.toml declares no packages (the project runs as a source tree), so installing it installs exactly its
# dependencies; copying it alone keeps this layer cached until a dependency changes.
COPY pyproject.toml ./
RUN pip install .

# --- 3. Runtime: slim, no compilers, no node, a non-root user ---------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=scrm.settings \
    WEB_CONCURRENCY=4
# A home of its own: gunicorn puts its control socket (for gunicornc) there; /app is not writable by this user.
RUN groupadd --system --gid 10001 scrm \
    && useradd --system --uid 10001 --gid scrm --create-home --home-dir /home/scrm --shell /usr/sbin/nologin scrm
# The Chinese TrueType font that partner statement PDFs embed (SETTLEMENT_PDF_FONT's default path).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-droid-fallback \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# The code stays owned by root: the processes can read it, not rewrite it.
COPY . .
COPY --from=vendor /src/static/vendor ./static/vendor
# SECRET_KEY and the three URLs here are throwaways that exist only for this RUN step (settings refuse to load without
# them; collectstatic connects to neither); they are not in the image's environment. Bytecode is compiled now because
# the runtime user cannot write it. var/ (media uploads, beat's schedule) belongs to the runtime user, except the
# collected static files, which stay root's.
RUN SECRET_KEY=collectstatic-build-only DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost/0 \
    PUBLIC_BASE_URL=https://build.invalid DEBUG=False python manage.py collectstatic --noinput \
    && python -m compileall -q -j 0 /app \
    && mkdir -p var/media \
    && chown scrm:scrm var \
    && find var -mindepth 1 -maxdepth 1 ! -name staticfiles -exec chown -R scrm:scrm {} +
USER scrm:scrm
EXPOSE 8000
# Probes the web process. /healthz is exempt from the HTTPS redirect; the Host header is the first ALLOWED_HOSTS entry
# because Django answers 400 to any other. Worker and beat containers override this (see docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; host = (os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.*') or 'localhost'; r = u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=8); sys.exit(0 if r.status == 200 else 1)"]
# Workers come from WEB_CONCURRENCY (gunicorn reads it); any other option through GUNICORN_CMD_ARGS. Sync workers, two
# per core: a sync worker is idle while PostgreSQL flushes a webhook's commit, and a second one per core fills that
# time (on 2 cores, 4 workers took the WeChat callbacks from 0.81 to 0.88 of /healthz's rate: docs/benchmarks.md).
CMD ["gunicorn", "scrm.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
