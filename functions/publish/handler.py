"""``publish``: post one scheduled occurrence to one channel, exactly once (DESIGN.md 2, 6).

Invoked by an EventBridge Scheduler schedule (reconciled by ``socialops deploy``) whose
input is a ``payload`` of ``build/schedules/<campaign>.json``: campaign, post, channel,
locale and scheduled_for.
"""

from __future__ import annotations

from typing import Any, NoReturn

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import config
from functions.common.errors import EventError, NotBuiltYet, require

FUNCTION = "publish"
logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> NoReturn:
    fields = require(FUNCTION, event, ("campaign", "post", "channel", "scheduled_for"))
    campaign = config.load(fields["campaign"])
    post = next((p for p in campaign.campaign.posts if p.id == fields["post"]), None)
    if post is None:
        raise EventError(
            f"{FUNCTION}: campaign {fields['campaign']!r} has no post {fields['post']!r}"
        )
    channel = fields["channel"]
    if channel not in (post.channels or campaign.campaign.channels):
        raise EventError(f"{FUNCTION}: post {post.id!r} is not published on {channel}")
    if channel not in campaign.brand.accounts:
        raise EventError(f"{FUNCTION}: brand {campaign.brand.name!r} has no {channel} account")
    logger.info("publish requested", extra=fields)
    raise NotBuiltYet(
        FUNCTION,
        f"posting to {channel}",
        f"post {post.id!r} of campaign {fields['campaign']!r}, due {fields['scheduled_for']}",
    )
