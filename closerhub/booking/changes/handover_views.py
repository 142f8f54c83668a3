"""A closer hands a call back from the call's page (``booking.handover``)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from closerhub import clock
from closerhub.accounts.permissions import closer_required
from closerhub.booking.changes import handover
from closerhub.booking.forms import HandBackForm
from closerhub.booking.models import Appointment
from closerhub.booking.pages.manage import run_change
from closerhub.booking.views import _find, _me, _render_show, bp
from closerhub.extensions import db


@bp.post("/appointments/<int:appointment_id>/hand-back")
@closer_required
def hand_back(appointment_id: int) -> Response | tuple[str, int]:
    """The closer gives the call back: another free engaged closer takes it, else it is cancelled."""
    appointment = _find(appointment_id)
    form = HandBackForm()
    done: list[handover.Handover] = []

    def action() -> Appointment:
        done.append(
            handover.hand_back(db.session, appointment, closer=_me(), reason=form.reason.data, now=clock.utcnow())
        )
        return appointment

    error = run_change(form, action)
    if error:
        return _render_show(_find(appointment_id), error, handback_form=form)
    new_closer = done[0].new_closer
    if new_closer is not None:
        flash(_("Call handed back: %(name)s takes it; everyone has been told.", name=new_closer.name), "success")
    else:
        flash(_("Call handed back: nobody else was free, so it is cancelled; everyone has been told."), "success")
    return redirect(url_for("appointments.schedule"))
