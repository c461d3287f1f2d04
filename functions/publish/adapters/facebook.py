"""Facebook Pages (Graph API): ``POST /{page-id}/feed`` with message and link, or
``POST /{page-id}/photos`` with a photo URL and caption. No idempotency key: what an
earlier delivery posted is found among the Page's posts since the firing's time."""

from __future__ import annotations

from functions.common.platform.tokens import Token
from functions.publish.adapters.base import (
    PostRequest,
    Published,
    Trail,
    check_token,
    unsupported_media,
)
from functions.publish.adapters.graph import Graph, account, created_at


class FacebookAdapter(Graph):
    platform = "facebook"

    def publish(self, request: PostRequest, token: Token, trail: Trail | None = None) -> Published:
        check_token(self.platform, token)
        page = account(self.platform, request)
        if request.media:
            url, kind, _alt = request.media[0]
            if kind != "image" or len(request.media) > 1:
                raise unsupported_media(self.platform)
            body = self.post(f"{page}/photos", token, url=url, caption=request.text)
            post_id = str(body.get("post_id") or body["id"])
        else:
            form = {"message": request.text}
            if request.link:
                form["link"] = request.link
            post_id = str(self.post(f"{page}/feed", token, **form)["id"])
        return self.read(post_id, token)

    def read(self, post_id: str, token: Token) -> Published:
        body = self.get(post_id, token, fields="permalink_url,created_time")
        return _published(post_id, body)

    def find_existing(
        self, request: PostRequest, token: Token, trail: Trail | None = None
    ) -> Published | None:
        check_token(self.platform, token)
        page = account(self.platform, request)
        fields = "id,message,permalink_url,created_time"
        return self.find_ours(f"{page}/posts", token, "message", fields, request.text,
                              trail or Trail(), lambda item: _published(str(item["id"]), item))  # fmt: skip


def _published(post_id: str, body: dict[str, str]) -> Published:
    when = created_at(body.get("created_time"))
    url = body.get("permalink_url") or f"https://www.facebook.com/{post_id}"
    return Published("facebook", post_id, url, when)
