"""Glue between WTForms and domain errors: show a service's field errors on the form; the bare action form."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from closerhub.commands import Command, rename_errors
from closerhub.core.errors import DomainError


def show_errors(form: FlaskForm, exc: DomainError, command: type[Command] | None = None) -> None:
    """Attach ``exc.field_errors`` to the matching fields; anything else goes on the form.

    With ``command``, the error's command field names are first renamed to the form's
    (``Command.form_names``).
    """
    if command is not None:
        rename_errors(exc, command, "form")
    unplaced = []
    for name, message in exc.field_errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), message]
        else:
            unplaced.append(message)
    form.form_errors.extend(unplaced)
    flash(exc.message, "error")


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
