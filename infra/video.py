"""A short vertical video from a blog post: key sentences as captioned scenes, ffmpeg from a
wheel.

``socialops generate`` makes one for a post whose brief asks for it (``generate.video``):

1. the post's text (a Markdown or text file beside the campaign, or an https page fetched
   once and reduced to its paragraphs);
2. its key sentences, chosen extractively (``key_sentences``): each sentence scored by how
   many of the post's frequent content words it holds (Luhn's method), the best kept in
   their order until the scenes fill the length asked (15 to 60 s), each scene on screen
   for as long as it takes to read it;
3. one scene per sentence in the brand's card style (infra/images.py, 1080x1920), its
   sentence as the caption burnt into the picture, with the scene's place in the video;
4. encoded with the ffmpeg of ``imageio-ffmpeg`` (a pinned wheel, no system package):
   H.264 in MP4, 30 frames a second, ``yuv420p``, ``+faststart``, and a silent stereo
   track (some platforms refuse a video without sound); a voice-over with ``espeak-ng``
   where the machine has it (no text-to-speech engine is bundled).

The result fits every platform that takes video here: vertical 9:16, 15 to 60 s, a few
MB (schema/platforms.py's limits).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infra.images import Kit

SIZE = (1080, 1920)
FPS = 30
MIN_S, MAX_S = 15.0, 60.0
WORDS_PER_S = 2.6  # a comfortable reading pace for on-screen captions
_STOP_WORDS = """a an and are as at be been but by can do does for from had has have he her
his i if in into is it its just me more most my no not of on or our out so than that the their
them then there these they this to too up us very was we were what when which while who will
with you your about after all also any because before both each few how only other over same
some such through under until why would could should"""
STOP = frozenset(_STOP_WORDS.split())


class VideoError(ValueError):
    """A video that cannot be made from what was given (a usage error)."""


@dataclass(frozen=True)
class Scene:
    text: str
    seconds: float


def sentences(text: str) -> list[str]:
    """The sentences of a post's paragraphs: Markdown headings, lists' markers, links and
    emphasis removed; lines joined within a paragraph."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in block.strip().splitlines()]
        if not lines or lines[0].startswith(("#", "```", "|", ">")):
            continue  # a heading, code, a table or a quote: not the post's own sentences
        joined = " ".join(re.sub(r"^([-*+]|\d+\.)\s+", "", ln) for ln in lines)
        joined = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", joined)  # links and images
        paragraphs.append(re.sub(r"[*_`]+", "", joined))
    found = []
    for paragraph in paragraphs:
        for part in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])", paragraph):
            part = " ".join(part.split())
            if len(part.split()) >= 4:
                found.append(part)
    return found


def reading_s(sentence: str) -> float:
    """How long a caption stays on screen: its words at a reading pace, 2.5 to 8 s."""
    return min(8.0, max(2.5, 1.0 + len(sentence.split()) / WORDS_PER_S))


