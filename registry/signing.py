"""Keys and signatures in cosign's format, so cosign and this tool verify each other's work.

A signature is ECDSA P-256 over SHA-256 of the signed bytes, ASN.1 DER, base64 (what
``cosign sign-blob`` prints and what the ``dev.cosignproject.cosign/signature`` annotation holds).
Private keys are read from cosign's own encrypted PEM (``cosign generate-key-pair``: scrypt, then
NaCl secretbox over the PKCS#8 key) or from a plain PEM EC key; public keys are PKIX PEM.

    key = load_signing_key(Path("cosign.key").read_bytes(), password)
    signature = key.sign(data)                        # base64 text
    load_public_key(pub_pem).verify(data, signature)  # True / False
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import nacl.exceptions
import nacl.secret
import nacl.utils
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from connector_build.problems import UserError
from registry.secrets import register_secret

COSIGN_KEY_PEM_TYPES = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")
"""What ``cosign generate-key-pair`` writes (the second by releases before 2.0); both are read."""
KEY_ENV = "COSIGN_PRIVATE_KEY"
"""The private key's PEM text, when no ``--signing-key`` file is given (the name cosign's CI docs use)."""
PASSWORD_ENV = "COSIGN_PASSWORD"
"""The key's password, as cosign itself reads it; never logged."""
SIMPLE_SIGNING_TYPE = "cosign container image signature"
# scrypt parameters cosign writes today (go-securesystemslib's "standard" set) and a salt as long.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SALT_BYTES = 65536, 8, 1, 32
_SCRYPT_MAXMEM = 512 * 1024 * 1024  # 128 * r * N is 64 MiB for cosign's keys; hashlib's default allows 32


class SigningKeyError(UserError):
    """A key that cannot be read or used; the message never holds the key or its password."""


