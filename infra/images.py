"""Branded image cards, drawn offline with Pillow from the brand's kit.

``socialops generate`` draws one for each occurrence of a post whose brief asks for an
image (``generate.image``), in the size its channel shows best (``SIZES``): the kit's
background, the headline in its text colour, wrapped and sized to fill the card, an accent
bar, the logo in a corner (when the kit has one) and the brand's name. The same inputs give
the same bytes (PNG, or JPEG where a platform takes no PNG; no timestamp, the bundled
fonts), so a regenerated file only changes
when the card does, and the pull request shows the card itself.

Fonts: the kit's own (a TrueType or OpenType file beside the brand file), else DejaVu Sans
Bold, bundled (``infra/assets/fonts``, under its free licence, LICENSE-DejaVu.txt).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FONTS = Path(__file__).parent / "assets" / "fonts"
BOLD, REGULAR = FONTS / "DejaVuSans-Bold.ttf", FONTS / "DejaVuSans.ttf"

# (width, height) per channel: Instagram's portrait feed, the link-card shape of Facebook,
# X and LinkedIn, squares on Bluesky and Mastodon, TikTok's full-screen vertical.
SIZES: dict[str, tuple[int, int]] = {
    "instagram": (1080, 1350), "facebook": (1200, 627), "x": (1200, 627),
    "linkedin": (1200, 627), "bluesky": (1080, 1080), "mastodon": (1080, 1080),
    "tiktok": (1080, 1920),
}  # fmt: skip
DEFAULT_PALETTE = ("#1F2937", "#F9FAFB", "#F59E0B")  # background, text, accent


@dataclass(frozen=True)
class Kit:
    """What a card is made of: three colours, a logo and a font (files' bytes, read once)."""

    background: str = DEFAULT_PALETTE[0]
    text: str = DEFAULT_PALETTE[1]
    accent: str = DEFAULT_PALETTE[2]
    logo: bytes | None = None  # PNG (with transparency) or JPEG
    font: bytes | None = None  # TrueType / OpenType; None: the bundled DejaVu Sans Bold

    @classmethod
    def of(cls, kit: Any, folder: Path) -> Kit:
        """The kit of a brand file (``schema.brand.Kit`` or None), its files read from
        ``folder`` (the brand file's)."""
        if kit is None:
            return cls()
        palette = [*kit.palette, *DEFAULT_PALETTE[len(kit.palette) :]]
        logo = (folder / kit.logo).read_bytes() if kit.logo else None
        font = (folder / kit.font).read_bytes() if kit.font else None
        return cls(palette[0], palette[1], palette[2], logo, font)


def _font(kit: Kit, size: int, bold: bool = True) -> Any:
    from PIL import ImageFont

    if kit.font is not None:
        return ImageFont.truetype(io.BytesIO(kit.font), size)
    return ImageFont.truetype(str(BOLD if bold else REGULAR), size)


def _wrap(draw: Any, text: str, font: Any, width: int) -> list[str]:
    """The words of ``text`` in lines no wider than ``width`` (a longer word alone)."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def _fit(draw: Any, text: str, kit: Kit, box: tuple[int, int]) -> tuple[Any, list[str], int]:
    """The largest font size (down to 24 px) at which the wrapped text fits ``box``."""
    width, height = box
    size = max(24, min(height // 3, width // 9))
    while True:
        font = _font(kit, size)
        lines = _wrap(draw, text, font, width)
        spacing = int(size * 1.2)
        widest = max(draw.textlength(line, font=font) for line in lines)
        if size <= 24 or (spacing * len(lines) <= height and widest <= width):
            return font, lines, spacing
        size = int(size * 0.9)


def card(headline: str, brand: str, kit: Kit, size: tuple[int, int], fmt: str = "PNG") -> bytes:
    """A card of ``size`` saying ``headline``, signed with ``brand``'s name: PNG (sharp on
    flat colours), or JPEG for a platform that takes no PNG (Instagram)."""
    from PIL import Image, ImageDraw

    width, height = size
    margin = width // 12
    image = Image.new("RGB", size, kit.background)
    draw = ImageDraw.Draw(image)
    bar = max(8, height // 60)
    draw.rectangle((margin, margin, margin + width // 6, margin + bar), fill=kit.accent)
    footer = _font(kit, max(20, width // 36), bold=False)  # the kit's own font, else regular
    footer_height = int(footer.size * 1.6)
    logo_box = 0
    if kit.logo is not None:
        logo = Image.open(io.BytesIO(kit.logo)).convert("RGBA")
        side = footer_height * 2
        logo.thumbnail((side, side))
        logo_box = logo.height
        image.paste(logo, (width - margin - logo.width, height - margin - logo.height), logo)
    text_top = margin + bar * 4
    text_bottom = height - margin - max(footer_height, logo_box) - bar * 2
    font, lines, spacing = _fit(draw, headline.strip() or brand, kit,
                                (width - 2 * margin, text_bottom - text_top))  # fmt: skip
    y = text_top + max(0, (text_bottom - text_top - spacing * len(lines)) // 2)
    for line in lines:
        draw.text((margin, y), line, font=font, fill=kit.text)
        y += spacing
    draw.text((margin, height - margin - footer.size), brand, font=footer, fill=kit.accent)
    return _encoded(image, fmt)


def _encoded(image: Any, fmt: str) -> bytes:
    """A drawn image's bytes: PNG, or JPEG (quality 92, no chroma subsampling: sharp text)."""
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=92, optimize=True, subsampling=0)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


