"""`make compose` with no container registry (issue 13): our own images only, a PostgreSQL image that
stops cleanly, and the whole stack proved by scripts/compose_check.sh (up, a submission judged AC through
the API, down with nothing left)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from tests.helpers import wait_for

ROOT = Path(__file__).resolve().parent.parent
OUR_IMAGES = {"tinhoctre-web:latest", "tinhoctre-redis:latest", "tinhoctre-postgres:latest"}


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def compose_images():
    """Build what the stack needs (a no-op in about a second when nothing changed)."""
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "compose.sh"), "build"], capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, f"compose.sh build failed:\n{proc.stdout}\n{proc.stderr}"
    for image in OUR_IMAGES:
        assert docker("image", "inspect", image).returncode == 0, f"{image} not built"


def test_compose_file_uses_only_images_we_build():
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = spec["services"]
    assert set(services) == {"web", "worker", "sweeper", "redis", "postgres"}
    for name, service in services.items():
        assert service["image"] in OUR_IMAGES, f"{name} uses {service['image']}"
        assert service["pull_policy"] == "never", name
        assert (ROOT / service["build"] / "Dockerfile").is_file(), name
        assert "healthcheck" in service or name == "sweeper", f"{name} has no healthcheck"
    # every image is built from the judge image's Debian base (or an earlier stage of its own file)
    for dockerfile in ("Dockerfile", "deploy/redis/Dockerfile", "deploy/postgres/Dockerfile", "sandbox/Dockerfile"):
        allowed = {"debian:bookworm-slim"}
        stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", (ROOT / dockerfile).read_text(), re.M | re.I)
        assert stages, dockerfile
        for base, alias in stages:
            assert base in allowed, (dockerfile, base)
            allowed.add(alias)
    # the order of start: data services healthy -> web (migrations) healthy -> workers and sweeper
    assert services["web"]["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                             "redis": {"condition": "service_healthy"}}
    assert services["worker"]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert services["sweeper"]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert "/var/run/docker.sock:/var/run/docker.sock" in services["worker"]["volumes"]
    assert not any("docker.sock" in v for v in services["web"]["volumes"])
    # Redis and PostgreSQL ask for passwords and are published only by the remote-workers override
    assert "--requirepass" in " ".join(services["redis"]["command"])
    assert "ports" not in services["redis"] and "ports" not in services["postgres"]
    remote = yaml.safe_load((ROOT / "deploy" / "compose.remote-workers.yml").read_text())["services"]
    assert set(remote) == {"redis", "postgres"} and all(set(s) == {"ports"} for s in remote.values())


@pytest.mark.docker
def test_postgres_image_initialises_once_and_stops_cleanly_on_sigterm(compose_images):
    name = f"tinhoctre-pgtest-{uuid.uuid4().hex[:8]}"
    volume = f"{name}-data"
    run = ["run", "-d", "--name", name, "-v", f"{volume}:/var/lib/postgresql/data",
           "-e", "POSTGRES_USER=alice", "-e", "POSTGRES_PASSWORD=s3cret pw'", "-e", "POSTGRES_DB=contest",
           "tinhoctre-postgres:latest"]

    def health() -> str:
        return docker("inspect", "-f", "{{.State.Health.Status}}", name).stdout.strip()

    try:
        assert docker(*run).returncode == 0
        wait_for(lambda: health() == "healthy", 120, "postgres healthy", interval=0.5)
        # the user logs in with its password over TCP, and owns its database
        query = docker("exec", "-e", "PGPASSWORD=s3cret pw'", name, "psql", "-h", "127.0.0.1", "-U", "alice", "-d",
                       "contest", "-tAc", "select current_user || ' ' || pg_get_userbyid(datdba) from pg_database "
                       "where datname = current_database()")
        assert query.stdout.strip() == "alice alice", query.stderr
        wrong = docker("exec", "-e", "PGPASSWORD=wrong", name, "psql", "-h", "127.0.0.1", "-U", "alice", "-d",
                       "contest", "-c", "select 1")
        assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr

        stop = docker("stop", "--time", "30", name)  # SIGTERM; SIGKILL only after 30 s
        assert stop.returncode == 0
        state = json.loads(docker("inspect", "-f", "{{json .State}}", name).stdout)
        assert state["ExitCode"] == 0, state  # 137 would mean it had to be killed
        logs = docker("logs", name)
        assert "database system is shut down" in logs.stdout + logs.stderr

        # the second start keeps the cluster (no second initialisation) and serves the same data
        assert docker("start", name).returncode == 0
        wait_for(lambda: health() == "healthy", 120, "postgres healthy again", interval=0.5)
        logs = docker("logs", name)
        assert (logs.stdout + logs.stderr).count("cluster initialised") == 1
    finally:
        docker("rm", "-fv", name)
        docker("volume", "rm", volume)
    assert docker("volume", "inspect", volume).returncode != 0


def run_check(**env: str) -> str:
    """Run scripts/compose_check.sh (images already built); its output. SIGTERM on timeout: the script
    then takes its stack down."""
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "compose_check.sh")], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            env={**os.environ, "SKIP_BUILD": "1", **env})
    try:
        out, _ = proc.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=180)
        pytest.fail("compose_check.sh did not finish in 900 s:\n" + out[-6000:])
    assert proc.returncode == 0, out[-6000:]
    assert re.search(r"submission \d+ judged AC \(100\.0/100\.0, 6 tests\); the organiser sees it", out), out[-3000:]
    project = re.search(r"project (tinhoctre-check-[a-z0-9]+)", out).group(1)
    label = f"label=com.docker.compose.project={project}"
    for kind in (["ps", "-aq"], ["network", "ls", "-q"], ["volume", "ls", "-q"]):
        left = docker(*kind, "--filter", label)
        assert left.returncode == 0 and left.stdout.strip() == "", (kind, left.stdout)
    assert docker("ps", "-aq", "--filter", f"name=^/{project}-remote-worker$").stdout.strip() == ""
    return out


@pytest.mark.docker
def test_compose_check_judges_a_submission_and_leaves_nothing_behind(compose_images):
    out = run_check(WORKERS="2")
    assert ", 2 worker(s)" in out


@pytest.mark.docker
def test_a_worker_on_another_host_judges_from_its_own_package_cache(compose_images):
    """The README's worker-host recipe: no compose worker at all, one `docker run` worker that reaches
    Redis and PostgreSQL through the published ports, with an empty PROBLEMS_DIR of its own: it judges
    from the package it fetched from the database into its cache (no folder shared with the main host)."""
    out = run_check(REMOTE_WORKER="1")
    assert ", 0 worker(s), 1 remote worker" in out
    fetched = re.search(r"remote worker fetched (\d+) package\(s\) into its own cache", out)
    assert fetched and int(fetched.group(1)) >= 1, out[-3000:]
