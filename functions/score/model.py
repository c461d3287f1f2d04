"""Sentiment and emotion of short social texts, on plain arrays (ARCHITECTURE.md section 7).

Inference needs numpy only: the weights are ``.npz`` files of plain arrays (loaded with
``allow_pickle=False``) and a JSON file of settings, written by ``socialops train``
(``infra/train.py``). Nothing is unpickled.

Text -> features, the same code at training and at inference:

- normalisation: lowercase; URLs -> ``<url>``; @mentions -> ``@user``; hashtags give the tag
  and its words (``#NeverAgain`` -> ``#neveragain never again``); elongations shortened
  (``soooo`` -> ``soo``); emoji and emoticons kept as tokens, the common ones also give a
  ``<emo_pos>``/``<emo_neg>`` token; curly apostrophes straightened; accents kept.
- negation: after ``not no never ...n't`` (and French ``ne pas jamais rien``) every word up
  to the next punctuation gets a ``neg_`` prefix.
- French: a small lexicon adds the English gloss of common French sentiment words, so that
  the English-trained weights apply (``déteste`` -> ``déteste hate``).
- hashed word unigrams and bigrams, and character 2-5-grams within words (zlib.crc32, a
  stable hash), each group with sublinear tf, idf and its own l2 norm; then a multinomial
  linear model (weights and bias).
- lexicon (when the weights carry ``lexicon.tsv``, the VADER lexicon of Hutto and Gilbert,
  MIT licence): each token found gives a hashed ``lex:+2``-style token (sign and rounded
  strength, the sign flipped and damped under negation), and the text gets its summed score
  (rounded, clipped to +-6) and its counts of positive and negative hits (capped at 4) as
  two more hashed tokens, all in the word group.

numpy is imported lazily (the handler modules import nothing heavy at module level).
"""

from __future__ import annotations

import json
import math
import os
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from functions.common.chunks import batches

if TYPE_CHECKING:
    import numpy as np

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
MODEL_DIR_ENV = "SOCIALOPS_MODEL_DIR"
SENTIMENT_LABELS = ("negative", "neutral", "positive")
EMOTION_LABELS = ("anger", "joy", "optimism", "sadness")
FORMAT = 1
LEXICON_FILE = "lexicon.tsv"
# Longer texts are scored on their first MAX_TEXT characters: the one limit of the deployed
# ``score`` function (service.py) and of ``socialops sentiment``, so both give one result.
MAX_TEXT = 5_000
_NEGATED_LEXICON = -0.74  # VADER's damping of a negated word's score

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_ELONGATED = re.compile(r"(\w)\1{2,}")
_PUNCT_RUN = re.compile(r"([!?.])\1+")
_EMOTICON_POS = re.compile(r"(?:[:;=8]-?[)\]dp])|(?:\(-?[:;=])|<3", re.IGNORECASE)
_EMOTICON_NEG = re.compile(r"(?:[:;=]'?-?[(\[/\\|])|(?:[)\]]-?[:;=])|</3")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_TOKEN = re.compile(r"<(?:url|emo_pos|emo_neg)>|@user|#\w+|\w+(?:'\w+)*|[^\w\s]", re.UNICODE)
_CLAUSE_END = frozenset(".,!?;:")
_NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "cannot",
        "cant",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "wont",
        "wouldnt",
        "shouldnt",
        "couldnt",
        "aint",
        "nothing",
        "nobody",
        "none",
        "nor",
        "neither",
        "without",
        "ne",
        "pas",
        "jamais",
        "rien",
        "aucun",
        "aucune",
        "sans",
    ]
)
_POS_EMOJI = frozenset(
    "😀😃😄😁😆😊😍🥰😘😗😙😚🙂🤗😎👍👏🙌💪🎉🎊❤💕💖💗💙💚💛💜🧡💯✨🌟⭐🔥😻☺😇🤩🥳👌😋😌"
)
_NEG_EMOJI = frozenset("😠😡🤬😤😞😟😔😢😭😩😫😒🙁☹😣😖💔👎😱😨😰😥😓🤮🤢😷😪💩🖕😑😐")
# French sentiment words -> the English word the weights know (the gloss is added, the
# French word kept). Accents are kept, so both spellings people use are listed.
_FRENCH = {
    "déteste": "hate", "deteste": "hate", "détestent": "hate", "haïs": "hate", "hais": "hate",
    "adore": "love", "adorent": "love", "aime": "like", "aimé": "liked", "aimer": "like",
    "j'adore": "love", "j'aime": "like", "nul": "bad", "nulle": "bad", "nuls": "bad",
    "merde": "shit", "horrible": "horrible", "affreux": "awful", "pire": "worst",
    "génial": "great", "genial": "great", "géniale": "great", "super": "great",
    "excellent": "excellent", "excellente": "excellent", "parfait": "perfect",
    "parfaite": "perfect", "magnifique": "beautiful", "beau": "beautiful", "belle": "beautiful",
    "merci": "thanks", "bravo": "congrats", "heureux": "happy", "heureuse": "happy",
    "content": "happy", "contente": "happy", "triste": "sad", "déçu": "disappointed",
    "déçue": "disappointed", "decu": "disappointed", "déception": "disappointment",
    "colère": "anger", "colere": "anger", "énervé": "angry", "enerve": "angry",
    "énervée": "angry", "furieux": "furious", "furieuse": "furious", "honte": "shame",
    "scandale": "scandal", "scandaleux": "outrageous", "inadmissible": "unacceptable",
    "retard": "delay", "retards": "delays", "panne": "broken", "arnaque": "scam",
    "mauvais": "bad", "mauvaise": "bad", "bon": "good", "bonne": "good", "bien": "good",
    "meilleur": "best", "meilleure": "best", "top": "great", "cool": "cool",
    "peur": "fear", "espoir": "hope", "espère": "hope", "espere": "hope", "vivement": "hope",
    "hâte": "excited", "hate": "hate", "bonheur": "happiness", "joie": "joy",
    "pleure": "cry", "pleurer": "cry", "mort": "dead", "marre": "fed_up",
    "jamais": "never", "pas": "not", "rien": "nothing", "sans": "without",
    "lamentable": "pathetic", "catastrophe": "disaster", "inutile": "useless",
    "incroyable": "amazing", "formidable": "wonderful", "sublime": "gorgeous",
    "dégoûté": "disgusted", "degoute": "disgusted", "insupportable": "unbearable",
}  # fmt: skip
_SENTINEL = "<s>"


