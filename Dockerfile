# Image of the site, the judge worker and the sweeper (`make compose`). The sandbox image is sandbox/Dockerfile.
# Offline: the base is made by scripts/ensure_base_image.sh, Debian packages come from the Debian mirror,
# and Python packages only from build/wheels (made on the host by `scripts/compose.sh build` with the
# host's pip configuration), never from an index at build time.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# the dependencies of pyproject.toml (this layer stays cached until they change); the code runs from /app
COPY build/wheels /wheels
RUN python3 -m venv /venv \
    && /venv/bin/pip install --no-cache-dir --no-index --find-links /wheels -r /wheels/requirements.txt \
    && rm -rf /wheels
COPY pyproject.toml README.md ./
COPY webapp webapp
COPY judge judge
RUN /venv/bin/pybabel compile -d webapp/translations -D messages
COPY migrations migrations
COPY problems problems
ENV PATH=/venv/bin:$PATH PYTHONPATH=/app FLASK_APP=webapp PYTHONUNBUFFERED=1
EXPOSE 5000
CMD ["gunicorn", "--workers", "3", "--threads", "4", "--bind", "0.0.0.0:5000", "webapp:create_app()"]
