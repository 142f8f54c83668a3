"""The migrations are the schema: `flask db upgrade` from empty equals the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from closerhub.extensions import db


def test_upgrade_from_empty_matches_the_models_exactly(app: Flask) -> None:
    # The session database was built from empty by `flask db upgrade` (tests/conftest.py).
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def test_every_model_table_exists_in_the_migrated_database(app: Flask) -> None:
    from sqlalchemy import inspect

    tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables
