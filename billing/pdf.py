"""The PDF of a GST tax invoice, drawn with ReportLab from the invoice's stored fields."""

from __future__ import annotations

from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.gst_states import state_name
from billing.models import Invoice


def _money(paise: int) -> str:
    # ReportLab's base fonts have no rupee sign; "Rs." is the usual fallback on Indian invoices.
    return f"Rs. {paise // 100:,}.{paise % 100:02d}"


def render_invoice_pdf(invoice: Invoice) -> bytes:
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Tax invoice {invoice.number}",
        author=invoice.seller.get("name", ""),
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    styles = getSampleStyleSheet()
    seller, buyer = invoice.seller, invoice.buyer

    def party(title: str, data: dict[str, str]) -> Paragraph:
        parts = [f"<b>{title}</b>", _escape(data.get("name", ""))]
        if data.get("address"):
            parts.append(_escape(data["address"]).replace("\n", "<br/>"))
        parts.append(f"State: {state_name(data.get('state_code', ''))} ({data.get('state_code', '')})")
        parts.append(f"GSTIN: {data.get('gstin') or 'unregistered'}")
        return Paragraph("<br/>".join(parts), styles["Normal"])

    story: list = [  # type: ignore[type-arg]
        Paragraph("Tax invoice", styles["Title"]),
        Table(
            [
                [party("Seller", seller), party("Bill to", buyer)],
            ],
            colWidths=[87 * mm, 87 * mm],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]),
        ),
        Spacer(1, 6 * mm),
        Table(
            [
                ["Invoice number", invoice.number, "Date", invoice.issued_at.strftime("%d %b %Y")],
                [
                    "Place of supply",
                    f"{state_name(invoice.place_of_supply)} ({invoice.place_of_supply})",
                    "SAC",
                    invoice.sac_code,
                ],
                [
                    "Period",
                    _period(invoice),
                    "Payment",
                    invoice.payment.razorpay_payment_id,
                ],
            ],
            colWidths=[32 * mm, 60 * mm, 22 * mm, 60 * mm],
            style=TableStyle(
                [("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"), ("FONTNAME", (2, 0), (2, -1), "Helvetica-Bold")]
            ),
        ),
        Spacer(1, 6 * mm),
    ]
    rows: list[list[str]] = [["Description", "SAC", "Amount"]]
    rows += [[line["description"], invoice.sac_code, _money(int(line["amount_paise"]))] for line in invoice.lines]
    rows.append(["Taxable value", "", _money(invoice.taxable_paise)])
    if invoice.igst_paise:
        rows.append(["IGST @ 18%", "", _money(invoice.igst_paise)])
    else:
        rows.append(["CGST @ 9%", "", _money(invoice.cgst_paise)])
        rows.append(["SGST @ 9%", "", _money(invoice.sgst_paise)])
    rows.append(["Total", "", _money(invoice.total_paise)])
    if invoice.credit_applied_paise:
        rows.append(
            ["Less account credit (refunded to your payment method)", "", "-" + _money(invoice.credit_applied_paise)]
        )
        rows.append(["Paid", "", _money(invoice.total_paise - invoice.credit_applied_paise)])
    story.append(
        Table(
            rows,
            colWidths=[110 * mm, 24 * mm, 40 * mm],
            style=TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                    ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black),
                    ("FONTNAME", (0, len(rows) - 1), (-1, len(rows) - 1), "Helvetica-Bold"),
                    ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                ]
            ),
        )
    )
    story += [
        Spacer(1, 8 * mm),
        Paragraph("Paid in full through Razorpay. This is a computer-generated invoice.", styles["Italic"]),
    ]
    doc.build(story)
    return buffer.getvalue()


def _period(invoice: Invoice) -> str:
    if invoice.period_start and invoice.period_end:
        return f"{invoice.period_start:%d %b %Y} - {invoice.period_end:%d %b %Y}"
    return "-"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
