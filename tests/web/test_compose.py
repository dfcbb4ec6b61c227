"""docker-compose.yml read as YAML (no Docker engine here): the production shape the issue
asks for, with healthchecks, depends_on conditions, a single beat and the stand-ins behind a
profile; and the Dockerfile and start scripts it names."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def _script(service: dict) -> Path:
    """The start script a service runs (its command's first word)."""
    words = _command(service).split()
    return ROOT / (words[0] if words else "")


def _worker_options(service: dict) -> dict[str, str]:
    """A start-worker service's extra options (they come after the script's defaults and win)."""
    words = service["command"][1:]
    return dict(zip(words[::2], words[1::2], strict=True))


def test_services_and_profiles(services):
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert "profiles" not in services[name], name
    standins = [n for n, s in services.items() if "sandbox" in _command(s)]
    assert sorted(standins) == ["amazon-standin", "zoho-standin"]
    for name in standins:
        assert services[name]["profiles"] == ["sandbox"]


def test_every_service_has_a_healthcheck(services):
    for name, service in services.items():
        check = service.get("healthcheck")
        assert check and check.get("test"), name
        assert check.get("interval") and check.get("retries"), name


def test_depends_on_waits_for_healthy(services):
    for name in ("web", "worker", "beat"):
        deps = services[name]["depends_on"]
        assert isinstance(deps, dict), f"{name}: depends_on needs conditions"
        for dep in ("postgres", "redis"):
            assert deps[dep]["condition"] == "service_healthy", (name, dep)
    for name in ("worker", "dispatch-worker", "beat"):  # web has applied the migrations
        assert services[name]["depends_on"]["web"]["condition"] == "service_healthy"


def test_one_image_with_production_settings_postgres_and_redis(services):
    builds = {str(services[n].get("build")) for n in ("web", "worker", "beat")}
    assert len(builds) == 1
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert (
            env["DATABASE_URL"].startswith("postgres://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        for secret in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS"):
            assert re.fullmatch(r"\$\{%s:\?.+\}" % secret, env[secret]), secret  # noqa: UP031
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_web_gunicorn_static_and_a_single_beat(services):
    start_web = _script(services["web"]).read_text()
    assert "exec gunicorn config.wsgi" in start_web and "migrate" in start_web
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert "collectstatic" in dockerfile
    settings = (ROOT / "config" / "settings" / "base.py").read_text()
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings
    beats = [n for n, s in services.items() if "beat" in _script(s).name]
    assert beats == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    worker = _script(services["worker"]).read_text()
    assert "exec celery -A config worker" in worker
    assert " -B" not in worker and "--beat" not in worker


def test_dispatch_queue_has_a_worker_of_its_own(services):
    """Beat's ticks (queue "dispatch") get one process that runs nothing else; the sync
    worker serves "celery" and "backlog", so every queue the settings route to is consumed."""
    from django.conf import settings

    workers = {n: s for n, s in services.items() if _script(s).name == "start-worker"}
    assert set(workers) == {"worker", "dispatch-worker"}
    script = _script(services["worker"]).read_text()
    assert script.rstrip().endswith('"$@"'), "extra options must come last to win"
    dispatch = _worker_options(workers["dispatch-worker"])
    assert dispatch["--queues"] == "dispatch" and dispatch["--concurrency"] == "1"
    assert "profiles" not in workers["dispatch-worker"]
    assert dispatch["--hostname"].startswith("dispatch@")
    assert "dispatch@$$HOSTNAME" in " ".join(workers["dispatch-worker"]["healthcheck"]["test"])
    sync = _worker_options(workers["worker"])
    assert set(sync["--queues"].split(",")) == {"celery", "backlog"}
    consumed = {q for w in workers.values() for q in _worker_options(w)["--queues"].split(",")}
    assert consumed == set(settings.CELERY_TASK_QUEUES)
    beat_queues = {
        e["options"].get("queue", settings.CELERY_TASK_DEFAULT_QUEUE)
        for e in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert "dispatch" in beat_queues and beat_queues <= consumed
    for dep in ("postgres", "redis", "web"):
        assert workers["dispatch-worker"]["depends_on"][dep]["condition"] == "service_healthy"


def test_live_updates_consumer_is_a_service(services):
    consumer = services["live-updates"]
    assert "consume_order_changes" in _command(consumer)
    assert consumer["profiles"] == ["live"]


def test_start_scripts_exist_are_executable_and_exec(services):
    for name in ("web", "worker", "dispatch-worker", "beat"):
        script = _script(services[name])
        assert script.is_file(), script
        assert os.access(script, os.X_OK), script
        assert "\nexec " in script.read_text(), script


def test_named_volumes_are_declared(compose, services):
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in compose["volumes"], source


def test_healthz_answers(client, db):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.content == b"ok"
