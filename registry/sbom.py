"""An SPDX 2.3 JSON SBOM of one platform's image, read from the image's own layers on the registry.

What it lists: the Debian packages dpkg records (``var/lib/dpkg/status``, and the one-file-per-
package ``var/lib/dpkg/status.d/*`` of distroless images), and every Python distribution installed
(``*.dist-info/METADATA``, and the ``*.egg-info`` Debian's python3 packages use: name, version,
license), each with its package URL. The document is
deterministic for an image: its time is the image's ``created``, its namespace the stored copy's URL,
so a rerun produces the same bytes and the same referrer digest.

    packages = await image_packages(client, "airbyte/source-x", platform_digest)
    document = spdx_document(packages, name="airbyte/source-x:1.2.3 linux/amd64", namespace=url,
                             image=ImageSubject("airbyte/source-x", "1.2.3", "linux/amd64", platform_digest),
                             created=config["created"], tool_version="0.1.0")
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import re
from dataclasses import dataclass
from email.parser import HeaderParser
from typing import Any
from urllib.parse import quote

from debian.deb822 import Deb822

from registry.image_files import LayerCache, image_config, image_files
from registry.oci import RegistryClient

DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_DIR = "var/lib/dpkg/status.d/"
OS_RELEASE = ("usr/lib/os-release", "etc/os-release")
DIST_INFO_METADATA = "*.dist-info/METADATA"
EGG_INFO = ("*.egg-info/PKG-INFO", "*.egg-info")
"""Debian's python3-* packages and setup.py installs record a distribution as egg-info (same format)."""
NOASSERTION = "NOASSERTION"
SPDX_VERSION = "SPDX-2.3"
_SPDX_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
_PEP503 = re.compile(r"[-_.]+")


@dataclass(frozen=True)
class Package:
    """One installed package: ``kind`` is ``deb`` or ``pypi``."""

    kind: str
    name: str
    version: str
    license: str | None = None
    """An SPDX expression when the package declares one (``License-Expression``), else None."""
    license_text: str | None = None
    """What the package says of its license otherwise (``License:``, classifiers), for the comment."""
    architecture: str | None = None
    location: str | None = None

    def purl(self, distro: str | None) -> str:
        if self.kind == "deb":
            qualifiers = [f"arch={self.architecture}"] if self.architecture else []
            if distro:
                qualifiers.append(f"distro={distro}")
            suffix = f"?{'&'.join(qualifiers)}" if qualifiers else ""
            return f"pkg:deb/debian/{quote(self.name, safe='')}@{quote(self.version, safe='')}{suffix}"
        return f"pkg:pypi/{_PEP503.sub('-', self.name).lower()}@{quote(self.version, safe='')}"


@dataclass(frozen=True)
class ImagePackages:
    packages: list[Package]
    distro: str | None
    """``debian-12`` from os-release, when the image has one."""


@dataclass(frozen=True)
class ImageSubject:
    repository: str
    version: str
    platform: str
    digest: str


def is_wanted(path: str) -> bool:
    """The files an SBOM reads: dpkg's records, os-release, Python distributions' METADATA."""
    return (path == DPKG_STATUS or path in OS_RELEASE
            or (path.startswith(DPKG_STATUS_DIR) and not path.endswith(".md5sums"))
            or is_distribution_metadata(path))


def is_distribution_metadata(path: str) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in (DIST_INFO_METADATA, *EGG_INFO))


LAYER_SELECTION = "sbom-v1"
"""The layer cache's folder for :func:`is_wanted`: change it when the selection changes."""


async def image_packages(client: RegistryClient, repository: str, manifest_digest: str,
                         cache: LayerCache | None = None) -> ImagePackages:
    """The packages of one platform's image, from its layers on the registry (cached by layer
    digest on this machine unless ``cache`` says otherwise: ``LayerCache(None)`` reads every layer)."""
    cache = cache if cache is not None else LayerCache.default(LAYER_SELECTION)
    files = await image_files(client, repository, manifest_digest, is_wanted, cache)
    return packages_from_files(files)


async def image_created(client: RegistryClient, repository: str, manifest_digest: str) -> str | None:
    return (await image_config(client, repository, manifest_digest)).get("created")


def packages_from_files(files: dict[str, bytes]) -> ImagePackages:
    packages = dpkg_packages(files) + python_distributions(files)
    return ImagePackages(sorted(packages, key=lambda p: (p.kind, p.name.lower(), p.version)), _distro(files))


def dpkg_packages(files: dict[str, bytes]) -> list[Package]:
    """Installed Debian packages: ``status`` stanzas whose Status ends in ``installed``, and every
    ``status.d`` stanza (distroless images write only installed packages there)."""
    found: dict[tuple[str, str, str], Package] = {}
    sources = [(files[DPKG_STATUS], True)] if DPKG_STATUS in files else []
    sources += [(data, False) for path, data in sorted(files.items()) if path.startswith(DPKG_STATUS_DIR)]
    for data, needs_status in sources:
        for stanza in Deb822.iter_paragraphs(data.splitlines(), use_apt_pkg=False):
            name, version = stanza.get("Package"), stanza.get("Version")
            if not name or not version:
                continue
            if needs_status and not stanza.get("Status", "").endswith(" installed"):
                continue
            architecture = stanza.get("Architecture")
            found[(name, version, architecture or "")] = Package("deb", name, version, architecture=architecture)
    return list(found.values())