def _hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _emoticons(text: str) -> str:
    text = _EMOTICON_POS.sub(" <emo_pos> ", text)
    return _EMOTICON_NEG.sub(" <emo_neg> ", text)


def normalise(text: str) -> str:
    """The text as the tokeniser sees it (before lowercasing hashtags are split)."""
    text = text.replace("’", "'").replace("‘", "'").replace("`", "'")
    text = _URL.sub(" <url> ", text)
    text = _MENTION.sub(" @user ", text)
    text = _emoticons(text)
    text = _PUNCT_RUN.sub(r"\1\1", text)
    return _ELONGATED.sub(r"\1\1", text)


def tokens(text: str) -> list[str]:
    """Word tokens of one text, negation marked, hashtags split, emoji flagged."""
    out: list[str] = []
    negated = False
    for raw in _TOKEN.findall(normalise(text)):
        if raw.startswith("#") and len(raw) > 1:
            out.append(raw.lower())
            out.extend(w.lower() for w in _CAMEL.findall(raw[1:]))
            continue
        token = raw.lower()
        if len(token) == 1 and not token.isalnum():
            if token in _CLAUSE_END:
                negated = False
                out.append(token)
            elif token in _POS_EMOJI:
                out.extend((token, "<emo_pos>"))
            elif token in _NEG_EMOJI:
                out.extend((token, "<emo_neg>"))
            elif ord(token) > 0x2000:
                out.append(token)
            continue
        if token in ("<emo_pos>", "<emo_neg>", "<url>", "@user"):
            out.append(token)
            continue
        gloss = _FRENCH.get(token)
        if "'" in token:
            bare = token.replace("'", "")
            starts = token.endswith("n't") or bare in _NEGATORS
            token = bare if token.endswith("n't") else token
        else:
            starts = token in _NEGATORS
        if negated:
            out.append("neg_" + token)
            if gloss:
                out.append("neg_" + gloss)
        else:
            out.append(token)
            if gloss:
                out.append(gloss)
        if starts:
            negated = True
    return out


# Per-word hashed indices, one cache per (mask, offset, n-gram range): words repeat, and
# a text's features are then list concatenations in C rather than a Python loop per n-gram.
_CHAR_CACHES: dict[tuple[int, int, int, int], dict[str, list[int]]] = {}
_WORD_CACHES: dict[int, dict[str, tuple[int, int]]] = {}
_CACHE_MAX = 200_000


