"""Show a ValidationReport: counts, the error, warnings, rejected rows (downloadable), column mapping."""

from __future__ import annotations

import polars as pl
import streamlit as st

from lib.fmt import fmt_int
from lib.i18n import t
from lib.ingest import ValidationReport
from lib.periods import period_label
from lib.ui.text import md_escape

WARNINGS_INLINE = 4  # more than this and warnings go in a table


def show_report(report: ValidationReport, lang: str, key: str) -> None:
    if report.error is not None:
        st.error(md_escape(report.error.message(lang)), icon=":material/error:")
    cols = st.columns(6)
    figures = [
        ("rows_read", report.rows_read),
        ("rows_loaded", report.rows_loaded),
        ("rows_rejected", report.rows_rejected),
        ("duplicates", report.duplicates),
        ("services", report.services),
        ("kpis", report.kpis),
    ]
    for col, (name, value) in zip(cols, figures, strict=True):
        col.metric(t(f"data.report.{name}", lang), fmt_int(value, lang))
    if report.first_period and report.grain:
        st.caption(
            t(
                "data.report.periods",
                lang,
                grain=t(f"data.grain.{report.grain}", lang),
                first=period_label(report.first_period, report.grain, lang),
                last=period_label(report.last_period, report.grain, lang),
            )
        )
    if report.sheet:
        st.caption(md_escape(t("data.report.sheet", lang, sheet=report.sheet)))

    if report.warnings:
        st.markdown(f"**{t('data.report.warnings', lang, count=len(report.warnings))}**")
        if len(report.warnings) <= WARNINGS_INLINE:
            for notice in report.warnings:
                st.warning(md_escape(notice.message(lang)), icon=":material/warning:")
        else:
            table = pl.DataFrame(
                [n.to_dict(lang) for n in report.warnings], schema={"code": pl.String, "message": pl.String}
            )
            st.dataframe(
                table,
                hide_index=True,
                width="stretch",
                column_config={
                    "code": t("data.report.col_code", lang),
                    "message": t("data.report.col_message", lang),
                },
            )

    if report.rejected:
        st.markdown(f"**{t('data.report.rejected', lang, rows=fmt_int(report.rows_rejected, lang))}**")
        frame = report.rejected_frame(lang)
        st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            column_config={c: t(f"data.report.col_{c}", lang) for c in frame.columns},
        )
        st.download_button(
            t("data.report.download_rejected", lang),
            frame.write_csv().encode("utf-8-sig"),
            file_name="rejected_rows.csv",
            mime="text/csv",
            key=f"{key}_dl_rejected",
            icon=":material/download:",
        )
    elif report.error is None:
        st.success(t("data.report.no_rejected", lang), icon=":material/check_circle:")

    if report.columns or report.unmapped:
        with st.expander(t("data.report.columns", lang)):
            rows = [{"source": src, "column": dst} for src, dst in report.columns.items()]
            rows += [{"source": src, "column": t("data.report.ignored", lang)} for src in report.unmapped]
            st.dataframe(
                pl.DataFrame(rows),
                hide_index=True,
                width="stretch",
                column_config={
                    "source": t("data.report.col_source", lang),
                    "column": t("data.report.col_column", lang),
                },
            )
