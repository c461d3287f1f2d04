"""The campaign language: the single definition of every file socialops reads.

Imported by ``functions`` (runtime) and ``infra`` (build time); imports neither.
"""

from schema.alerts import ALERT_TYPES, Alert, NegativeShareAlert, SentimentAlert, VolumeAnomalyAlert
from schema.audience import Audience
from schema.base import LANGUAGE_VERSION, Document
from schema.brand import Brand
from schema.campaign import Campaign, Post
from schema.documents import BUILD_SCHEMA_VERSION, KINDS, AnyDocument, RuntimeConfig
from schema.platforms import PLATFORMS, text_length

__all__ = [
    "ALERT_TYPES",
    "BUILD_SCHEMA_VERSION",
    "KINDS",
    "LANGUAGE_VERSION",
    "PLATFORMS",
    "Alert",
    "AnyDocument",
    "Audience",
    "Brand",
    "Campaign",
    "Document",
    "NegativeShareAlert",
    "Post",
    "RuntimeConfig",
    "SentimentAlert",
    "VolumeAnomalyAlert",
    "text_length",
]
