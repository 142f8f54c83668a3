"""Pure domain logic: no Flask, no SQLAlchemy, no clock. Importable and testable alone."""
