"""LWA token single flight across worker processes (Redis lock + Redis cache), over real HTTP
to the stand-in. The in-process case (8 threads) is in test_spapi_client.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

WORKER = """
import os, sys, time
import django
django.setup()
from amazon_ext.amazon.spapi.lwa import LwaTokens
tokens = LwaTokens(
    client_id=os.environ["T_CLIENT_ID"],
    client_secret=os.environ["T_CLIENT_SECRET"],
    refresh_token=os.environ["T_REFRESH"],
    token_url=os.environ["T_TOKEN_URL"],
)
time.sleep(max(0.0, float(os.environ["T_START_AT"]) - time.time()))
token = tokens.access_token()
print(token[:12], tokens.refreshes)
"""


def test_four_processes_share_one_refresh_through_redis(redis_url, amazon_standin, amazon_seller):
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": redis_url,
        "T_CLIENT_ID": amazon_seller.lwa_client_id,
        "T_CLIENT_SECRET": amazon_seller.lwa_client_secret,
        "T_REFRESH": amazon_seller.refresh_token,
        "T_TOKEN_URL": f"{amazon_standin.url}/auth/o2/token",
        "T_START_AT": str(time.time() + 4.0),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-2000:]
        outputs.append(out.split())
    assert amazon_standin.stats.token_grants == 1
    assert len({token for token, _ in outputs}) == 1  # every process uses the same token
    assert sorted(int(n) for _, n in outputs) == [0, 0, 0, 1]


@pytest.mark.parametrize("redis_configured", [False, True])
def test_cached_tokens_are_encrypted(settings, redis_configured, request, amazon_standin):
    from django.core.cache import cache

    from amazon_ext.amazon.spapi.lwa import LwaTokens

    if redis_configured:
        url = request.getfixturevalue("redis_url")
        settings.REDIS_URL = url
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        }
    cache.clear()
    seller = request.getfixturevalue("amazon_seller")
    tokens = LwaTokens(
        client_id=seller.lwa_client_id,
        client_secret=seller.lwa_client_secret,
        refresh_token=seller.refresh_token,
        token_url=f"{amazon_standin.url}/auth/o2/token",
    )
    token = tokens.access_token()
    stored = cache.get(f"amazon:lwa:{tokens.key}")
    assert stored and token not in stored and seller.refresh_token not in stored
    assert tokens.access_token() == token
    assert amazon_standin.stats.token_grants == 1
    cache.clear()
