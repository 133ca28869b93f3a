"""Which CPU a worker's sandboxes are pinned to: JUDGE_CPUS, JUDGE_WORKER_INDEX, else the replica
number of a scaled compose service (read from the real engine), else the last CPU.

The replica test creates a real container with compose's label and asks the engine about it as the
worker inside it would; the one thing faked is "this process runs inside that container" (its
hostname and /.dockerenv are passed in), since the test process runs on the host."""
from __future__ import annotations

import os

import pytest

from judge import sandbox


@pytest.fixture
def labelled_container():
    made = []

    def make(number: str | None):
        labels = {"tinhoctre.test": "cpus"}
        if number is not None:
            labels["com.docker.compose.container-number"] = number
        c = sandbox.docker_client().containers.create(sandbox.image(), entrypoint=["sleep", "60"],
                                                      labels=labels, network_mode="none")
        made.append(c)
        return c
    yield make
    for c in made:
        c.remove(force=True)


def test_compose_replicas_get_their_number_minus_one(labelled_container, tmp_path):
    marker = tmp_path / "dockerenv"
    marker.touch()
    second, third = labelled_container("2"), labelled_container("3")
    assert sandbox.compose_replica_index(str(marker), second.id[:12]) == 1
    assert sandbox.compose_replica_index(str(marker), third.id[:12]) == 2


def test_no_label_no_container_or_no_engine_entry_means_no_replica(labelled_container, tmp_path):
    marker = tmp_path / "dockerenv"
    plain = labelled_container(None)
    assert sandbox.compose_replica_index(str(tmp_path / "absent"), plain.id[:12]) is None  # not in a container
    marker.touch()
    assert sandbox.compose_replica_index(str(marker), plain.id[:12]) is None  # a container, not compose
    assert sandbox.compose_replica_index(str(marker), "no-such-container") is None
    assert sandbox.compose_replica_index(str(marker), labelled_container("0").id[:12]) is None  # nonsense label


def test_worker_cpus_order_of_precedence(monkeypatch):
    ncpu = os.cpu_count() or 1
    monkeypatch.setattr(sandbox, "_own_replica_index", lambda: 3)
    monkeypatch.setenv("JUDGE_CPUS", "0")
    monkeypatch.setenv("JUDGE_WORKER_INDEX", "1")
    assert sandbox.worker_cpus() == "0"
    monkeypatch.delenv("JUDGE_CPUS")
    assert sandbox.worker_cpus() == str(1 % ncpu)
    monkeypatch.delenv("JUDGE_WORKER_INDEX")
    assert sandbox.worker_cpus() == str(3 % ncpu)
    monkeypatch.setattr(sandbox, "_own_replica_index", lambda: None)
    assert sandbox.worker_cpus() == str(ncpu - 1)
