"""The development key is created once, whatever the number of processes starting together."""

from __future__ import annotations

from pathlib import Path

from closerhub.secrets_box import development_key
from tests.processes import fresh_processes


def _key(folder: str) -> str:
    return development_key(Path(folder))


def test_processes_starting_together_on_a_fresh_checkout_share_one_key(tmp_path: Path) -> None:
    # six separate processes (forked from one that imported the app once, not spawned to import it six times)
    with fresh_processes().Pool(6) as pool:
        keys = pool.map(_key, [str(tmp_path)] * 12)
    assert len(set(keys)) == 1 and keys[0] == (tmp_path / "encryption.key").read_text().strip()
    assert [p.name for p in tmp_path.iterdir()] == ["encryption.key"]  # no temporary file left
