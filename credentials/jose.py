"""Keys, signatures and the status list's bits, with joserfc (JWS, JWK) and nothing from
Django: what a verifier outside the platform does with the public JWK Set, the platform
does here the same way.

OB 3.0's JSON Web Token proof (https://www.imsglobal.org/spec/ob/v3p0/#jwt-proof): a
compact JWS whose header has alg, kid and typ "JWT" (no other header), and whose payload
is the credential itself with the claims iss (issuer.id), jti (id), nbf (validFrom) and
sub (credentialSubject.id).
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OKPKey

ALGORITHMS = ("ES256", "EdDSA")
THUMBPRINT_URI = "urn:ietf:params:oauth:jwk-thumbprint:sha-256:"


@dataclass(frozen=True)
class NewKey:
    kid: str
    algorithm: str
    private_key_pem: str
    public_jwk: dict


class Unverified(Exception):
    """The token is not a credential this key set vouches for; `code` says why:
    unreadable, unknown_key, bad_signature or inconsistent."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def generate_key(algorithm: str) -> NewKey:
    if algorithm == "ES256":
        key = ECKey.generate_key("P-256")
    elif algorithm == "EdDSA":
        key = OKPKey.generate_key("Ed25519")
    else:
        raise ValueError(f"unsupported algorithm {algorithm!r}; use one of {ALGORITHMS}")
    kid = THUMBPRINT_URI + key.thumbprint()
    public = {**key.as_dict(private=False), "kid": kid, "alg": algorithm, "use": "sig"}
    pem = key.as_pem(private=True)
    return NewKey(kid, algorithm, pem.decode() if isinstance(pem, bytes) else pem, public)


def _private_key(pem: str, algorithm: str):
    cls = ECKey if algorithm == "ES256" else OKPKey
    return cls.import_key(pem)


def sign(*, claims: dict, kid: str, algorithm: str, private_key_pem: str) -> str:
    """The compact JWS of `claims` (UTF-8 JSON), header exactly {alg, kid, typ}."""
    header = {"alg": algorithm, "kid": kid, "typ": "JWT"}
    payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
    return jws.serialize_compact(
        header, payload, _private_key(private_key_pem, algorithm), algorithms=[algorithm]
    )


def key_set(public_jwks: list[dict]) -> dict:
    return {"keys": list(public_jwks)}


def verify(token: str, jwk_set: dict) -> tuple[dict, dict]:
    """(header, payload) of a compact JWS signed by a key of `jwk_set` (matched by kid),
    whose payload is a consistent OB 3.0 credential; else Unverified."""
    token = token.strip()
    parts = token.split(".")
    if len(parts) != 3:
        raise Unverified("unreadable", "not a compact JWS (three parts separated by dots)")
    try:
        header = json.loads(_b64decode(parts[0]))
    except (ValueError, UnicodeDecodeError) as error:
        raise Unverified("unreadable", "the header is not base64url JSON") from error
    if not isinstance(header, dict) or header.get("alg") not in ALGORITHMS:
        raise Unverified("unreadable", f"algorithm {header.get('alg')!r} is not accepted")
    matching = [k for k in jwk_set.get("keys", []) if k.get("kid") == header.get("kid")]
    if not matching:
        raise Unverified("unknown_key", f"no key {header.get('kid')!r} in the issuer's key set")
    try:
        keys = KeySet.import_key_set({"keys": matching})
        signed = jws.deserialize_compact(token, keys, algorithms=[header["alg"]])
    except JoseError as error:
        raise Unverified("bad_signature", str(error)) from error
    except ValueError as error:  # a payload or signature that is not base64url
        raise Unverified("bad_signature", str(error)) from error
    try:
        payload = json.loads(signed.payload)
    except ValueError as error:
        raise Unverified("unreadable", "the payload is not JSON") from error
    check_claims(payload)
    return header, payload


def check_claims(payload: dict) -> None:
    """OB 3.0 "Verify a Credential VC-JWT Signature": the JWT claims agree with the
    credential they carry."""
    if not isinstance(payload, dict):
        raise Unverified("inconsistent", "the payload is not a credential")
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    subject = payload.get("credentialSubject") or {}
    valid_from = parse_time(payload.get("validFrom"))
    checks = [
        ("iss", payload.get("iss") == issuer_id and bool(issuer_id)),
        ("sub", payload.get("sub") == subject.get("id")),
        ("jti", payload.get("jti") == payload.get("id") and bool(payload.get("id"))),
        ("nbf", valid_from is not None and payload.get("nbf") == int(valid_from.timestamp())),
    ]
    for claim, ok in checks:
        if not ok:
            raise Unverified("inconsistent", f"the {claim} claim disagrees with the credential")
    if "OpenBadgeCredential" not in (payload.get("type") or []):
        raise Unverified("inconsistent", "not an OpenBadgeCredential")
    if valid_from > datetime.now(UTC):
        raise Unverified("inconsistent", "not valid yet (validFrom is in the future)")


def unverified_parts(token: str) -> tuple[dict, dict] | None:
    """The header and payload of a token, not verified: only to say what a refused file
    claims to be."""
    try:
        head, body, _sig = token.strip().split(".")
        return json.loads(_b64decode(head)), json.loads(_b64decode(body))
    except (ValueError, UnicodeDecodeError):
        return None


def parse_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# ---------------------------------------------------------------------------------------
# W3C Bitstring Status List v1.0: the left-most bit of the first byte is index 0; the
# bytes GZIP-compressed, base64url without padding, with the multibase prefix "u".
# ---------------------------------------------------------------------------------------
def encode_bits(size: int, set_indexes) -> str:
    bits = bytearray(size // 8 + (1 if size % 8 else 0))
    for index in set_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decode_bits(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("not a multibase base64url value")
    return gzip.decompress(_b64decode(encoded[1:]))


def bit_is_set(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
