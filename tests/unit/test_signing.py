"""Keys, payloads and detached signatures in cosign's format, in process.

Interoperability with the real cosign (its key files, its signatures) is shown in
tests/integration/test_cosign_interop.py; here, the formats and every way a key is refused.
"""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from registry import layout
from registry.compile import generate_registries
from registry.image_signatures import docker_reference, signature_tag
from registry.registry_signatures import verify_registry_files
from registry.secrets import redact
from registry.signing import (
    SigningKeyError,
    encrypt_cosign_key,
    generate_signing_key,
    load_public_key,
    load_signing_key,
    read_simple_signing_payload,
    signing_key_from,
    simple_signing_payload,
)
from registry.store import Store

DIGEST = "sha256:" + "ab" * 32



def test_payload_is_byte_for_byte_what_cosign_signs() -> None:
    payload = simple_signing_payload("localhost:5000/airbyte/source-x", DIGEST)
    assert payload == (b'{"critical":{"identity":{"docker-reference":"localhost:5000/airbyte/source-x"},'
                       b'"image":{"docker-manifest-digest":"' + DIGEST.encode() + b'"},'
                       b'"type":"cosign container image signature"},"optional":null}')
    claim = read_simple_signing_payload(payload)
    assert claim is not None and (claim.docker_reference, claim.digest) == ("localhost:5000/airbyte/source-x", DIGEST)
    assert read_simple_signing_payload(b'{"critical":{"type":"something else"}}') is None
    assert read_simple_signing_payload(b"not json") is None


def test_signature_tag_and_reference_follow_cosign() -> None:
    assert signature_tag(DIGEST) == "sha256-" + "ab" * 32 + ".sig"
    assert docker_reference("localhost:5000", "airbyte/source-x") == "localhost:5000/airbyte/source-x"
    assert docker_reference("docker.io", "airbyte/source-x") == "index.docker.io/airbyte/source-x"


def test_sign_and_verify_round_trip_and_reject_changes() -> None:
    key = generate_signing_key()
    signature = key.sign(b"registry bytes")
    assert key.public_key.verify(b"registry bytes", signature)
    assert not key.public_key.verify(b"registry bytez", signature)
    assert not generate_signing_key().public_key.verify(b"registry bytes", signature)
    assert not key.public_key.verify(b"registry bytes", "not base64!")
    der = base64.b64decode(signature)
    assert der[0] == 0x30  # ASN.1 DER sequence, as cosign writes it


def test_cosign_encrypted_key_round_trip_and_wrong_password() -> None:
    key = generate_signing_key()
    pem = encrypt_cosign_key(key, "correct horse")
    assert pem.startswith(b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    envelope = json.loads(base64.b64decode(b"".join(pem.splitlines()[1:-1])))
    assert envelope["kdf"]["name"] == "scrypt" and envelope["cipher"]["name"] == "nacl/secretbox"
    loaded = load_signing_key(pem, "correct horse")
    assert loaded.public_key.pem() == key.public_key.pem()
    with pytest.raises(SigningKeyError, match="wrong password in COSIGN_PASSWORD") as refused:
        load_signing_key(pem, "wrong horse")
    assert "wrong horse" not in str(refused.value)
    with pytest.raises(SigningKeyError, match="set COSIGN_PASSWORD"):
        load_signing_key(pem, None)


def test_plain_pem_keys_are_read_and_other_curves_refused() -> None:
    key = generate_signing_key()
    pkcs8 = key.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    sec1 = key.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                 serialization.NoEncryption())
    for pem in (pkcs8, sec1):
        assert load_signing_key(pem, None).public_key.pem() == key.public_key.pem()
    p384 = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(SigningKeyError, match="P-256"):
        load_signing_key(p384, None)
    with pytest.raises(SigningKeyError, match="not a cosign key or a PEM private key"):
        load_signing_key(b"hello", None)
    with pytest.raises(SigningKeyError, match="not a PEM public key"):
        load_public_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


def test_key_from_file_or_environment_and_password_is_redacted(tmp_path) -> None:
    key = generate_signing_key()
    password = f"pw-{uuid.uuid4().hex}"
    pem = encrypt_cosign_key(key, password)
    (tmp_path / "cosign.key").write_bytes(pem)
    env = {"COSIGN_PASSWORD": password}
    from_file = signing_key_from(tmp_path / "cosign.key", env)
    from_env = signing_key_from(None, {**env, "COSIGN_PRIVATE_KEY": pem.decode()})
    assert from_file is not None and from_env is not None
    assert from_file.public_key.pem() == from_env.public_key.pem() == key.public_key.pem()
    assert signing_key_from(None, {}) is None
    assert redact(f"password is {password}") == "password is ***"
    assert password not in repr(from_file)
    with pytest.raises(SigningKeyError, match="cannot read the signing key"):
        signing_key_from(tmp_path / "missing.key", env)


def _publish_entry(store: Store, repository: str = "airbyte/source-x", version: str = "1.0.0") -> None:
    entry = {"sourceDefinitionId": str(uuid.uuid5(uuid.NAMESPACE_URL, repository)), "name": "X",
             "dockerRepository": repository, "dockerImageTag": version, "documentationUrl": "https://x.example",
             "sourceType": "api", "spec": {"connectionSpecification": {}}, "supportLevel": "community",
             "releaseStage": "alpha", "license": "MIT", "public": True, "custom": False, "tombstone": False}
    for registry in ("oss", "cloud"):
        store.write_bytes_atomic(layout.channel_file(repository, layout.LATEST, f"{registry}.json"),
                                 json.dumps(entry).encode())


def test_regeneration_signs_registry_files_and_keeps_a_valid_signature(store) -> None:
    key = generate_signing_key()
    _publish_entry(store)
    generate_registries(store, base_url="http://files.example/", signing_key=key)
    checks = verify_registry_files(store.read_bytes, key.public_key)
    assert [c.ok for c in checks] == [True, True], [c.line() for c in checks]
    first = store.read_bytes(layout.registry_signature_file("oss"))
    generate_registries(store, base_url="http://files.example/", signing_key=key)
    assert store.read_bytes(layout.registry_signature_file("oss")) == first  # unchanged file: signature kept


def test_verify_names_the_changed_or_unsigned_file(store) -> None:
    key = generate_signing_key()
    _publish_entry(store)
    generate_registries(store, base_url="http://files.example/", signing_key=key)
    path = layout.registry_file("oss")
    store.write_bytes_atomic(path, store.read_bytes(path).replace(b'"X"', b'"Y"'))  # type: ignore[union-attr]
    checks = {c.name: c for c in verify_registry_files(store.read_bytes, key.public_key)}
    assert not checks["oss registry"].ok and checks["cloud registry"].ok
    assert "oss_registry.json.sig does not verify" in checks["oss registry"].line()
    other = generate_signing_key().public_key
    assert not any(c.ok for c in verify_registry_files(store.read_bytes, other))


def test_regeneration_without_a_key_drops_the_signature_of_a_changed_file(store) -> None:
    key = generate_signing_key()
    _publish_entry(store)
    generate_registries(store, base_url="http://files.example/", signing_key=key)
    generate_registries(store, base_url="http://files.example/")  # nothing changed: signatures stay
    assert store.exists(layout.registry_signature_file("oss"))
    _publish_entry(store, version="1.0.1")
    generate_registries(store, base_url="http://files.example/")
    assert not store.exists(layout.registry_signature_file("oss"))
    checks = {c.name: c for c in verify_registry_files(store.read_bytes, key.public_key)}
    assert not checks["oss registry"].ok and "not signed" in checks["oss registry"].detail
