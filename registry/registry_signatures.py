"""Detached signatures of the two registry files, beside them in the store.

``registries/v0/oss_registry.json.sig`` holds what ``cosign sign-blob --key`` would print for
the file (base64 DER ECDSA-SHA256), so ``cosign verify-blob --key cosign.pub --signature
oss_registry.json.sig --insecure-ignore-tlog oss_registry.json`` accepts it too.

    sign_registry_files(store, key)                       # after every regeneration with a key
    checks = verify_registry_files(store.read_bytes, key)  # or an HTTP reader for a served store
"""

from __future__ import annotations

from collections.abc import Callable

from registry import layout
from registry.models import REGISTRIES
from registry.signing import PublicKey, SigningKey
from registry.store import Store
from registry.verify_checks import Check

Reader = Callable[[str], bytes | None]
"""A store-relative path's bytes, None when absent: ``Store.read_bytes``, or a GET under a base URL."""


def sign_registry_files(store: Store, key: SigningKey) -> list[str]:
    """Write the ``.sig`` beside each registry file present; a signature that still verifies is
    kept (ECDSA signatures differ each time: rewriting would churn the store). Returns the paths written."""
    written = []
    for registry in REGISTRIES:
        data = store.read_bytes(layout.registry_file(registry))
        if data is None:
            continue
        path = layout.registry_signature_file(registry)
        current = store.read_bytes(path)
        if current is not None and key.public_key.verify(data, current.decode("ascii", "replace")):
            continue
        store.write_bytes_atomic(path, key.sign(data).encode())
        written.append(path)
    return written


def drop_stale_signatures(store: Store, changed: list[str]) -> list[str]:
    """After a regeneration without a key: the ``.sig`` of a rewritten registry file signs what is
    no longer there, so it goes (verify then says "not signed" rather than "does not match")."""
    dropped = []
    for registry in REGISTRIES:
        if layout.registry_file(registry) in changed and store.delete(layout.registry_signature_file(registry)):
            dropped.append(layout.registry_signature_file(registry))
    return dropped


def verify_registry_files(read: Reader, key: PublicKey) -> list[Check]:
    """One check per registry file: present, signed, and signed by ``key``."""
    checks = []
    for registry in REGISTRIES:
        path, sig_path = layout.registry_file(registry), layout.registry_signature_file(registry)
        data = read(path)
        if data is None:
            checks.append(Check(f"{registry} registry", False, path, "no such file"))
            continue
        signature = read(sig_path)
        if signature is None:
            checks.append(Check(f"{registry} registry", False, path, f"not signed: no {sig_path}"))
        elif key.verify(data, signature.decode("ascii", "replace")):
            checks.append(Check(f"{registry} registry", True, path, f"signed by key {key.key_id}"))
        else:
            checks.append(Check(f"{registry} registry", False, path,
                                f"{sig_path} does not verify with key {key.key_id}: the file was changed "
                                "after signing, or another key signed it"))
    return checks
