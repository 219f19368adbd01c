from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from jose_engine import SecurityWarning

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="session")
def seed_examples() -> dict[str, Any]:
    """The seed's five Add bodies, as shipped in examples/policies."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("policies/*.json"))}


@pytest.fixture(autouse=True)
def _quiet_security_warnings() -> Any:
    # Unsecured/deprecated choices warn by design; tests that care assert on them.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        yield
