"""Every URL of the language (an account's ``instance``, a media ``url``) is https on a
public DNS name: no IP literal in any spelling, no name that stays inside a machine or a
private network (E701). The addresses are checked again at run time
(tests/integration/test_safe_url.py)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from schema.brand import Account
from schema.campaign import Media

REFUSED = {
    "http://mastodon.social": "the scheme is http",
    "https://127.0.0.1": "an IP address",
    "https://2130706433": "an IP address",  # decimal 127.0.0.1
    "https://0x7f000001": "an IP address",  # hex
    "https://0177.0.0.1": "an IP address",  # octal
    "https://127.1": "an IP address",  # shortened
    "https://169.254.169.254/latest/meta-data": "an IP address",  # cloud metadata
    "https://10.0.0.7": "an IP address",
    "https://[::1]": "an IP address",
    "https://[::ffff:127.0.0.1]": "an IP address",  # IPv4-mapped
    "https://[fe80::1]": "an IP address",
    "https://localhost": "without a dot",
    "https://LOCALHOST.": "without a dot",
    "https://metadata": "without a dot",
    "https://api.localhost": "under .localhost",
    "https://printer.local": "under .local",
    "https://metadata.google.internal/computeMetadata/v1": "under .internal",
    "https://ip-10-0-0-1.ec2.internal": "under .internal",
    "https://router.home.arpa": "under .home.arpa",
    "https://nas.lan": "under .lan",
    "https://x.invalid": "under .invalid",
    "https://1.0.0.127.in-addr.arpa": "under .in-addr.arpa",
    "https://mastodon.social@127.0.0.1": "a user or password",
}
ACCEPTED = ["https://mastodon.social", "https://pds.acme.example:8443/",
            "https://bücher.example/a.jpg", "https://cdn.acme.example/img/a.jpg?v=2"]  # fmt: skip


def _error(model: type[BaseModel], data: dict[str, str]) -> dict[str, object]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    (only,) = caught.value.errors()
    return dict(only)


@pytest.mark.parametrize("url", sorted(REFUSED))
def test_an_instance_that_is_not_a_public_https_name_is_refused(url: str) -> None:
    # GIVEN a Mastodon account whose server is not https on a public DNS name
    # WHEN the account is validated
    error = _error(Account, {"handle": "@brand", "instance": url, "secret": "socialops/a/m"})
    # THEN it is refused as E701's kind, saying why
    assert error["type"] == "so_url" and error["loc"] == ("instance",)
    assert REFUSED[url] in str(error["msg"])


@pytest.mark.parametrize("url", sorted(REFUSED))
def test_a_media_url_that_is_not_a_public_https_name_is_refused(url: str) -> None:
    error = _error(Media, {"url": url})
    assert error["type"] == "so_url" and error["loc"] == ("url",)


@pytest.mark.parametrize("url", ACCEPTED)
def test_public_https_urls_are_accepted(url: str) -> None:
    assert Account(handle="@b", instance=url, secret="s").instance is not None
    assert Media(url=url).url.scheme == "https"


def test_the_message_does_not_repeat_a_password_in_the_url() -> None:
    error = _error(Media, {"url": "https://bob:hunter2@cdn.acme.example/a.jpg"})
    assert "a user or password" in str(error["msg"]) and "hunter2" not in str(error["msg"])


def test_what_is_not_a_url_stays_an_invalid_value() -> None:
    # a plain mistake is still E204's url_parsing, not a security refusal
    assert _error(Media, {"url": "cdn/a.jpg"})["type"] == "url_parsing"
