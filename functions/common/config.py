"""Load the compiled runtime configs (``build/config/<campaign>.json``) at cold start.

``socialops compile`` validated them already; they are validated again here with the same
pydantic models (ARCHITECTURE.md section 3), so that a config written by another version of the
compiler, or edited by hand, fails loudly at cold start instead of misbehaving later.

The folder is ``$SOCIALOPS_CONFIG_DIR`` or, by default, the ``build/config`` packaged with
the function (``/var/task/build/config`` on Lambda). Configs are read once per cold start
(call :func:`clear_cache` to read them again, e.g. in tests).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

from pydantic import ValidationError

from schema.documents import RuntimeConfig
from schema.types import NAME_PATTERN

CONFIG_DIR_ENV = "SOCIALOPS_CONFIG_DIR"
DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[2] / "build" / "config"
MAX_ERRORS_SHOWN = 5


class ConfigError(RuntimeError):
    """A compiled config is missing, unreadable or does not match the models."""


class CampaignMissing(ConfigError):
    """No compiled config for the campaign: it was removed (or never compiled)."""


def config_dir() -> Path:
    """The folder of compiled configs: ``$SOCIALOPS_CONFIG_DIR`` or the packaged one."""
    configured = os.environ.get(CONFIG_DIR_ENV, "").strip()
    return Path(configured) if configured else DEFAULT_CONFIG_DIR


def _describe(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors()
    ]
    more = len(problems) - MAX_ERRORS_SHOWN
    shown = "; ".join(problems[:MAX_ERRORS_SHOWN])
    return shown + (f"; and {more} more" if more > 0 else "")


def parse(path: Path) -> RuntimeConfig:
    """Read and validate one compiled config file, named after its campaign."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the compiled config: {exc.strerror}") from exc
    try:
        config = RuntimeConfig.model_validate_json(raw)
    except ValidationError as exc:
        raise ConfigError(
            f"{path}: invalid compiled config ({exc.error_count()} problems: {_describe(exc)}); "
            "recompile with the socialops version these functions were deployed with"
        ) from exc
    if config.campaign.name != path.stem:
        raise ConfigError(f"{path}: holds campaign {config.campaign.name!r}, not {path.stem!r}")
    return config


def _folder() -> Path:
    folder = config_dir()
    if not folder.is_dir():
        raise ConfigError(
            f"no compiled config folder at {folder}: run `socialops compile` before packaging, "
            f"or set {CONFIG_DIR_ENV} to the folder that holds <campaign>.json"
        )
    return folder


@cache
def load_all() -> Mapping[str, RuntimeConfig]:
    """Every compiled campaign config, by campaign name, each validated (read-only)."""
    return MappingProxyType({p.stem: parse(p) for p in sorted(_folder().glob("*.json"))})


@cache
def load(campaign: str) -> RuntimeConfig:
    """The config of one campaign (``ConfigError`` if there is none)."""
    if not re.fullmatch(NAME_PATTERN, campaign):
        raise ConfigError(f"{campaign!r} is not a campaign name")
    path = _folder() / f"{campaign}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in path.parent.glob("*.json"))) or "none"
        raise CampaignMissing(f"no compiled config for campaign {campaign!r} (compiled: {known})")
    return parse(path)


def load_each() -> tuple[dict[str, RuntimeConfig], dict[str, str]]:
    """The compiled configs that load, by campaign, and why each other one does not: one
    bad file stops none of the others (``ConfigError`` only when there is no folder)."""
    loaded: dict[str, RuntimeConfig] = {}
    problems: dict[str, str] = {}
    for path in sorted(_folder().glob("*.json")):
        try:
            loaded[path.stem] = load(path.stem)
        except ConfigError as error:
            problems[path.stem] = str(error)
    return loaded, problems


def for_brand(brand: str) -> list[RuntimeConfig]:
    """The configs of a brand's campaigns (``ConfigError`` if it has none)."""
    configs = [c for c in load_all().values() if c.brand.name == brand]
    if not configs:
        raise ConfigError(f"no compiled campaign of brand {brand!r} in {config_dir()}")
    return configs


def clear_cache() -> None:
    """Forget what was loaded: the next call reads the folder again."""
    load_all.cache_clear()
    load.cache_clear()