def clear_cache() -> None:
    _CHAR_CACHES.clear()
    _WORD_CACHES.clear()


def _char_hashes(
    cache: dict[str, list[int]], word: str, mask: int, offset: int, lo: int, hi: int
) -> list[int]:
    cached = cache.get(word)
    if cached is not None:
        return cached
    # a negated word has its plain word's n-grams, cached under its own key
    padded = f" {word[4:] if word.startswith('neg_') else word} "
    size = len(padded)
    grams = [padded[i : i + n] for n in range(lo, hi + 1) for i in range(size - n + 1)]
    hashed = [offset + (zlib.crc32(g.encode("utf-8")) & mask) for g in grams]
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[word] = hashed
    return hashed


def _word_hash(cache: dict[str, tuple[int, int]], word: str) -> tuple[int, int]:
    """crc32 of the word, and crc32 of ``word + " "`` to continue into a bigram's."""
    cached = cache.get(word)
    if cached is None:
        data = word.encode("utf-8")
        cached = (zlib.crc32(data), zlib.crc32(data + b" "))
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[word] = cached
    return cached


def load_lexicon(path: Path) -> dict[str, float]:
    """``token<TAB>score`` lines (others, such as the licence header, are skipped)."""
    lexicon: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and parts[0]:
            lexicon[parts[0]] = float(parts[1])
    if not lexicon:
        raise ValueError(f"{path}: no lexicon entries")
    return lexicon


@dataclass(frozen=True)
class Settings:
    """How texts become hashed features (stored in model.json, used by training too)."""

    word_bits: int = 18
    char_bits: int = 18
    char_min: int = 2
    char_max: int = 5
    lexicon: dict[str, float] | None = field(default=None, compare=False, repr=False)

    @property
    def dimension(self) -> int:
        return (1 << self.word_bits) + (1 << self.char_bits)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "word_bits": self.word_bits,
            "char_bits": self.char_bits,
            "char_min": self.char_min,
            "char_max": self.char_max,
        }
        if self.lexicon is not None:
            data["lexicon"] = LEXICON_FILE
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], folder: Path | None = None) -> Settings:
        """Settings of model.json; its ``lexicon`` file is read from ``folder``."""
        sizes = {k: int(data[k]) for k in ("word_bits", "char_bits", "char_min", "char_max")}
        lexicon = None
        if data.get("lexicon"):
            lexicon = load_lexicon((folder or WEIGHTS_DIR) / str(data["lexicon"]))
        return cls(**sizes, lexicon=lexicon)


def _lexicon_features(words: list[str], lexicon: dict[str, float]) -> list[str]:
    found: list[str] = []
    total = 0.0
    positive = negative = 0
    for word in words:
        negated = word.startswith("neg_")
        score = lexicon.get(word[4:] if negated else word)
        if score is None:
            continue
        if negated:
            score *= _NEGATED_LEXICON
        total += score
        if score > 0:
            positive += 1
        elif score < 0:
            negative += 1
        found.append(f"lex:{'+' if score > 0 else '-'}{min(3, int(abs(score) + 0.5))}")
    found.append(f"lexsum:{max(-6, min(6, round(total)))}")
    found.append(f"lexcnt:{min(positive, 4)}:{min(negative, 4)}")
    return found


def text_indices(text: str, settings: Settings) -> tuple[list[int], list[int]]:
    """Hashed word (uni+bigram) and character n-gram indices of one text, one entry per
    occurrence (a repeated n-gram repeats: ``raw_features`` counts them).

    Word indices are in ``[0, 2**word_bits)``; character indices are offset by
    ``2**word_bits``. Each group always holds a sentinel so that no group is empty.
    """
    words = tokens(text)
    wmask = (1 << settings.word_bits) - 1
    cmask = (1 << settings.char_bits) - 1
    offset = 1 << settings.word_bits
    wcache = _WORD_CACHES.setdefault(wmask, {})
    hashes = [_word_hash(wcache, w) for w in (_SENTINEL, *words)]
    word_ids = [h & wmask for h, _ in hashes]
    # crc32(a + " " + b) continued from crc32(a + " "): the bigram's hash, never its string
    word_ids.extend(
        zlib.crc32(b.encode("utf-8"), prefix) & wmask
        for (_, prefix), b in zip(hashes, words, strict=False)
    )
    if settings.lexicon is not None:
        word_ids.extend(_hash(f) & wmask for f in _lexicon_features(words, settings.lexicon))
    lo, hi = settings.char_min, settings.char_max
    cache = _CHAR_CACHES.setdefault((cmask, offset, lo, hi), {})
    char_ids = [offset + (_hash("c:" + _SENTINEL) & cmask)]
    for word in words:
        char_ids.extend(cache.get(word) or _char_hashes(cache, word, cmask, offset, lo, hi))
    return word_ids, char_ids


