"""What the console's browser tests share: signing in through the runner's local dev issuer,
posting leads, and signing a Twilio inbound text the way Twilio does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import urllib.parse

TWILIO_TOKEN = "twilio-test-token"
TWILIO_ENV = {"LEADFLOW_SECRET_TWILIO_AUTH_TOKEN": TWILIO_TOKEN}

# Any console page but the sign-in steps.
CONSOLE_PAGE = re.compile(r"/console/(?!sign-in|auth/)")


def sign_in(page, runner, user: str, role: str = "agent", facilities=(), then: str | None = None) -> None:
    """Signs in through the console's sign-in page and the local dev issuer (the same
    authorization-code flow with PKCE as the deployed console), landing on `then` (a console
    path) or the inbox."""
    start = runner.base_url + (then or "/console/")
    page.goto(start)
    page.get_by_role("link", name="Sign in").click()
    page.fill("#user", user)
    page.select_option("#role", role)
    for f in facilities:
        page.check(f"input[name=facility][value={f}]")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(CONSOLE_PAGE)


def new_lead(runner, **fields) -> str:
    """Posts a lead through the public form route; the id of the lead it opened or joined."""
    r = runner.post_lead(fields)
    assert r.status == 202, r.body
    return runner.lead_of(r)


def twilio_inbound(runner, sender: str, body: str, sid: str):
    """Posts an inbound text to the Twilio webhook, signed as Twilio signs it (the URL it called
    and the POST parameters sorted by name, HMAC-SHA1, base64)."""
    url = runner.base_url + "/webhooks/twilio/sms"
    params = {"MessageSid": sid, "From": sender, "To": "+12015550100", "Body": body}
    signed = url + "".join(k + v for k, v in sorted(params.items()))
    signature = base64.b64encode(hmac.new(TWILIO_TOKEN.encode(), signed.encode(), hashlib.sha1).digest()).decode()
    return runner.request(
        "POST",
        "/webhooks/twilio/sms",
        urllib.parse.urlencode(params),
        headers={"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature},
    )
