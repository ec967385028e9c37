"""A real OpenID Connect provider for the tests: node's `oidc-provider` (tests/sso/provider/),
started on 127.0.0.1 with signing keys the tests made, so a test can also sign a token with
the provider's own key and change one claim. Its development pages sign anyone in: the
login typed is the account (and the `sub`), any password does.

`npm ci` runs the first time (the npm registry, like the exercise editor's frontend/).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

FOLDER = Path(__file__).resolve().parent / "provider"
CLIENT_ID = "skills-platform"
CLIENT_SECRET = "provider-test-secret-0123456789"
KID = "provider-key-1"


def _npm_ci() -> None:
    marker = FOLDER / "node_modules" / ".installed"
    lock = FOLDER / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed for the single sign-on tests: apt-get install npm")
    subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"],
        cwd=FOLDER,
        check=True,
        timeout=300,
    )
    marker.touch()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class OpenIDProvider:
    issuer: str
    key: rsa.RSAPrivateKey
    process: subprocess.Popen
    log: Path
    accounts: dict = field(default_factory=dict)

    def sign(self, claims: dict, *, key=None, kid: str = KID, alg: str = "RS256") -> str:
        """A token signed as the provider signs (its key, its kid) unless told otherwise."""
        return jwt.encode(claims, key or self.key, algorithm=alg, headers={"kid": kid})

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_provider(
    tmp: Path, *, redirect_uris: list[str], post_logout_redirect_uris: list[str]
) -> OpenIDProvider:
    _npm_ci()
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    key = new_key()
    jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    jwk.pop("key_ops", None)  # PyJWT writes ["sign"]: the provider also verifies with it
    jwk.update({"kid": KID, "alg": "RS256", "use": "sig"})
    config = tmp / "provider.json"
    config.write_text(
        json.dumps(
            {
                "port": port,
                "issuer": issuer,
                "jwks": {"keys": [jwk]},
                "clients": [
                    {
                        "client_id": CLIENT_ID,
                        "client_secret": CLIENT_SECRET,
                        "redirect_uris": redirect_uris,
                        "post_logout_redirect_uris": post_logout_redirect_uris,
                    }
                ],
            }
        )
    )
    log = tmp / "provider.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            ["node", str(FOLDER / "provider.mjs"), str(config)],
            cwd=FOLDER,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    provider = OpenIDProvider(issuer, key, process, log)
    deadline = time.monotonic() + 30
    while f"ready {issuer}" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            provider.stop()
            raise RuntimeError(f"the test OpenID provider did not start:\n{log.read_text()}")
        time.sleep(0.05)
    return provider


def sign_in_at_provider(agent: requests.Session, url: str, *, login: str, rp: str) -> str:
    """What a person does at the provider: follow its redirects, sign in as `login` on its
    login page, confirm on its consent page. Returns the address it sends the browser back
    to on the platform (`rp`): the callback with code and state."""
    response = agent.get(url, allow_redirects=False)
    for _ in range(12):
        if response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(rp):
                return location
            response = agent.get(location, allow_redirects=False)
            continue
        assert response.status_code == 200, response.text[:2000]
        action = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', response.text)
        prompt = re.search(r'name="prompt" value="(\w+)"', response.text)
        assert action and prompt, response.text[:2000]
        data = {"prompt": prompt[1]}
        if prompt[1] == "login":
            data.update({"login": login, "password": "anything"})
        response = agent.post(urljoin(response.url, action[1]), data=data, allow_redirects=False)
    raise AssertionError("the provider never sent the browser back")


def log_out_at_provider(agent: requests.Session, url: str, *, rp: str) -> str:
    """The provider's logout page: "Yes, sign me out". Returns where it sends the browser."""
    response = agent.get(url, allow_redirects=False)
    assert response.status_code == 200, response.text[:2000]
    form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', response.text)
    assert form and xsrf, response.text[:2000]
    response = agent.post(
        urljoin(url, form[1]), data={"xsrf": xsrf[1], "logout": "yes"}, allow_redirects=False
    )
    for _ in range(5):
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(rp):
            return location
        response = agent.get(location, allow_redirects=False)
    raise AssertionError("the provider never sent the browser back after logout")
