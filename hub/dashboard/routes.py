"""Pages: the coordinators' dashboard and the CSV export of each of its figures."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext
from flask_login import current_user, login_required

from hub.dashboard.charts import Bar, bar_chart
from hub.dashboard.services import FIGURES, Dashboard, Spread, check_period, csv_cell, dashboard, figure_rows
from hub.errors import N_, ValidationFailed, one_of_reason
from hub.i18n import country_name, milestone_label, mode_label
from hub.milestones_catalogue import STATUS_CODES
from hub.permissions import require_staff

bp = Blueprint("dashboard", __name__)


def _spread_chart(title: str, spreads: list[Spread], unit: str) -> Any:
    bars = [Bar(s.label, s.median, s.p90, f"{s.median:g} / {s.p90:g} {unit}") for s in spreads]
    return bar_chart(title, bars, "spread")


def _tables(board: Dashboard) -> dict[str, list[Spread]]:
    """The spreads as the page shows them: transport modes by their name in the viewer's
    language (the CSV keeps the codes)."""
    return {
        "clearance_by_country": board.clearance_by_country,
        "clearance_by_agent": board.clearance_by_agent,
        "clearance_by_mode": [replace(s, label=mode_label(s.label)) for s in board.clearance_by_mode],
    }


def _charts(board: Dashboard, tables: dict[str, list[Spread]]) -> dict[str, Any]:
    days, hours = gettext("business days"), gettext("h")
    statuses = sorted(board.by_status.items(), key=lambda item: STATUS_CODES.index(item[0])
                      if item[0] in STATUS_CODES else len(STATUS_CODES))
    return {
        "status": bar_chart(gettext("Shipments by status"),
                            [Bar(milestone_label(s), n, text=str(n)) for s, n in statuses]),
        "clearance_by_country": _spread_chart(gettext("Clearance time by destination"),
                                              tables["clearance_by_country"], days),
        "clearance_by_agent": _spread_chart(gettext("Clearance time by agent"), tables["clearance_by_agent"], days),
        "clearance_by_mode": _spread_chart(gettext("Clearance time by transport mode"),
                                           tables["clearance_by_mode"], days),
        "on_time": bar_chart(gettext("On-time rate by destination"), [
            Bar(country_name(country), 100 * on_time / released, text=f"{100 * on_time / released:.0f} %")
            for country, on_time, released in board.on_time], "rate"),
        "response": _spread_chart(gettext("Partners' response time"), board.response_by_organization, hours),
    }


@bp.get("/dashboard")
@login_required
def index() -> Any:
    """The morning view: counts, clearance and response figures over a chosen period."""
    require_staff(current_user)
    error, status = None, 200
    try:
        period = check_period(request.args.get("from"), request.args.get("to"))
    except ValidationFailed as exc:
        error, status = exc, 422
        period = check_period(None, None)
    board = dashboard(current_user, period)
    tables = _tables(board)
    return render_template("dashboard/index.html", board=board, tables=tables, charts=_charts(board, tables),
                           error=error, statuses=STATUS_CODES), status


@bp.get("/dashboard/export.csv")
@login_required
def export_csv() -> Any:
    """One figure as CSV (`?figure=`, the same period as the page); formulas neutralised."""
    require_staff(current_user)
    figure = request.args.get("figure", "")
    if figure not in FIGURES:
        raise ValidationFailed(N_("Unknown figure."), fields={"figure": one_of_reason(FIGURES)})
    period = check_period(request.args.get("from"), request.args.get("to"))
    rows = figure_rows(dashboard(current_user, period), figure)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    filename = f"{figure}_{period.start.isoformat()}_{period.end.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