def python_distributions(files: dict[str, bytes]) -> list[Package]:
    """Each ``*.dist-info/METADATA`` and egg-info: one package per name and version (copies in
    several site-packages are listed once, at the first location)."""
    found: dict[tuple[str, str], Package] = {}
    parser = HeaderParser()  # on text, as importlib.metadata reads it: non-ASCII values stay plain str
    for path, data in sorted(files.items()):
        if not is_distribution_metadata(path):
            continue
        headers = parser.parsestr(data.decode("utf-8", errors="replace"))
        name, version = headers.get("Name"), headers.get("Version")
        if not name or not version:
            continue
        expression = headers.get("License-Expression")
        license_text = _license_text(headers.get("License"), headers.get_all("Classifier") or [])
        key = (_PEP503.sub("-", str(name)).lower(), str(version))
        found.setdefault(key, Package("pypi", str(name), str(version), license=str(expression) if expression else None,
                                      license_text=license_text, location=_site_folder(path)))
    return list(found.values())


def spdx_document(contents: ImagePackages, *, subject: ImageSubject, namespace: str, created: str | None,
                  tool_version: str) -> dict[str, Any]:
    """The SPDX 2.3 document: the image as the described package, containing every package found."""
    image_id = "SPDXRef-Image"
    architecture = subject.platform.rpartition("/")[2]
    image = {
        "SPDXID": image_id,
        "name": subject.repository,
        "versionInfo": subject.version,
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": False,
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": NOASSERTION,
        "copyrightText": NOASSERTION,
        "primaryPackagePurpose": "CONTAINER",
        "checksums": [{"algorithm": "SHA256", "checksumValue": subject.digest.removeprefix("sha256:")}],
        "externalRefs": [_purl_ref(f"pkg:oci/{quote(subject.repository.rpartition('/')[2], safe='')}"
                                   f"@{quote(subject.digest, safe='')}?arch={architecture}"
                                   f"&tag={quote(subject.version, safe='')}")],
    }
    packages: list[dict[str, Any]] = [image]
    relationships = [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                      "relatedSpdxElement": image_id}]
    for number, package in enumerate(contents.packages, start=1):
        spdx_id = f"SPDXRef-Package-{package.kind}-{_SPDX_ID_UNSAFE.sub('-', package.name)}-{number}"
        entry: dict[str, Any] = {
            "SPDXID": spdx_id,
            "name": package.name,
            "versionInfo": package.version,
            "downloadLocation": NOASSERTION,
            "filesAnalyzed": False,
            "licenseConcluded": NOASSERTION,
            "licenseDeclared": package.license or NOASSERTION,
            "copyrightText": NOASSERTION,
            "primaryPackagePurpose": "LIBRARY" if package.kind == "pypi" else "APPLICATION",
            "externalRefs": [_purl_ref(package.purl(contents.distro))],
        }
        if package.license_text:
            entry["licenseComments"] = package.license_text
        if package.location:
            entry["sourceInfo"] = f"installed in {package.location}"
        packages.append(entry)
        relationships.append({"spdxElementId": image_id, "relationshipType": "CONTAINS",
                              "relatedSpdxElement": spdx_id})
    return {
        "spdxVersion": SPDX_VERSION,
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"{subject.repository}:{subject.version} {subject.platform}",
        "documentNamespace": namespace,
        "creationInfo": {"created": spdx_time(created), "creators": [f"Tool: connector-pipelines-{tool_version}"]},
        "packages": packages,
        "relationships": relationships,
    }


def document_bytes(document: dict[str, Any]) -> bytes:
    """How an SBOM or a provenance statement is stored and attached: the same bytes in both places."""
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def spdx_time(created: str | None) -> str:
    """SPDX wants ``YYYY-MM-DDThh:mm:ssZ``; an image's ``created`` may carry nanoseconds or none at all."""
    when = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    if created:
        trimmed = re.sub(r"(\.\d+)", "", created).replace("Z", "+00:00")
        try:
            when = dt.datetime.fromisoformat(trimmed).astimezone(dt.UTC)
        except ValueError:
            pass
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _site_folder(path: str) -> str:
    """The folder holding the distribution's ``*.dist-info`` / ``*.egg-info``."""
    return path.rsplit("/", 2)[0] if path.endswith(("/METADATA", "/PKG-INFO")) else path.rsplit("/", 1)[0]


def _purl_ref(locator: str) -> dict[str, str]:
    return {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": locator}


def _license_text(license_field: str | None, classifiers: list[str]) -> str | None:
    parts = []
    if license_field and license_field.strip() and license_field.strip().upper() != "UNKNOWN":
        first_line = license_field.strip().splitlines()[0]
        parts.append(f"License: {first_line[:200]}")
    parts += [c.removeprefix("License :: ") for c in classifiers if c.startswith("License ::")]
    return "; ".join(parts) or None


def _distro(files: dict[str, bytes]) -> str | None:
    for path in OS_RELEASE:
        if path in files:
            values = dict(line.split("=", 1) for line in files[path].decode(errors="replace").splitlines()
                          if "=" in line)
            distro_id = values.get("ID", "").strip('"')
            version_id = values.get("VERSION_ID", "").strip('"')
            if distro_id:
                return f"{distro_id}-{version_id}" if version_id else distro_id
    return None
