"""Alert rules of a campaign, one class per ``type`` (a discriminated union)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from schema.base import Strict
from schema.types import AlertWindow, Cooldown, Name, SecretName

# A plain addr-spec: no display name, quotes, comments, spaces, line breaks or `${`
# (the address is written into the stack as an SNS subscription's endpoint).
EMAIL = (
    r"^[A-Za-z0-9_%+'-](?:[A-Za-z0-9._%+'-]{0,62}[A-Za-z0-9_%+'-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
MAX_MENTIONS = 1_000_000  # more than any brand hears in a week: a larger minimum never fires
SNS_ARN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$"


class Notify(Strict):
    """Who hears about an alert. Slack webhooks are secrets: name the secret."""

    email: list[Annotated[str, Field(max_length=254, pattern=EMAIL)]] = Field(
        default_factory=list, description="email addresses that receive the alert"
    )
    slack: list[SecretName] = Field(
        default_factory=list,
        description="names of Secrets Manager secrets, each holding a Slack webhook URL "
        "(never the URL itself)",
    )
    sns: list[Annotated[str, Field(pattern=SNS_ARN)]] = Field(
        default_factory=list, description="SNS topics (ARNs) that receive the alert"
    )

    @model_validator(mode="after")
    def _someone(self) -> Notify:
        if not (self.email or self.slack or self.sns):
            raise PydanticCustomError(
                "so_value", "expected at least one of email, slack or sns, found none", {}
            )
        return self


class AlertBase(Strict):
    """A listening rule: when it fires, who is told and what else happens."""

    name: Name = Field(description="the rule's name, unique in the campaign")
    notify: Notify = Field(description="who hears about it: email, slack and sns")
    action: Literal["notify", "pause_publishing"] = Field(
        default="notify",
        description="notify: only tell people; pause_publishing: also hold the brand's "
        "scheduled posts until a person resumes them",
    )
    cooldown: Cooldown = Field(
        default="1h",
        description="quiet time after an alert resolves: a new alert within it is recorded, "
        "not sent",
    )


class SentimentAlert(AlertBase):
    """Mean polarity below a level over at least N mentions within a window."""

    type: Literal["sentiment"] = Field(description="the kind of rule")
    below: Annotated[float, Field(ge=-1, le=1)] = Field(
        description="fires when the mean polarity (-1 very negative, +1 very positive) of "
        "the mentions within the window falls below this"
    )
    min_mentions: Annotated[int, Field(ge=1, le=MAX_MENTIONS)] = Field(
        description="the least mentions within the window for the rule to fire"
    )
    within: AlertWindow = Field(description="the window measured, e.g. 2h")


class VolumeAnomalyAlert(AlertBase):
    """Mentions far above the usual for that hour of the week."""

    type: Literal["volume_anomaly"] = Field(description="the kind of rule")
    sensitivity: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.5, description="0-1: higher alerts on smaller bursts"
    )
    min_mentions: Annotated[int, Field(ge=0, le=MAX_MENTIONS)] = Field(
        default=0, description="the least mentions in the last hour for the rule to fire"
    )


class NegativeShareAlert(AlertBase):
    """Share of negative mentions above a level over at least N mentions within a window."""

    type: Literal["negative_share"] = Field(description="the kind of rule")
    above: Annotated[float, Field(gt=0, lt=1)] = Field(
        description="fires when the share of negative mentions within the window (0-1) "
        "rises above this"
    )
    min_mentions: Annotated[int, Field(ge=1, le=MAX_MENTIONS)] = Field(
        description="the least mentions within the window for the rule to fire"
    )
    within: AlertWindow = Field(description="the window measured, e.g. 1h")


Alert = Annotated[
    SentimentAlert | VolumeAnomalyAlert | NegativeShareAlert, Field(discriminator="type")
]
ALERT_TYPES = ("sentiment", "volume_anomaly", "negative_share")
