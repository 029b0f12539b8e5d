"""The registry client answers Basic and Bearer challenges and never leaks the password.

The real registry is exercised by the publish integration tests; this file covers the
challenge flows a local htpasswd registry cannot show (Bearer tokens, as Docker Hub uses).
"""

from __future__ import annotations

import base64
import json

import anyio
import httpx
import pytest

from registry.oci import ChallengeAuth, Manifest, RegistryAuthError, RegistryClient, image_index

SECRET = "s3cret-password"


def bearer_registry(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/token":
        expected = "Basic " + base64.b64encode(f"ci:{SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return httpx.Response(401)
        assert request.url.params["scope"] == "repository:airbyte/x:pull"
        return httpx.Response(200, json={"token": "tok-123"})
    if request.headers.get("Authorization") != "Bearer tok-123":
        return httpx.Response(401, headers={"WWW-Authenticate": (
            'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:airbyte/x:pull"')})
    if request.url.path.endswith("/manifests/1.0.0"):
        return httpx.Response(200, headers={"Docker-Content-Digest": "sha256:abc"})
    return httpx.Response(404)


def client_with(handler, password: str = SECRET) -> RegistryClient:
    transport = httpx.MockTransport(handler)
    http = httpx.AsyncClient(base_url="https://registry.example", transport=transport,
                             auth=ChallengeAuth("ci", password))
    return RegistryClient("registry.example", http)


def test_bearer_challenge_gets_a_token_and_reuses_it() -> None:
    async def main() -> None:
        async with client_with(bearer_registry) as client:
            assert await client.manifest_digest("airbyte/x", "1.0.0") == "sha256:abc"
            assert await client.manifest_digest("airbyte/x", "9.9.9") is None
    anyio.run(main)


def test_wrong_password_is_an_auth_error_without_the_password() -> None:
    async def main() -> None:
        async with client_with(bearer_registry, password="wrong-" + SECRET) as client:
            with pytest.raises(RegistryAuthError) as caught:
                await client.manifest_digest("airbyte/x", "1.0.0")
            assert SECRET not in str(caught.value)
    anyio.run(main)


def test_basic_challenge() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization", "").startswith("Basic "):
            return httpx.Response(200)
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="Registry Realm"'})

    async def main() -> None:
        async with client_with(handler) as client:
            await client.check_access()
    anyio.run(main)


def test_index_lists_each_platform_with_its_digest() -> None:
    amd = Manifest("application/vnd.docker.distribution.manifest.v2+json", b"{}", "sha256:1")
    arm = Manifest("application/vnd.docker.distribution.manifest.v2+json", b"{ }", "sha256:2")
    index = json.loads(image_index([("linux/amd64", amd), ("linux/arm64", arm)]))
    assert [m["platform"] for m in index["manifests"]] == [
        {"os": "linux", "architecture": "amd64"}, {"os": "linux", "architecture": "arm64", "variant": "v8"}]
    assert [m["size"] for m in index["manifests"]] == [2, 3]
