"""Safe defaults in every mode: trusted Host names, security headers, cross-origin refusal."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.support.app import running_app

FOREIGN = "http://localhost:1"
"""A page on another port of the same machine: same-site, not same-origin."""


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def test_unknown_host_names_get_400_json(client: httpx.Client, app_url: str) -> None:
    refused = client.get("/healthz", headers={"Host": "rebind.attacker.example"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_host"
    assert refused.headers["x-content-type-options"] == "nosniff"
    port = _port(app_url)
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "LOCALHOST"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200, host


def test_allowed_hosts_and_the_public_url(tmp_path: Path) -> None:
    settings = {
        "ALLOWED_HOSTS": ["chat.example.com", "*.internal.example"],
        "CHATWAIT_PUBLIC_URL": "https://public.example.org",
        "OFFLINE_BASE_URL": "http://127.0.0.1:9/v1",  # the public URL is not this test
    }
    with running_app(tmp_path, **settings) as (url, _):
        for host, status in (
            ("chat.example.com", 200),
            ("a.internal.example", 200),
            ("public.example.org", 200),
            ("internal.example", 400),
            ("localhost", 400),
            ("evil.example", 400),
        ):
            assert httpx.get(f"{url}/healthz", headers={"Host": host}).status_code == status, host


def test_every_answer_says_nosniff(client: httpx.Client) -> None:
    for response in (
        client.get("/healthz"),
        client.get("/models"),
        client.get("/no/such/route"),
        client.post("/chat/wait", content=b"{"),
        client.get("/openapi.json"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


def test_html_pages_refuse_framing_and_foreign_images(client: httpx.Client) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.headers["content-type"].startswith("text/html")
        policy = dict(
            directive.strip().split(" ", 1)
            for directive in page.headers["content-security-policy"].split(";")
        )
        assert policy["frame-ancestors"] == "'self'"
        sources = policy["img-src"].split()
        assert "'self'" in sources and not {"*", "http:", "https:"} & set(sources)
        assert page.headers["x-frame-options"] == "SAMEORIGIN"
    assert "content-security-policy" not in client.get("/healthz").headers


def test_other_origins_cannot_change_anything(client: httpx.Client, app_url: str) -> None:
    started = client.post("/chat/wait", json={"message": "mine"})
    conversation = started.json()["conversation_id"]
    foreign = {"Origin": FOREIGN}
    attempts = [
        client.post("/chat/wait", json={"message": "theirs"}, headers=foreign),
        client.post("/chat/wait", content=b'{"message": "form"}', headers={
            **foreign, "Content-Type": "text/plain"
        }),
        client.delete(f"/conversations/{conversation}", headers=foreign),
        client.patch(f"/conversations/{conversation}", json={"title": "x"}, headers=foreign),
        client.post("/chat/wait", json={"message": "null"}, headers={"Origin": "null"}),
    ]  # fmt: skip
    for response in attempts:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "cross_origin"
    assert client.get(f"/conversations/{conversation}").status_code == 200
    same = client.post(
        "/chat/wait",
        json={"message": "same origin", "conversation_id": conversation},
        headers={"Origin": app_url},
    )
    assert same.status_code == 200


def test_other_origins_cannot_read_anything(client: httpx.Client) -> None:
    read = client.get("/conversations", headers={"Origin": FOREIGN})
    assert "access-control-allow-origin" not in read.headers
    preflight = client.options(
        "/chat/wait",
        headers={"Origin": FOREIGN, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-credentials" not in preflight.headers


def test_listed_origins_may_send_bearer_tokens_without_cookies(tmp_path: Path) -> None:
    with running_app(tmp_path, CORS_ORIGINS=["http://ui.example"]) as (url, _):
        preflight = httpx.options(
            f"{url}/chat/wait",
            headers={
                "Origin": "http://ui.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "http://ui.example"
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in preflight.headers
        listed = httpx.post(
            f"{url}/chat/wait", json={"message": "hi"}, headers={"Origin": "http://ui.example"}
        )
        assert listed.status_code == 200
