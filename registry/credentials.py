"""Where registry credentials come from: DOCKER_HUB_USERNAME/DOCKER_HUB_PASSWORD, else the
user's docker config (``docker login``). Every password found is registered for redaction
before anything can log it."""

from __future__ import annotations

import os

import docker.auth

from connector_build.images import is_docker_hub
from registry.auth import RegistryAuth
from registry.secrets import register_secret

USERNAME_ENV = "DOCKER_HUB_USERNAME"
PASSWORD_ENV = "DOCKER_HUB_PASSWORD"


def registry_auth(registry: str) -> RegistryAuth | None:
    username, password = os.environ.get(USERNAME_ENV), os.environ.get(PASSWORD_ENV)
    if username and password:
        register_secret(password)
        return RegistryAuth(registry=registry, username=username, password=password)
    return docker_config_auth(registry)


def pull_auth(registry: str) -> RegistryAuth | None:
    """Credentials to read base images from ``registry`` (a mirror, say): its own `docker login`
    entry first, as the daemon would use, then DOCKER_HUB_USERNAME/DOCKER_HUB_PASSWORD."""
    return docker_config_auth(registry) or registry_auth(registry)


def docker_config_auth(registry: str) -> RegistryAuth | None:
    try:
        config = docker.auth.load_config()
        entry = docker.auth.resolve_authconfig(config, registry=_config_key(registry)) or {}
    except docker.errors.DockerException:
        return None
    username, password = entry.get("username") or entry.get("Username"), entry.get("password") or entry.get("Password")
    if username and password:
        register_secret(password)
        return RegistryAuth(registry=registry, username=username, password=password)
    return None


def _config_key(registry: str) -> str:
    return "https://index.docker.io/v1/" if is_docker_hub(registry) else registry
