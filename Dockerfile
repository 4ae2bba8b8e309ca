# Venture CRM as one image: the server (the default command) and, with another command, the Matrix
# intake bot. `docker compose up -d --build` (docker-compose.yml), the StartOS package, or plain
# `docker run -p 8080:8080 -v "$PWD/data:/data" venture-crm`. See docs/deployment.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CRM_DATA_DIR=/data \
    CRM_HOST=0.0.0.0 \
    CRM_PORT=8080

WORKDIR /app

# Requirements first: the dependency layer is rebuilt only when they change, not on every edit.
COPY requirements.txt ./requirements.txt
COPY backend/matrix_intake/requirements.txt ./backend/matrix_intake/requirements.txt
RUN pip install --no-cache-dir -r requirements.txt -r backend/matrix_intake/requirements.txt

COPY backend/ ./backend/
COPY frontend/ ./frontend/
COPY deploy/ ./deploy/

# The code stays root's and read-only (compiled now, since the runtime user cannot write
# __pycache__). A non-root user for compose; the image also runs as root (StartOS runs its
# subcontainers as root and writes volume files as root), which the entrypoint handles the same way.
RUN python -m compileall -q backend \
    && chmod 0755 /app/deploy/entrypoint.sh \
    && groupadd --gid 1000 crm \
    && useradd --uid 1000 --gid crm --create-home --shell /usr/sbin/nologin crm \
    && mkdir -p /data \
    && chown crm:crm /data \
    && chmod 0700 /data

USER crm
VOLUME /data
EXPOSE 8080

# Ready, not merely alive: migrations have run and the database answers (what StartOS checks too).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/ready' % os.environ.get('CRM_PORT', '8080'), timeout=4)"]

ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["python", "-m", "backend.server"]
