"""Alert rules of a campaign, one class per ``type`` (a discriminated union)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from schema.base import Strict
from schema.types import Duration, Name, SecretName

EMAIL = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
SNS_ARN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$"


class Notify(Strict):
    """Who hears about an alert. Slack webhooks are secrets: name the secret."""

    email: list[Annotated[str, Field(pattern=EMAIL)]] = Field(default_factory=list)
    slack: list[SecretName] = Field(
        default_factory=list, description="Secrets Manager secrets holding Slack webhook URLs"
    )
    sns: list[Annotated[str, Field(pattern=SNS_ARN)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _someone(self) -> Notify:
        if not (self.email or self.slack or self.sns):
            raise PydanticCustomError(
                "so_value", "expected at least one of email, slack or sns, found none", {}
            )
        return self


class AlertBase(Strict):
    name: Name
    notify: Notify
    action: Literal["notify", "pause_publishing"] = "notify"
    cooldown: Duration = Field(default="1h", description="quiet time after an alert")


class SentimentAlert(AlertBase):
    """Mean polarity below a level over at least N mentions within a window."""

    type: Literal["sentiment"]
    below: Annotated[float, Field(ge=-1, le=1)]
    min_mentions: Annotated[int, Field(ge=1)]
    within: Duration


class VolumeAnomalyAlert(AlertBase):
    """Mentions far above the usual for that hour of the week."""

    type: Literal["volume_anomaly"]
    sensitivity: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.5, description="0-1: higher alerts on smaller bursts"
    )
    min_mentions: Annotated[int, Field(ge=0)] = 0


class NegativeShareAlert(AlertBase):
    """Share of negative mentions above a level over at least N mentions within a window."""

    type: Literal["negative_share"]
    above: Annotated[float, Field(gt=0, lt=1)]
    min_mentions: Annotated[int, Field(ge=1)]
    within: Duration


Alert = Annotated[
    SentimentAlert | VolumeAnomalyAlert | NegativeShareAlert, Field(discriminator="type")
]
ALERT_TYPES = ("sentiment", "volume_anomaly", "negative_share")
