"""The lessons tab: evaluation records across reports, searchable and exportable.

Rows come from `Assistant.lessons` (its search and filters), exports from
`assistant.export` (`records_to_csv` / `records_to_xlsx`); this module only
lays them out. Both export buttons always hold the rows currently shown, so
what a donor downloads is what they see.
"""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from assistant.models import RECORD_LABELS, Record

from .choices import Choices, build_filters
from .exports import export_folder
from .render import file_url

TYPE_LABELS = RECORD_LABELS
SHORT_LABELS = {"management_response": "Mgmt response"}  # keeps the table's type column narrow
HEADERS = ["Type", "No.", "Text", "Document", "Organisation", "Country", "Year", "Page"]
TABLE_TEXT_CHARS = 260
MAX_ROWS = 500


def table_rows(records: list[Record]) -> list[list[Any]]:
    rows = []
    for r in records:
        text = f"{r.title}: {r.text}" if r.title and not r.text.startswith(r.title) else r.text
        if len(text) > TABLE_TEXT_CHARS:
            text = text[: TABLE_TEXT_CHARS - 1].rstrip() + "…"
        rows.append(
            [
                SHORT_LABELS.get(r.type) or TYPE_LABELS.get(r.type, r.type),
                r.number or "",
                text,
                r.document_title or r.source,
                r.organisation or "",
                ", ".join(r.countries),
                r.year or "",
                r.page or "",
            ]
        )
    return rows


def record_html(r: Record, settings=None) -> str:
    """The selected record in full, with where it is printed and a link there."""
    facts = [x for x in (r.organisation, ", ".join(r.countries), r.year) if x]
    where = f"page {r.page}" if r.page else ""
    link = (
        f'<a class="ea-open" href="{file_url(r.doc_id, r.page, settings)}" target="_blank" rel="noopener">'
        f"Open {'page ' + str(r.page) if r.page else 'document'} ↗</a>"
    )
    title = f"<div class='ea-title'>{html.escape(r.title)}</div>" if r.title else ""
    section = f"<div class='ea-section'>Section: {html.escape(r.section)}</div>" if r.section else ""
    label = TYPE_LABELS.get(r.type, r.type) + (f" {r.number}" if r.number else "")
    return (
        f'<div class="ea-source ea-record" data-record="{html.escape(r.id)}">'
        f'<div class="ea-source-head"><span class="ea-num">{html.escape(label)}</span> '
        f'<span class="ea-title">{html.escape(r.document_title or r.source)}</span></div>'
        f'<div class="ea-meta">{html.escape(" · ".join(str(f) for f in facts + ([where] if where else [])))}'
        f' · <span class="ea-file">{html.escape(r.source)}</span></div>'
        f"{section}{title}<blockquote class='ea-passage'>{html.escape(r.text)}</blockquote>{link}</div>"
    )


def search_records(assistant, query, rtype, org, country, year_from, year_to) -> list[Record]:
    filters = build_filters(org, country, year_from, year_to)
    query = (query or "").strip() or None
    try:
        return assistant.lessons(query=query, type=rtype or None, filters=filters or None, k=MAX_ROWS)
    except ValueError as exc:
        raise gr.Error(str(exc)) from None


def export_files(records: list[Record]) -> tuple[str | None, str | None]:
    """The shown rows as CSV and Excel files, through the records module."""
    from assistant.export import records_to_csv, records_to_xlsx

    folder = export_folder()
    csv_path = folder / "evaluation_records.csv"
    csv_path.write_text(records_to_csv(records), encoding="utf-8")
    xlsx_path = folder / "evaluation_records.xlsx"
    records_to_xlsx(records, xlsx_path)
    return str(csv_path), str(xlsx_path)


def build_lessons_tab(demo: gr.Blocks, assistant, choices: Choices) -> list[tuple[str, gr.Dropdown]]:
    """Lay out the tab; returns its filter dropdowns with the `Choices` field each offers."""
    shown = gr.State([])
    gr.Markdown(
        "Lessons learned, good practices, recommendations and management responses, "
        "one row per item as printed in the reports. Select a row to read it in full."
    )
    with gr.Row(equal_height=True):
        query = gr.Textbox(
            label="Search records",
            placeholder="e.g. partnerships with local government",
            scale=4,
            elem_id="ea-l-query",
        )
        rtype = gr.Dropdown(
            [("All types", "")] + [(v, k) for k, v in TYPE_LABELS.items()],
            value="",
            label="Type",
            scale=2,
            elem_id="ea-l-type",
        )
        go = gr.Button("Search", variant="primary", scale=1, min_width=90, elem_id="ea-l-search")
    with gr.Row(equal_height=True):
        org = gr.Dropdown(choices.organisations, label="Organisation", multiselect=True, scale=2, elem_id="ea-l-org")
        country = gr.Dropdown(choices.countries, label="Country", multiselect=True, scale=2, elem_id="ea-l-country")
        year_from = gr.Dropdown(choices.years, label="Year from", value=None, scale=1, elem_id="ea-l-yfrom")
        year_to = gr.Dropdown(choices.years, label="Year to", value=None, scale=1, elem_id="ea-l-yto")
    with gr.Row(equal_height=True):
        count = gr.Markdown("", elem_id="ea-l-count")
        csv_btn = gr.DownloadButton("Export CSV", size="sm", elem_id="ea-l-csv", scale=0, min_width=140)
        xlsx_btn = gr.DownloadButton("Export Excel", size="sm", elem_id="ea-l-xlsx", scale=0, min_width=140)
    table = gr.Dataframe(
        headers=HEADERS,
        datatype=["str", "str", "str", "str", "str", "str", "number", "number"],
        column_widths=["13%", "5%", "37%", "15%", "10%", "10%", "5%", "5%"],
        wrap=True,
        interactive=False,
        max_height=520,
        label="Records",
        elem_id="ea-l-table",
    )
    detail = gr.HTML("<div class='ea-hint'>Select a row to see the full record and a link to its page.</div>", elem_id="ea-l-detail")

    inputs = [query, rtype, org, country, year_from, year_to]

    def refresh(*values):
        records = search_records(assistant, *values)
        csv_path, xlsx_path = export_files(records) if records else (None, None)
        noun = "record" if len(records) == 1 else "records"
        summary = f"**{len(records)} {noun}**" + (" (the best matches first)" if (values[0] or "").strip() else "")
        rows = table_rows(records)
        return (
            rows,
            records,
            summary,
            gr.update(value=csv_path, interactive=bool(records)),
            gr.update(value=xlsx_path, interactive=bool(records)),
            "<div class='ea-hint'>Select a row to see the full record and a link to its page.</div>",
        )

    outputs = [table, shown, count, csv_btn, xlsx_btn, detail]
    go.click(refresh, inputs, outputs)
    query.submit(refresh, inputs, outputs)
    for control in (rtype, org, country, year_from, year_to):
        control.input(refresh, inputs, outputs)
    demo.load(refresh, inputs, outputs)

    def pick(records: list[Record], evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if row is None or row >= len(records):
            return gr.skip()
        record = records[row]
        return record_html(record if isinstance(record, Record) else Record.model_validate(record), assistant.settings)

    table.select(pick, [shown], [detail])
    return [("organisations", org), ("countries", country), ("years", year_from), ("years", year_to)]
