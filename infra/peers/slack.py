"""Contract fake of a Slack incoming webhook: ``POST /services/T…/B…/<token>`` with a JSON
body holding ``text`` (or ``blocks``) answers 200 ``ok``; Slack's documented errors
otherwise (400 ``invalid_payload`` / ``no_text``, 404 ``no_service`` for an unknown or
revoked webhook), and ``fail_next("500")`` or ``fail_next("404")`` on demand.

A contract fake used by the alert tests and, as a local peer, by ``socialops simulate``.
Its webhook URL (``webhook_url``) is an obvious fake, built at run time.
"""

from __future__ import annotations

from typing import Any, ClassVar

from infra.peers import Fake, Refused, Reply, Req, require

WEBHOOK_PATH = "/services/" + "T0FAKE/B0FAKE/" + "not-a-real-token"

INVALID_PAYLOAD = Reply(400, "invalid_payload")
NO_TEXT = Reply(400, "no_text")
NO_SERVICE = Reply(404, "no_service")


class SlackFake(Fake):
    errors: ClassVar[dict[str, Reply]] = {
        "500": Reply(500, "rollup_error"),
        "404": NO_SERVICE,
        "400": INVALID_PAYLOAD,
    }

    def __init__(self, path: str = WEBHOOK_PATH) -> None:
        super().__init__()
        self.path = path
        self.messages: list[dict[str, Any]] = []  # the JSON bodies it accepted, in order
        self.route("POST", r"/services/.+", self._post)

    @property
    def webhook_url(self) -> str:
        return self.url + self.path

    def _post(self, req: Req) -> Reply:
        if req.path != self.path:
            raise Refused(NO_SERVICE)
        require(req.headers.get("content-type", "").startswith("application/json"),
                INVALID_PAYLOAD)  # fmt: skip
        require(isinstance(req.body, dict), INVALID_PAYLOAD)
        require(bool(req.body.get("text") or req.body.get("blocks")), NO_TEXT)
        with self.lock:
            self.messages.append(req.body)
        return Reply(200, "ok")

    def posts_made(self) -> int:
        return len(self.messages)