# The sizes an images API draws (OpenAI's gpt-image-1): the one closest to a channel's
# shape is asked for, then cropped to the channel's size.
MODEL_SIZES = {1.0: "1024x1024", 1536 / 1024: "1536x1024", 1024 / 1536: "1024x1536"}


class ModelImages:
    """Images drawn by an images API (``OPENAI_IMAGE_MODEL`` with the openai provider):
    the closest shape the model draws, cropped to the channel's size, the kit's logo in a
    corner, saved as the card would be. ``client`` is the provider's ``openai.OpenAI``."""

    def __init__(self, client: Any, model: str) -> None:
        self.client, self.model = client, model

    @property
    def by(self) -> str:
        return f"openai/{self.model}"

    def draw(self, prompt: str, kit: Kit, size: tuple[int, int], fmt: str = "PNG") -> bytes:
        import base64

        from PIL import Image, ImageOps

        shape = MODEL_SIZES[min(MODEL_SIZES, key=lambda r: abs(r - size[0] / size[1]))]
        options: dict[str, Any] = {"response_format": "b64_json"} if self.model.startswith("dall-e") else {}  # fmt: skip
        answer = self.client.images.generate(model=self.model, prompt=prompt, size=shape, n=1,
                                             **options)  # fmt: skip
        encoded = answer.data[0].b64_json if answer.data else None
        if not encoded:
            raise ValueError("the images API answered no image (b64_json)")
        drawn = Image.open(io.BytesIO(base64.b64decode(encoded))).convert("RGB")
        image = ImageOps.fit(drawn, size, Image.Resampling.LANCZOS)
        if kit.logo is not None:
            logo = Image.open(io.BytesIO(kit.logo)).convert("RGBA")
            side = max(48, size[0] // 10)
            logo.thumbnail((side, side))
            margin = size[0] // 24
            image.paste(logo, (size[0] - margin - logo.width, size[1] - margin - logo.height), logo)
        return _encoded(image, fmt)


def format_for(channel: str) -> str:
    """PNG where the platform takes it, else JPEG (schema/platforms.py media limits)."""
    from schema.platforms import PLATFORMS

    types = PLATFORMS[channel].media_limits.get("image", ((), 0))[0]
    return "PNG" if "image/png" in types else "JPEG"


def headline_of(text: str, most: int = 90) -> str:
    """A card's headline from a caption: its first sentence without hashtags, links or
    mentions (a long one's head, before a colon or a dash), cut at a word within ``most``
    characters."""
    import re

    words = [w for w in text.split() if not w.startswith(("#", "@", "http://", "https://"))]
    clean = " ".join(words)
    first = re.split(r"(?<=[.!?])\s", clean, maxsplit=1)[0].strip()
    head = re.split(r":\s|\s[-\u2013\u2014]\s", first, maxsplit=1)[0].strip()
    if len(first) > 60 and 20 <= len(head) < len(first):
        first = head  # "Bloom the coffee for 30 seconds: ..." -> its head
    if len(first) <= most:
        return first
    cut = first[:most].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