@dataclass(frozen=True)
class PublicKey:
    key: ec.EllipticCurvePublicKey = field(repr=False)

    def verify(self, data: bytes, signature_b64: str) -> bool:
        """True when ``signature_b64`` (base64 DER) is this key's ECDSA-SHA256 signature of ``data``."""
        try:
            signature = base64.b64decode(signature_b64.strip(), validate=True)
            self.key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True

    def pem(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def key_id(self) -> str:
        """A short fingerprint to name the key in messages: sha256 of its DER, 12 hex digits."""
        der = self.key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(der).hexdigest()[:12]


@dataclass(frozen=True)
class SigningKey:
    key: ec.EllipticCurvePrivateKey = field(repr=False)

    def sign(self, data: bytes) -> str:
        """Base64 of the DER ECDSA-SHA256 signature of ``data``."""
        return base64.b64encode(self.key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()

    @property
    def public_key(self) -> PublicKey:
        return PublicKey(self.key.public_key())


def generate_signing_key() -> SigningKey:
    return SigningKey(ec.generate_private_key(ec.SECP256R1()))


def load_signing_key(pem: bytes, password: str | None) -> SigningKey:
    """A cosign encrypted key (with ``password``), or a PEM PKCS#8 / SEC1 EC key (encrypted or not)."""
    register_secret(password)
    kind = _pem_type(pem)
    if kind in COSIGN_KEY_PEM_TYPES:
        if password is None:
            raise SigningKeyError(f"the signing key is a cosign encrypted key: set {PASSWORD_ENV} to its password")
        der = _decrypt_cosign_key(_pem_body(pem), password)
        try:
            key = serialization.load_der_private_key(der, password=None)
        except ValueError:
            raise SigningKeyError("the decrypted cosign key is not a PKCS#8 private key") from None
    elif kind in ("PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"):
        try:
            key = serialization.load_pem_private_key(
                pem, password=password.encode() if password and kind == "ENCRYPTED PRIVATE KEY" else None)
        except (ValueError, TypeError):
            raise SigningKeyError(f"cannot read the {kind} PEM signing key (wrong password, or not a key)") from None
    else:
        raise SigningKeyError(f"the signing key is not a cosign key or a PEM private key (found {kind or 'no PEM'})")
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SigningKeyError("the signing key must be an ECDSA P-256 key (what `cosign generate-key-pair` makes)")
    return SigningKey(key)


def load_public_key(pem: bytes) -> PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        raise SigningKeyError("the public key is not a PEM public key (`cosign public-key` prints one)") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SigningKeyError("the public key must be an ECDSA P-256 key")
    return PublicKey(key)


def read_public_key(path: Path) -> PublicKey:
    try:
        return load_public_key(path.read_bytes())
    except OSError as exc:
        raise SigningKeyError(f"cannot read the public key {path}: {exc.strerror}") from None


def signing_key_from(path: Path | None, env: dict[str, str] | None = None) -> SigningKey | None:
    """The key named by ``--signing-key``, else the PEM in $COSIGN_PRIVATE_KEY, else None (no signing).

    The password comes from $COSIGN_PASSWORD only: never from the command line, where it would show."""
    env = dict(os.environ) if env is None else env
    password = env.get(PASSWORD_ENV)
    register_secret(password)
    if path is not None:
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise SigningKeyError(f"cannot read the signing key {path}: {exc.strerror}") from None
    elif env.get(KEY_ENV):
        pem = env[KEY_ENV].encode()
    else:
        return None
    return load_signing_key(pem, password)


def encrypt_cosign_key(key: SigningKey, password: str) -> bytes:
    """``key`` as ``cosign generate-key-pair`` writes it: an ENCRYPTED SIGSTORE PRIVATE KEY PEM."""
    der = key.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    salt = nacl.utils.random(_SALT_BYTES)
    box_key = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P,
                             maxmem=_SCRYPT_MAXMEM, dklen=nacl.secret.SecretBox.KEY_SIZE)
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    sealed = nacl.secret.SecretBox(box_key).encrypt(der, nonce).ciphertext
    envelope = {
        "kdf": {"name": "scrypt", "params": {"N": _SCRYPT_N, "r": _SCRYPT_R, "p": _SCRYPT_P},
                "salt": base64.b64encode(salt).decode()},
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    body = base64.encodebytes(json.dumps(envelope).encode()).decode().replace("\n", "")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    kind = COSIGN_KEY_PEM_TYPES[0]
    return (f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----\n").encode()


def _decrypt_cosign_key(envelope_bytes: bytes, password: str) -> bytes:
    """go-securesystemslib's ``encrypted`` envelope: scrypt(password, salt) is the secretbox key."""
    try:
        envelope = json.loads(envelope_bytes)
        kdf, cipher = envelope["kdf"], envelope["cipher"]
        if kdf["name"] != "scrypt" or cipher["name"] != "nacl/secretbox":
            raise SigningKeyError(f"cosign key uses {kdf['name']} + {cipher['name']}, not scrypt + nacl/secretbox")
        params = kdf["params"]
        salt, nonce = base64.b64decode(kdf["salt"]), base64.b64decode(cipher["nonce"])
        ciphertext = base64.b64decode(envelope["ciphertext"])
        box_key = hashlib.scrypt(password.encode(), salt=salt, n=int(params["N"]), r=int(params["r"]),
                                 p=int(params["p"]), maxmem=_SCRYPT_MAXMEM, dklen=nacl.secret.SecretBox.KEY_SIZE)
    except (ValueError, KeyError, TypeError):
        raise SigningKeyError("the cosign key file is damaged (its encrypted envelope cannot be read)") from None
    try:
        return nacl.secret.SecretBox(box_key).decrypt(ciphertext, nonce)
    except nacl.exceptions.CryptoError:
        raise SigningKeyError(f"cannot decrypt the cosign key: wrong password in {PASSWORD_ENV}") from None


def _pem_type(pem: bytes) -> str | None:
    text = pem.decode("ascii", errors="replace")
    start = text.find("-----BEGIN ")
    if start < 0:
        return None
    end = text.find("-----", start + 11)
    return text[start + 11:end] if end > 0 else None


def _pem_body(pem: bytes) -> bytes:
    lines = pem.decode("ascii", errors="replace").strip().splitlines()
    body = [line for line in lines if line and not line.startswith("-----")]
    try:
        return base64.b64decode("".join(body))
    except ValueError:
        raise SigningKeyError("the signing key's PEM body is not base64") from None


# -- what is signed ---------------------------------------------------------------------------


def simple_signing_payload(docker_reference: str, digest: str) -> bytes:
    """cosign's payload for an image signature, byte for byte as cosign marshals it (Go's field
    order, no spaces): what ``cosign sign`` signs for ``docker_reference@digest``."""
    payload = {
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": digest},
            "type": SIMPLE_SIGNING_TYPE,
        },
        "optional": None,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


@dataclass(frozen=True)
class SignedClaim:
    """What a simple-signing payload claims: this repository's image with this digest."""

    docker_reference: str
    digest: str


def read_simple_signing_payload(payload: bytes) -> SignedClaim | None:
    """The claim in a payload cosign or this tool wrote; None when it is not one."""
    try:
        critical = json.loads(payload)["critical"]
        if critical["type"] != SIMPLE_SIGNING_TYPE:
            return None
        return SignedClaim(str(critical["identity"]["docker-reference"]),
                           str(critical["image"]["docker-manifest-digest"]))
    except (ValueError, KeyError, TypeError):
        return None
