"""A small LMS for the tests: it signs real RS256 launches and serves, over HTTP on
127.0.0.1, what an LTI 1.3 platform serves a tool: its JWKS, an OAuth 2 token endpoint
(client_credentials with a JWT assertion the tool signs), AGS line-item scores, an NRPS
roster, and the two endpoints of dynamic registration.

The browser side of a launch (the LMS's authorization endpoint answering /lti/login/'s
redirect with a form post to /lti/launch/) is `TestLms.launch`, driven through the
Django test client.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
SCORE_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key, kid: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


@dataclass
class Received:
    """What the LMS's endpoints were sent."""

    scores: list[dict] = field(default_factory=list)  # {"path", "body"}
    token_requests: list[dict] = field(default_factory=list)  # the verified assertions
    registrations: list[dict] = field(default_factory=list)  # dynamic registration bodies
    roster_reads: int = 0


class TestLms:
    __test__ = False  # not a test class for pytest

    def __init__(self) -> None:
        self.key = new_key()
        self.kid = "lms-key-1"
        self.client_id = "tool-client-1"
        self.deployment_id = "deployment-1"
        self.registration_token = "reg-token-" + uuid.uuid4().hex
        self.tool_jwks: dict | None = None  # the tool's /lti/jwks/, to check its assertions
        self.scores_answer = 200  # 503: the LMS is down; 400/403: it refuses the score
        self.members: list[dict] = []
        self.received = Received()
        self._tokens: set[str] = set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.issuer = self.base
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- life -----------------------------------------------------------------------
    def start(self) -> TestLms:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- URLs -----------------------------------------------------------------------
    @property
    def auth_login_url(self) -> str:
        return self.base + "/auth"

    @property
    def token_url(self) -> str:
        return self.base + "/token"

    @property
    def jwks_url(self) -> str:
        return self.base + "/jwks"

    def line_item(self, n: int = 1) -> str:
        return f"{self.base}/courses/7/lineitems/{n}/lineitem"

    @property
    def memberships_url(self) -> str:
        return self.base + "/courses/7/memberships"

    @property
    def openid_configuration_url(self) -> str:
        return self.base + "/.well-known/openid-configuration"

    def jwks(self) -> dict:
        return {"keys": [public_jwk(self.key, self.kid)]}

    # --- messages -------------------------------------------------------------------
    def sign(self, claims: dict, *, key=None, kid: str | None = None, alg: str = "RS256") -> str:
        if alg == "none":
            return jwt.encode(claims, None, algorithm="none", headers={"kid": kid or self.kid})
        return jwt.encode(claims, key or self.key, algorithm=alg, headers={"kid": kid or self.kid})

    def claims(
        self,
        *,
        nonce: str,
        sub: str = "lms-user-1",
        roles=(LEARNER,),
        message_type: str = "LtiResourceLinkRequest",
        resource_link_id: str = "link-1",
        custom: dict | None = None,
        line_item: int | None = 1,
        context_id: str = "course-7",
        **extra,
    ) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "given_name": "Leyla",
            "family_name": "Huseynova",
            "email": "leyla@university.example",
            CLAIM + "message_type": message_type,
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.deployment_id,
            CLAIM + "target_link_uri": "http://testserver/lti/launch/",
            CLAIM + "roles": list(roles),
            CLAIM + "context": {"id": context_id, "label": "DS-101", "title": "Data science 101"},
            NRPS: {"context_memberships_url": self.memberships_url, "service_versions": ["2.0"]},
        }
        if message_type == "LtiResourceLinkRequest":
            claims[CLAIM + "resource_link"] = {"id": resource_link_id, "title": "Squares"}
            if custom:
                claims[CLAIM + "custom"] = custom
            if line_item is not None:
                claims[AGS] = {
                    "scope": SCORE_SCOPES,
                    "lineitems": f"{self.base}/courses/7/lineitems",
                    "lineitem": self.line_item(line_item),
                }
        else:
            claims[DL] = {
                "deep_link_return_url": self.base + "/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "data": "opaque-platform-data",
            }
        claims.update(extra)
        return claims

    def login(self, client, *, login_hint: str = "lms-user-1", issuer: str | None = None):
        """The LMS starts the OIDC login (third-party initiated); returns the response."""
        return client.post(
            "/lti/login/",
            {
                "iss": issuer or self.issuer,
                "login_hint": login_hint,
                "target_link_uri": "http://testserver/lti/launch/",
                "client_id": self.client_id,
                "lti_deployment_id": self.deployment_id,
                "lti_message_hint": "hint-1",
            },
        )

    def launch(self, client, *, sign=None, tamper=None, headers=None, **claim_args):
        """Login, then the launch with the state and nonce the tool asked for: the id_token
        is signed (`sign(claims) -> token` to sign otherwise), `tamper(claims)` changes
        the claims first. Returns (the launch response, the posted form)."""
        redirect = self.login(client, login_hint=claim_args.get("sub", "lms-user-1"))
        assert redirect.status_code == 302, redirect.content
        location = urlsplit(redirect["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == self.auth_login_url
        query = {k: v[0] for k, v in parse_qs(location.query).items()}
        assert query["redirect_uri"] == "http://testserver/lti/launch/"
        assert query["client_id"] == self.client_id
        claims = self.claims(nonce=query["nonce"], **claim_args)
        if tamper:
            tamper(claims)
        form = {"id_token": (sign or self.sign)(claims), "state": query["state"]}
        return client.post("/lti/launch/", form, **(headers or {})), form

    # --- HTTP -----------------------------------------------------------------------
    def _check_assertion(self, assertion: str) -> dict:
        """The tool's client_credentials assertion, as an LMS checks it."""
        assert self.tool_jwks, "the test gives the LMS the tool's JWKS first"
        kid = jwt.get_unverified_header(assertion)["kid"]
        key = next(k for k in self.tool_jwks["keys"] if k["kid"] == kid)
        return jwt.decode(
            assertion,
            jwt.PyJWK(key).key,
            algorithms=["RS256"],
            audience=self.token_url,
            issuer=self.client_id,
        )

    def _handler(self):
        lms = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body, content_type="application/json"):
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _authorized(self) -> bool:
                auth = self.headers.get("Authorization", "")
                return auth.startswith("Bearer ") and auth[7:] in lms._tokens

            def do_GET(self):
                path = urlsplit(self.path).path
                if path == "/jwks":
                    return self._send(200, lms.jwks())
                if path == "/.well-known/openid-configuration":
                    return self._send(
                        200,
                        {
                            "issuer": lms.issuer,
                            "authorization_endpoint": lms.auth_login_url,
                            "token_endpoint": lms.token_url,
                            "jwks_uri": lms.jwks_url,
                            "registration_endpoint": lms.base + "/register",
                            "scopes_supported": ["openid"],
                            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                                "product_family_code": "test-lms",
                                "version": "1.0",
                            },
                        },
                    )
                if path == "/courses/7/memberships":
                    if not self._authorized():
                        return self._send(401, {"error": "no token"})
                    lms.received.roster_reads += 1
                    return self._send(
                        200,
                        {
                            "id": lms.memberships_url,
                            "context": {"id": "course-7"},
                            "members": lms.members,
                        },
                        "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
                    )
                return self._send(404, {"error": "not found"})

            def do_POST(self):
                path = urlsplit(self.path).path
                body = self._body()
                if path == "/token":
                    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                    try:
                        assertion = lms._check_assertion(form["client_assertion"])
                    except Exception as exc:
                        return self._send(401, {"error": "invalid_client", "reason": str(exc)})
                    lms.received.token_requests.append({**assertion, "scope": form.get("scope")})
                    token = "access-" + uuid.uuid4().hex
                    lms._tokens.add(token)
                    return self._send(
                        200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
                    )
                if path.endswith("/lineitem/scores"):
                    if not self._authorized():
                        return self._send(401, {"error": "no token"})
                    if lms.scores_answer != 200:
                        return self._send(
                            lms.scores_answer,
                            {"error": "the LMS says no", "status": lms.scores_answer},
                        )
                    lms.received.scores.append({"path": path, "body": json.loads(body)})
                    return self._send(200, {})
                if path == "/register":
                    if self.headers.get("Authorization") != f"Bearer {lms.registration_token}":
                        return self._send(401, {"error": "bad registration token"})
                    request = json.loads(body)
                    lms.received.registrations.append(request)
                    return self._send(
                        200,
                        {
                            **request,
                            "client_id": lms.client_id,
                            "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                                **request["https://purl.imsglobal.org/spec/lti-tool-configuration"],
                                "deployment_id": lms.deployment_id,
                            },
                        },
                    )
                return self._send(404, {"error": "not found"})

        return Handler