def raw_features(
    texts: Iterable[str], settings: Settings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of a batch: (indices, counts, segment lengths), two segments per text
    (words then characters), in text order; within a segment, indices ascending."""
    import numpy as np

    flat: list[int] = []
    sizes: list[int] = []
    for text in texts:
        for group in text_indices(text, settings):
            flat.extend(group)
            sizes.append(len(group))
    if not sizes:
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros(0, dtype=np.float32), empty
    dimension = settings.dimension
    segment = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    keys, counts = np.unique(segment * dimension + np.asarray(flat, dtype=np.int64), return_counts=True)  # fmt: skip
    lengths = np.bincount(keys // dimension, minlength=len(sizes))
    return keys % dimension, counts.astype(np.float32), lengths.astype(np.int64)


def weighted(
    indices: np.ndarray, counts: np.ndarray, lengths: np.ndarray, idf: np.ndarray
) -> np.ndarray:
    """Sublinear tf times idf, l2-normalised within each segment."""
    import numpy as np

    values = (1.0 + np.log(counts)) * idf[indices]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    norms = np.sqrt(np.add.reduceat(values * values, starts))
    norms[norms == 0] = 1.0
    return (values / np.repeat(norms, lengths)).astype(np.float32)


@dataclass
class Linear:
    """One linear model over the hashed features: softmax(x @ weights + bias)."""

    labels: tuple[str, ...]
    weights: np.ndarray  # (dimension, classes) float32
    bias: np.ndarray  # (classes,)
    idf: np.ndarray  # (dimension,)
    # the accurate heads: weights of the encoder's sentence vector (encoder.DIMENSION, classes)
    dense: np.ndarray | None = None

    @classmethod
    def load(cls, path: Path, labels: Sequence[str]) -> Linear:
        """The arrays of one ``.npz`` written by ``socialops train``; anything else (another
        file type, a damaged archive, object arrays, missing or misshapen arrays) raises
        :class:`ModelError` naming the file. Never unpickles (``allow_pickle=False``)."""
        import zipfile

        import numpy as np

        def refuse(why: str) -> ModelError:
            return ModelError(f"{path}: not a socialops weights file ({why})")

        try:
            with path.open("rb") as handle:
                magic = handle.read(4)
        except OSError as exc:
            raise ModelError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        if magic != b"PK\x03\x04":  # an .npz is a zip archive; np.load would try pickle
            raise refuse("not an .npz archive")
        arrays: dict[str, np.ndarray] = {}
        try:
            with np.load(path, allow_pickle=False) as data:
                for name in ("weights", "scale", "bias", "idf"):
                    if name not in data.files:
                        raise refuse(f"no {name!r} array")
                    arrays[name] = data[name]
                if "dense" in data.files:
                    arrays["dense"] = data["dense"]
        except ModelError:
            raise
        except ValueError as exc:  # object arrays, which would need unpickling, and bad headers
            why = "it holds Python objects" if "allow_pickle" in str(exc) else str(exc)
            raise refuse(why) from exc
        except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
            raise refuse(f"damaged archive: {exc}") from exc
        if any(a.dtype.kind not in "fiu" for a in arrays.values()):
            raise refuse("arrays that are not numbers")
        weights = arrays["weights"].astype(np.float32) * np.float32(arrays["scale"])
        bias = arrays["bias"].astype(np.float32)
        idf = arrays["idf"].astype(np.float32)
        if weights.shape != (idf.shape[0], len(labels)) or bias.shape != (len(labels),):
            raise refuse(f"arrays of the wrong shape for {len(labels)} labels")
        dense = arrays["dense"].astype(np.float32) if "dense" in arrays else None
        if dense is not None and (dense.ndim != 2 or dense.shape[1] != len(labels)):
            raise refuse(f"a dense array of the wrong shape for {len(labels)} labels")
        return cls(tuple(labels), weights, bias, idf, dense)

    def probabilities(
        self,
        indices: np.ndarray,
        counts: np.ndarray,
        lengths: np.ndarray,
        vectors: np.ndarray | None = None,
    ) -> np.ndarray:
        """Softmax of the linear model; ``vectors`` (the encoder's, one row per text) are
        required by, and only read by, a model with a dense part."""
        import numpy as np

        values = weighted(indices, counts, lengths, self.idf)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        segment = np.add.reduceat(self.weights[indices] * values[:, None], starts, axis=0)
        logits = segment.reshape(-1, 2, segment.shape[1]).sum(axis=1) + self.bias
        if self.dense is not None:
            if vectors is None or vectors.shape != (logits.shape[0], self.dense.shape[0]):
                raise ModelError("an accurate head needs the encoder's vector of each text")
            logits += vectors @ self.dense
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        result: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return result


class ModelError(Exception):
    """Weights missing, unreadable or inconsistent."""


PATHS = ("fast", "balanced", "accurate")
DEFAULT_PATH = "balanced"
# balanced: a text goes to the accurate path when the fast sentiment's top probability is
# under model.json's ``route_below`` (set by ``socialops train`` so that ROUTE_SHARE of the
# validation texts fall under it: a speed budget, not a tuned score), and at most ROUTE_CAP
# of a call's texts, rounded up, the least sure first: mentions unlike the validation
# tweets (the fast model less sure of them) cannot take score under 2,000 a second.
ROUTE_SHARE = 0.05
ROUTE_CAP = 0.05


@dataclass
class Accurate:
    """The accurate path: the sentence encoder and the heads that read its vectors beside
    the hashed features (model.json's ``accurate`` section)."""

    encoder: Any  # encoder.Encoder
    sentiment: Linear
    emotion: Linear


@dataclass
class Model:
    settings: Settings
    sentiment: Linear
    emotion: Linear
    meta: dict[str, Any]
    folder: Path = WEIGHTS_DIR
    _accurate: Accurate | None = field(default=None, repr=False)

    @classmethod
    def load(cls, folder: str | Path | None = None) -> Model:
        """The model in ``folder`` (default: the shipped weights). Every problem raises
        :class:`ModelError` with a message that starts with the file concerned."""
        base = Path(folder) if folder else WEIGHTS_DIR
        described = base / "model.json"
        try:
            meta = json.loads(described.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ModelError(f"{described}: cannot read: {exc.strerror or exc}") from exc
        except ValueError as exc:  # not UTF-8, not JSON
            raise ModelError(f"{described}: not a socialops model description ({exc})") from exc
        try:
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
                raise ModelError(f"{described}: format {found!r}, expected {FORMAT}")
            settings = Settings.from_json(meta["features"], base)
            sentiment = Linear.load(base / "sentiment.npz", meta["sentiment"]["labels"])
            emotion = Linear.load(base / "emotion.npz", meta["emotion"]["labels"])
        except ModelError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{described}: not a socialops model description ({type(exc).__name__}: {exc})") from exc  # fmt: skip
        for linear in (sentiment, emotion):
            if linear.weights.shape[0] != settings.dimension:
                raise ModelError(f"{base}: weights do not match the feature settings")
        if sentiment.labels != SENTIMENT_LABELS or emotion.labels != EMOTION_LABELS:
            raise ModelError(f"{base}: unexpected labels in model.json")
        return cls(settings, sentiment, emotion, meta, base)

    @property
    def has_accurate(self) -> bool:
        return isinstance(self.meta.get("accurate"), dict)

    def accurate(self) -> Accurate:
        """The accurate path, loaded on first use (the encoder takes about a second)."""
        if self._accurate is None:
            from functions.score.encoder import Encoder, EncoderError

            section = self.meta.get("accurate")
            if not isinstance(section, dict):
                raise ModelError(f"{self.folder / 'model.json'}: no accurate path in this model")
            try:
                files = {k: self.folder / str(section[k])
                         for k in ("encoder", "tokenizer", "sentiment", "emotion")}  # fmt: skip
                encoder = Encoder.load(files["encoder"], files["tokenizer"])
            except KeyError as exc:
                raise ModelError(f"{self.folder / 'model.json'}: accurate path without {exc}") from exc  # fmt: skip
            except EncoderError as exc:
                raise ModelError(str(exc)) from exc
            heads = [Linear.load(files[n], SENTIMENT_LABELS if n == "sentiment" else EMOTION_LABELS)
                     for n in ("sentiment", "emotion")]  # fmt: skip
            for head in heads:
                if head.dense is None or head.weights.shape[0] != self.settings.dimension:
                    raise ModelError(f"{self.folder}: an accurate head that does not fit the model")
            self._accurate = Accurate(encoder, heads[0], heads[1])
        return self._accurate

    @property
    def route_below(self) -> float:
        """The balanced path's threshold on the fast top probability (0: route nothing)."""
        section = self.meta.get("accurate")
        value = section.get("route_below", 0.0) if isinstance(section, dict) else 0.0
        return float(value) if isinstance(value, int | float) else 0.0

    def routed(self, sentiment: np.ndarray) -> np.ndarray:
        """Rows of fast sentiment probabilities that the balanced path sends to the
        accurate one: top probability under ``route_below``, the least sure first, at most
        ROUTE_CAP of the rows (rounded up); in row order."""
        import numpy as np

        sure = sentiment.max(axis=1)
        below = np.flatnonzero(sure < self.route_below)
        cap = math.ceil(ROUTE_CAP * len(sure))
        if len(below) > cap:
            below = np.sort(below[np.argsort(sure[below], kind="stable")[:cap]])
        return below

    def score(
        self, texts: Sequence[str], batch: int = 1024, path: str = DEFAULT_PATH
    ) -> list[dict[str, Any]]:
        """The ARCHITECTURE.md contract per text, in order: polarity, label, emotions.
        ``path``: ``fast`` (the hashed linear model), ``accurate`` (the encoder too, for
        every text) or ``balanced`` (the fast model, and the accurate path for the texts it
        is least sure of; the fast path alone where the model has no accurate one)."""
        if path not in PATHS:
            raise ValueError(f"unknown scoring path {path!r}; expected one of {PATHS}")
        deep = self.accurate() if path == "accurate" else None
        route = path == "balanced" and self.has_accurate and self.route_below > 0
        results: list[dict[str, Any]] = []
        for chunk in batches(texts, batch):
            raw = raw_features(chunk, self.settings)
            if deep is None:
                sent = self.sentiment.probabilities(*raw)
                emo = self.emotion.probabilities(*raw)
                rows = self.routed(sent) if route else ()
                if len(rows):
                    sent[rows], emo[rows] = self._accurate_probabilities([chunk[i] for i in rows])  # fmt: skip
            else:
                sent, emo = self._accurate_probabilities(chunk, raw)
            for p, e in zip(sent.tolist(), emo.tolist(), strict=True):
                results.append(_result(p, e))
        return results

    def _accurate_probabilities(
        self, texts: list[str], raw: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        deep = self.accurate()
        raw = raw_features(texts, self.settings) if raw is None else raw
        vectors = deep.encoder.embed(texts)
        return deep.sentiment.probabilities(*raw, vectors), deep.emotion.probabilities(*raw, vectors)  # fmt: skip


def _result(p: list[float], e: list[float]) -> dict[str, Any]:
    best = max(range(3), key=p.__getitem__)
    polarity = max(-1.0, min(1.0, p[2] - p[0]))
    return {
        "polarity": round(polarity, 4),
        "label": SENTIMENT_LABELS[best],
        "emotions": {name: round(v, 4) for name, v in zip(EMOTION_LABELS, e, strict=True)},
    }


NEUTRAL: dict[str, Any] = {
    "polarity": 0.0,
    "label": "neutral",
    "emotions": dict.fromkeys(EMOTION_LABELS, 0.25),
}


@lru_cache(maxsize=4)
def _cached(folder: str) -> Model:
    return Model.load(folder)


def default_model() -> Model:
    """The shipped model (or the one in ``$SOCIALOPS_MODEL_DIR``), loaded once."""
    return _cached(os.environ.get(MODEL_DIR_ENV) or str(WEIGHTS_DIR))


def score(
    texts: Sequence[str], model: Model | None = None, path: str = DEFAULT_PATH
) -> list[dict[str, Any]]:
    """Score texts (default model) on ``path`` (fast, balanced or accurate); a blank text gives the
    neutral result; a text longer than ``MAX_TEXT`` characters is scored on its first
    ``MAX_TEXT``."""
    model = model or default_model()
    texts = [t[:MAX_TEXT] for t in texts]  # a str that fits is returned as is, not copied
    blank = [not t.strip() for t in texts]
    scored = iter(model.score([t for t, b in zip(texts, blank, strict=True) if not b], path=path))
    return [dict(NEUTRAL, emotions=dict(NEUTRAL["emotions"])) if b else next(scored) for b in blank]
