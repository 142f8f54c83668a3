"""The development key is created once, whatever the number of processes starting together."""

from __future__ import annotations

from multiprocessing import get_context
from pathlib import Path

from closerhub.secrets_box import development_key


def _key(folder: str) -> str:
    return development_key(Path(folder))


def test_processes_starting_together_on_a_fresh_checkout_share_one_key(tmp_path: Path) -> None:
    with get_context("spawn").Pool(6) as pool:
        keys = pool.map(_key, [str(tmp_path)] * 12)
    assert len(set(keys)) == 1 and keys[0] == (tmp_path / "encryption.key").read_text().strip()
    assert [p.name for p in tmp_path.iterdir()] == ["encryption.key"]  # no temporary file left
