# Image of the site and of the judge worker (docker compose). The sandbox image is sandbox/Dockerfile.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY webapp webapp
COPY judge judge
RUN python3 -m venv /venv && /venv/bin/pip install --no-cache-dir . \
    && /venv/bin/pybabel compile -d webapp/translations -D messages
COPY migrations migrations
COPY problems problems
ENV PATH=/venv/bin:$PATH FLASK_APP=webapp
EXPOSE 5000
CMD ["gunicorn", "--workers", "3", "--threads", "4", "--bind", "0.0.0.0:5000", "webapp:create_app()"]
