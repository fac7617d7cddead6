"""Signing in as the test users (their hashes go into every test config through
``AUTH_YAML``): a form login in a browser, as a person does it, or a requests session."""

from __future__ import annotations

from typing import Final

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from wall.auth.passwords import hash_password

PASSWORDS: Final = {
    "viewer": "viewer-pass-1",
    "operator": "operator-pass-1",
    "admin": "admin-pass-1",
}
AUTH_YAML: Final = "auth:\n  users:\n" + "".join(
    f"    - {{name: {role}, role: {role}, password_hash: '{hash_password(password)}'}}\n"
    for role, password in PASSWORDS.items()
)
SIGN_IN_S: Final = 30.0  # a loaded machine verifies the hash and redirects slowly


def sign_in(
    driver: WebDriver,
    base: str,
    role: str = "viewer",
    then: str = "/wall",
    password: str | None = None,
) -> None:
    """Sign in through the login form, landing on ``then``; ``password`` for users
    other than the test users (the demo's own)."""
    driver.get(f"{base}/login?next={then}")
    driver.find_element(By.ID, "name").send_keys(role)
    driver.find_element(By.ID, "password").send_keys(password or PASSWORDS[role])
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, SIGN_IN_S).until(
        lambda d: "/login" not in d.current_url, f"{role} could not sign in"
    )


def http_session(base: str, role: str = "viewer") -> requests.Session:
    """A requests session signed in as ``role`` (Origin set: the gate refuses others)."""
    session = requests.Session()
    session.headers["Origin"] = base
    answer = session.post(
        f"{base}/login", data={"name": role, "password": PASSWORDS[role]},
        allow_redirects=False, timeout=10,
    )  # fmt: skip
    if answer.status_code != 302:
        raise RuntimeError(f"{role} could not sign in: {answer.status_code} {answer.text}")
    return session
