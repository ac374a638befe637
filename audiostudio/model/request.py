"""The two hashes of a generation request (see docs/project-format.md, Take).

``request_hash``: the request as written, for staleness — editing the text makes a clip stale.
``cache_key``: the request as the provider will actually run it — its defaults filled in, the
concrete seed and the engine version — so a cache hit is exact and a changed synthesis engine
never serves stale audio. Both hash canonical JSON: sorted keys, numbers normalised (1 == 1.0),
text in Unicode NFC.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Any

from audiostudio.model.project import Request
from audiostudio.model.schema import to_json


def _canonical(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        # Integral floats hash like ints; others keep 12 significant digits, which absorbs
        # binary noise (0.1 + 0.2) without merging values a person would call different.
        return int(value) if value.is_integer() else float(f"{value:.12g}")
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {unicodedata.normalize("NFC", str(k)): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha256(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def request_hash(request: Request) -> str:
    """Hash of the request as written (every key, unknown ones too). ``fit`` counts only when
    true: requests written before the key existed keep their hash (their takes stay current)."""
    data = to_json(request)
    if data.get("fit") is False:
        del data["fit"]
    return _sha256(data)


def cache_key(resolved: dict[str, Any], seed: int | None, variant: int, engine_version: str) -> str:
    """Hash of a request as run: ``resolved`` has the provider's defaults filled in."""
    return _sha256({"request": resolved, "seed": seed, "variant": variant,
                    "engine": engine_version})