def key_sentences(text: str, seconds: float = 30.0) -> list[Scene]:
    """The post's key sentences, in its order, as scenes that fill about ``seconds`` (15 to
    60): scored by their share of the post's frequent content words (Luhn)."""
    seconds = min(MAX_S, max(MIN_S, seconds))
    found = sentences(text)
    if not found:
        raise VideoError("the post has no sentences to make scenes of")
    words = [re.findall(r"[a-zA-Z\u00c0-\u024f']{3,}", s.lower()) for s in found]
    counts = Counter(w for ws in words for w in ws if w not in STOP)
    frequent = {w for w, n in counts.most_common(max(5, len(counts) // 10)) if n >= 2}

    def score(index: int) -> float:
        ws = [w for w in words[index] if w not in STOP]
        weight = min(1.0, len(ws) / 6)  # a short sentence says too little for a scene
        return (weight * sum(w in frequent for w in ws) ** 2 / len(ws) if ws else 0.0) + (
            0.5 if index == 0 else 0.0
        )  # the opening says what the post is about

    ranked = sorted(range(len(found)), key=lambda i: (-score(i), i))
    chosen: list[int] = []
    total = 0.0
    for index in ranked:
        need = reading_s(found[index])
        if total + need > seconds and total >= MIN_S:
            continue
        chosen.append(index)
        total += need
        if total >= seconds:
            break
    scenes = [Scene(found[i], reading_s(found[i])) for i in sorted(chosen)]
    short = MIN_S - sum(s.seconds for s in scenes)
    if short > 0:  # a short post: its scenes stay longer, never under 15 s in all
        scenes = [Scene(s.text, s.seconds + short / len(scenes)) for s in scenes]
    return scenes


def ffmpeg() -> str:
    """The ffmpeg of the pinned ``imageio-ffmpeg`` wheel."""
    try:
        import imageio_ffmpeg
    except ImportError as error:  # pragma: no cover - a dependency of socialops
        raise VideoError("imageio-ffmpeg is not installed: pip install socialops") from error
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def render(scenes: list[Scene], brand: str, kit: Kit, out: Path, voice: bool = True) -> float:
    """Write the MP4 of ``scenes`` to ``out``; its length in seconds."""
    from infra.images import card

    total = sum(s.seconds for s in scenes)
    speaker = shutil.which("espeak-ng") if voice else None
    with tempfile.TemporaryDirectory(prefix="socialops-video-") as folder:
        work = Path(folder)
        lines = []
        for n, scene in enumerate(scenes, 1):
            frame = work / f"scene-{n:02d}.png"
            frame.write_bytes(card(scene.text, f"{brand}  ·  {n}/{len(scenes)}", kit, SIZE))
            lines += [f"file '{frame.name}'", f"duration {scene.seconds:.3f}"]
        lines.append(f"file 'scene-{len(scenes):02d}.png'")  # the concat demuxer's last frame
        (work / "scenes.txt").write_text("\n".join(lines) + "\n")
        audio = ["-f", "lavfi", "-t", f"{total:.3f}", "-i", "anullsrc=r=44100:cl=stereo"]
        if speaker:
            spoken = work / "voice.wav"
            subprocess.run([speaker, "-w", str(spoken), " ".join(s.text for s in scenes)],
                           check=True, capture_output=True, timeout=120)  # fmt: skip
            audio = ["-i", str(spoken)]
        command = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
                   "-f", "concat", "-safe", "0", "-i", str(work / "scenes.txt"), *audio,
                   "-map", "0:v", "-map", "1:a", "-t", f"{total:.3f}",
                   "-vf", f"fps={FPS},format=yuv420p", "-c:v", "libx264", "-preset", "veryfast",
                   "-tune", "stillimage", "-crf", "26", "-c:a", "aac", "-b:a", "96k",
                   "-movflags", "+faststart", "-map_metadata", "-1", "-fflags", "+bitexact",
                   "-flags:v", "+bitexact", "-flags:a", "+bitexact", str(out)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise VideoError(f"ffmpeg could not make the video: {done.stderr.strip()[-500:]}")
    return total


def paragraphs(page: str) -> str:
    """The text of an HTML page's paragraphs (``<p>``), one a line pair: no menus, no
    scripts, no footers."""
    from html.parser import HTMLParser

    class Paragraphs(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.inside = 0

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag == "p":
                self.inside += 1
                self.parts.append("")

        def handle_endtag(self, tag: str) -> None:
            if tag == "p" and self.inside:
                self.inside -= 1

        def handle_data(self, data: str) -> None:
            if self.inside:
                self.parts[-1] += data

    parser = Paragraphs()
    parser.feed(page)
    return "\n\n".join(" ".join(p.split()) for p in parser.parts if p.strip())


def post_text(source: str, folder: Path, fetch: Callable[[str, int], bytes] | None = None) -> str:
    """The blog post's text: a file beside the campaign, or an https page fetched once
    (through the guarded connection: ``fetch``, by default functions/common/media.py's)
    and reduced to its paragraphs."""
    if source.startswith("https://"):
        from functions.common.media import MediaError, fetch_https

        try:
            page = (fetch or fetch_https)(source, 5_000_000).decode("utf-8", "replace")
        except (MediaError, OSError) as error:
            raise VideoError(f"could not read the post {source}: {error}") from None
        return paragraphs(page)
    path = folder / source
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise VideoError(f"expected the post {source} beside the campaign, found none") from None
