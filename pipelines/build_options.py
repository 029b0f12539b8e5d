"""Resolve build options in one place: flags over repo settings over the environment.

Everything below this point receives a plain :class:`BuildOptions`, never the CLI's arguments.
"""

from __future__ import annotations

import os
from pathlib import Path

from connector_build.images import parse_mirror_option
from connector_build.monorepo import Monorepo
from connector_build.plan import PLATFORMS
from connector_build.problems import UserError
from pipelines.engines.base import BuildOptions

CA_BUNDLE_ENV = ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE")


def resolve_build_options(
    repo: Monorepo,
    *,
    image_mirrors: list[str] | None,
    ca_bundle: Path | None,
    network: str,
    assemble: bool | None = None,
) -> BuildOptions:
    mirrors = dict(repo.settings.image_mirrors)
    for text in image_mirrors or ():
        try:
            source, target = parse_mirror_option(text)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        mirrors[source] = target
    return BuildOptions(image_mirrors=mirrors, ca_bundle=resolve_ca_bundle(ca_bundle), network=network,
                        assemble_manifest_only=repo.settings.assemble_manifest_only if assemble is None else assemble,
                        java=repo.settings.java)


def resolve_ca_bundle(flag: Path | None) -> Path | None:
    """``--ca-bundle``, else the first of SSL_CERT_FILE / PIP_CERT / REQUESTS_CA_BUNDLE that is set."""
    if flag is not None:
        if not flag.is_file():
            raise UserError(f"--ca-bundle {flag}: no such file")
        return flag
    for name in CA_BUNDLE_ENV:
        value = os.environ.get(name)
        if value:
            path = Path(value)
            if not path.is_file():
                raise UserError(f"{name}={value}: no such file (unset it or pass --ca-bundle)")
            return path
    return None


def parse_platforms(text: str | None, default: str) -> list[str]:
    if not text:
        return [default]
    platforms = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in platforms if p not in PLATFORMS]
    if unknown or not platforms:
        raise UserError(f"--platform {text}: supported platforms are {', '.join(PLATFORMS)}")
    return list(dict.fromkeys(platforms))
