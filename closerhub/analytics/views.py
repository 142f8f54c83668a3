"""Analytics pages: ``/analytics`` for every role (its own scope) and ``/analytics/<table>.csv``.

Thin views: the scope comes from the logged-in user (``Scope.for_user``), never from the
query string, so a closer sees only their calls, a business only its own, an admin all;
the period (``?weeks=4|12|26``) is the only parameter. A bad period shows the page again
with the error (422) and no figures; a table of another role answers 404.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from closerhub import clock
from closerhub.accounts.models import User
from closerhub.accounts.permissions import login_required
from closerhub.analytics import aggregates, charts, export, queries
from closerhub.analytics.table_kinds import Context, Table
from closerhub.analytics.tables import builders_for
from closerhub.core.money import Money, format_money
from closerhub.extensions import db
from closerhub.i18n import current_locale, zone_city

bp = Blueprint("analytics", __name__)

STACK_COLORS = {"pending": "#d08a00", "available": "#1f5eff", "paid": "#137a4b"}


class RangeForm(FlaskForm):
    """The period selector: a GET form (it changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    weeks = SelectField(
        _l("Period"),
        choices=[SelectChoice(str(n), _l("Last %(n)d weeks", n=n)) for n in queries.RANGE_CHOICES],
        default=str(queries.DEFAULT_WEEKS),
    )


def _me() -> User:
    return current_user


def _context(form: RangeForm) -> Context | None:
    """The viewer's context for the chosen period, or None when the period is not one we offer."""
    if not form.validate():
        return None
    weeks = queries.week_buckets(clock.utcnow(), _me().timezone, int(form.weeks.data or queries.DEFAULT_WEEKS))
    return Context(db.session, _me(), queries.Scope.for_user(_me()), weeks)


def _range_form() -> RangeForm:
    data = request.args if "weeks" in request.args else None
    form = RangeForm(formdata=data)
    if data is None:
        form.weeks.data = str(queries.DEFAULT_WEEKS)
    return form


@bp.get("/analytics")
@login_required
def index() -> tuple[str, int]:
    """The role's figures, charts and tables for the chosen period (default: the last 12 weeks)."""
    form = _range_form()
    ctx = _context(form)
    if ctx is None:
        return render_template("analytics/index.html", form=form, tables={}, charts={}, ctx=None), 422
    tables = {slug: build(ctx) for slug, build in builders_for(_me()).items()}
    fresh = aggregates.freshness(ctx.session) if aggregates.serves(ctx.scope, ctx.weeks) else None
    return render_template(
        "analytics/index.html",
        form=form,
        tables=tables,
        charts=_charts(ctx, tables),
        ctx=ctx,
        cell=_cell,
        freshness=fresh,
    ), 200


@bp.get("/analytics/<slug>.csv")
@login_required
def table_csv(slug: str) -> Response | tuple[str, int, dict[str, str]]:
    """One table of the page as a CSV file, with the same period and the same scope."""
    builders = builders_for(_me())
    if slug not in builders:
        abort(404)
    form = _range_form()
    ctx = _context(form)
    if ctx is None:
        message = _("Choose a period of %(choices)s weeks.", choices=", ".join(map(str, queries.RANGE_CHOICES)))
        return message, 422, {"Content-Type": "text/plain; charset=utf-8"}
    table = builders[slug](ctx)
    filename = f"closerhub-{slug}-{ctx.weeks[0].start_date.isoformat()}-{len(ctx.weeks)}w.csv"
    return Response(
        "\ufeff" + export.to_csv(table, ctx.zone),  # the BOM makes Excel read it as UTF-8
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@bp.app_template_global("analytics_csv_url")
def csv_url(slug: str) -> str:
    """The download link of a table, carrying the page's period."""
    return url_for("analytics.table_csv", slug=slug, weeks=request.args.get("weeks", queries.DEFAULT_WEEKS))


def _cell(value: Any, kind: str) -> str:
    return export.cell_html(value, kind, current_locale(), _me().timezone)


# --- charts -------------------------------------------------------------------------------


def _charts(ctx: Context, tables: dict[str, Table]) -> dict[str, str]:
    """The SVG charts of the page, drawn from the same tables the page lists."""
    locale = current_locale()
    labels = [format_date(w.start_date, "d MMM") for w in ctx.weeks]
    x_label = _("Week starting Monday (%(zone)s)", zone=zone_city(ctx.zone))
    weekly = tables["weekly"].rows
    out: dict[str, str] = {
        "appointments": charts.bar_chart(
            _("Appointments per week"),
            labels,
            [r["appointments"] for r in weekly],
            value_text=[export.cell_html(r["appointments"], "int", locale, ctx.zone) for r in weekly],
            x_label=x_label,
            y_label=_("Appointments"),
            chart_id="chart-appointments",
            empty_text=_("No appointments in this period."),
        ),
        "rates": charts.line_chart(
            _("Show rate and close rate per week"),
            labels,
            [
                charts.Series(_("Show rate"), [r["show_rate"] for r in weekly]),
                charts.Series(_("Close rate"), [r["close_rate"] for r in weekly]),
            ],
            value_format=lambda v: export.percent(v, locale),
            x_label=x_label,
            y_label=_("Rate"),
            chart_id="chart-rates",
            empty_text=_("No calls held in this period."),
        ),
    }
    if "earnings" in tables:
        by_currency: dict[str, list[dict[str, Any]]] = {}
        for row in tables["earnings"].rows:
            by_currency.setdefault(row["currency"], []).append(row)
        for currency, rows in by_currency.items():
            out[f"earnings-{currency}"] = charts.stacked_bar_chart(
                _("Earnings at each week's end (%(currency)s)", currency=currency),
                labels,
                [
                    charts.Series(name, [r[key].amount for r in rows], STACK_COLORS[key])
                    for key, name in (("paid", _("Paid")), ("available", _("Available")), ("pending", _("Pending")))
                ],
                value_format=partial(_money_label, currency=currency, locale=locale),
                x_label=x_label,
                y_label=currency,
                chart_id=f"chart-earnings-{currency}",
            )
    for slug, key, value_key, kind in (
        ("lost_reasons", "reason", "count", "int"),
        ("techniques", "technique", "close_rate", "rate"),
    ):
        if slug in tables:
            rows = tables[slug].rows
            out[slug] = charts.hbar_chart(
                tables[slug].title,
                [r[key] for r in rows],
                [r[value_key] or 0 for r in rows],
                value_text=[export.cell_html(r[value_key], kind, locale, ctx.zone) for r in rows],
                chart_id=f"chart-{slug}",
                x_label=_("Close rate") if kind == "rate" else _("Deals lost"),
                empty_text=_("No data for this period."),
            )
    return out


def _money_label(value: float, *, currency: str, locale: str) -> str:
    """A chart value (whole minor units) as money in the reader's locale."""
    return format_money(Money(int(value), currency), locale)
