"""Alipay bill (`alipay.data.dataservice.bill.downloadurl.query`): a ZIP of GBK CSVs. Members are picked by name
(`<account><date>_业务明细.csv`, `..._业务明细(汇总).csv`), whatever their order in the archive. Lines starting with
`#` frame the table (title, account, date range, the `业务明细列表` marker, its end marker and the totals after it).
Values often carry a trailing TAB, headers full-width parentheses (订单金额（元）), refunds are negative, and newer
exports add columns: every column is found by its title.

The details are checked against both summaries the bill carries (the `#交易合计` / `#退款合计` lines after the table
and the 合计 row of the summary member): a bill whose details do not add up is refused.
"""

import csv
import io
import re
import unicodedata
import zipfile
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from settlement.statements.base import StatementParser, net, same
from settlement.statements.messages import StatementRefused
from settlement.statements.reading import (
    RAW_LIMIT,
    CountingLines,
    Line,
    amount,
    china_date,
    clean,
    first_line_encoding,
    moment,
    text,
)

LAYOUT = "alipay"
LABEL = _("Alipay bill")
LAYOUT_LABELS = {LAYOUT: LABEL}
DETAIL_SUFFIX = "业务明细.csv"
SUMMARY_MARK = "汇总"
MAX_UNPACKED_BYTES = 4 * 1024 * 1024 * 1024
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M")
REQUIRED = ("支付宝交易号", "商户订单号", "业务类型", "完成时间", "订单金额(元)", "商家实收(元)")
PAYMENT, REFUND = "交易", "退款"
_TOTAL = re.compile(r"#(交易|退款)合计[:：](-?\d+)笔[,，]商家实收(?:退款)?共(-?[\d.,]+)元")


def title(name):
    """A column title as the parser compares it: full-width parentheses and spaces made plain."""
    return unicodedata.normalize("NFKC", clean(name)).replace(" ", "")


def member_name(info):
    """A member's name; an archive written on Windows names them in GBK without saying so."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _framing(raw_line):
    return raw_line.lstrip().startswith("#")


class AlipayParser(StatementParser):
    def bytes_read(self):
        lines = getattr(self, "_lines", None)
        member = getattr(self, "_member", None)
        if lines is None or member is None or not member.file_size:
            return 0
        return min(self.size, self.size * lines.bytes_read // member.file_size)

    def _open(self):
        try:
            archive = zipfile.ZipFile(self.stream)
        except (zipfile.BadZipFile, OSError):
            if self._looks_like_wechat():
                from settlement.statements.wechatpay import LABEL as WECHAT

                raise StatementRefused("looks_like", line=1, found=WECHAT, layout=LABEL) from None
            raise StatementRefused("not_zip") from None
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise StatementRefused("zip_too_large", limit=MAX_UNPACKED_BYTES // (1024 * 1024))
        named = {member_name(info): info for info in archive.infolist() if not info.is_dir()}
        details = [info for name, info in named.items() if name.endswith(DETAIL_SUFFIX) and SUMMARY_MARK not in name]
        summaries = [info for name, info in named.items()
                     if SUMMARY_MARK in name and name.rsplit(".", 1)[-1].lower() == "csv"]
        if not details:
            raise StatementRefused("zip_member_missing", name="…_业务明细.csv")
        return archive, details[0], summaries[0] if summaries else None

    def _looks_like_wechat(self):
        try:
            self.stream.seek(0)
            head = self.stream.read(4096)
            self.stream.seek(0)
        except (OSError, AttributeError):
            return False
        return "交易时间".encode() in head and "微信订单号".encode() in head

    def __iter__(self):
        archive, detail, summary = self._open()
        with archive:
            stated_summary = self._read_summary(archive, summary) if summary is not None else None
            self._member = detail
            with archive.open(detail) as member:
                yield from self._details(io.BufferedReader(member), stated_summary)
        self.layout = LAYOUT

    def _details(self, member, stated_summary):
        first = member.readline()
        if not first.strip():
            raise StatementRefused("empty")
        lines = self._lines = CountingLines(member, encoding=first_line_encoding(first))
        lines.push_back(first)
        reader = csv.reader(_unframed(lines, self))
        header = next(reader, None)
        if header is None:
            raise StatementRefused("truncated", line=lines.line)
        names = [title(name) for name in header]
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            raise StatementRefused("unknown_layout", line=lines.line, layout=LABEL)
        self.layout = LAYOUT
        index = {name: position for position, name in enumerate(names)}
        counts = {"payment": 0, "refund": 0}
        sums = {"订单金额(元)": Decimal(0), "商家实收(元)": Decimal(0), "服务费(元)": Decimal(0)}
        sign_sums = {"payment": Decimal(0), "refund": Decimal(0)}
        currency = self.channel.currency if self.channel is not None else "CNY"
        for row in reader:
            number = lines.line
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(names):
                raise StatementRefused("columns", line=number, found=len(row), expected=len(names))
            line, figures = self._line(row, index, number, currency)
            counts[line.kind] += 1
            for name, value in figures.items():
                sums[name] += value
            sign_sums[line.kind] += figures["商家实收(元)"]
            yield line
        if not self._ended:
            raise StatementRefused("truncated", line=lines.line)
        for kind, (stated_count, stated_amount, at) in self._totals.items():
            if stated_count != counts[kind]:
                name = "#交易合计" if kind == "payment" else "#退款合计"
                raise StatementRefused("summary_mismatch", line=at, name=name,
                                       stated=stated_count, computed=counts[kind])
            if not same(stated_amount, sign_sums[kind]):
                raise StatementRefused("summary_mismatch", line=at, name="商家实收", stated=stated_amount,
                                       computed=sign_sums[kind])
        if stated_summary is not None:
            self._check_summary(stated_summary, counts, sums)

    def _line(self, row, index, number, currency):
        def cell(name, default=""):
            position = index.get(name)
            return row[position] if position is not None else default

        business = clean(cell("业务类型"))
        if business not in (PAYMENT, REFUND):
            raise StatementRefused("bad_status", line=number, column="业务类型", value=business[:20])
        kind = "payment" if business == PAYMENT else "refund"
        order_amount = amount(cell("订单金额(元)"), line=number, column="订单金额（元）")
        received = amount(cell("商家实收(元)"), line=number, column="商家实收（元）")
        service_fee = amount(cell("服务费(元)"), line=number, column="服务费（元）")
        finished = clean(cell("完成时间")) or clean(cell("创建时间"))
        occurred_at = moment(finished, line=number, column="完成时间", formats=TIME_FORMATS)
        fee = abs(service_fee)
        line = Line(
            line_number=number, kind=kind,
            transaction_id=text(cell("支付宝交易号"), line=number, column="支付宝交易号"),
            order_number=text(cell("商户订单号"), line=number, column="商户订单号"),
            refund_number=text(cell("退款批次号/请求号"), line=number, column="退款批次号/请求号")
            if kind == "refund" else "",
            channel_refund_id="",
            gross_amount=abs(order_amount), fee=fee, net_amount=net(abs(received), fee),
            currency=currency, occurred_at=occurred_at, bill_date=china_date(occurred_at),
            raw=",".join(clean(value) for value in row)[:RAW_LIMIT],
        )
        return line, {"订单金额(元)": order_amount, "商家实收(元)": received, "服务费(元)": service_fee}

    def _read_summary(self, archive, info):
        """The 合计 row of the summary member (or the sum of its store rows): {title: Decimal} and its line."""
        with archive.open(info) as member:
            member = io.BufferedReader(member)
            first = member.readline()
            lines = CountingLines(member, encoding=first_line_encoding(first))
            lines.push_back(first)
            reader = csv.reader(line for line in lines if not _framing(line))
            header = next(reader, None)
            if header is None:
                return None
            names = [title(name) for name in header]
            total, last = {}, 0
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                last = lines.line
                values = dict(zip(names, row, strict=False))
                figures = {}
                for name in ("交易订单总笔数", "退款订单总笔数", "订单金额(元)", "商家实收(元)", "服务费(元)"):
                    if name in values:
                        places = Decimal(1) if name.endswith("笔数") else Decimal("0.01")
                        figures[name] = amount(values[name], line=last, column=name, places=places)
                if clean(row[0]) == "合计":
                    return {"figures": figures, "line": last, "member": member_name(info)}
                for name, value in figures.items():
                    total[name] = total.get(name, Decimal(0)) + value
            return {"figures": total, "line": last, "member": member_name(info)} if total else None

    def _check_summary(self, summary, counts, sums):
        figures, line = summary["figures"], summary["line"]
        computed = {"交易订单总笔数": Decimal(counts["payment"]), "退款订单总笔数": Decimal(counts["refund"]), **sums}
        for name, stated in figures.items():
            if name in computed and not same(stated, computed[name]):
                raise StatementRefused("summary_mismatch", line=line, name=f"{summary['member']}: {name}",
                                       stated=stated, computed=computed[name])


def _unframed(lines, parser):
    """The table's lines: the `#` framing skipped before the table, the totals after its end marker recorded."""
    parser._ended, parser._totals = False, {}
    started = False
    for line in lines:
        if _framing(line):
            stripped = line.strip()
            if started and "结束" in stripped:
                parser._ended = True
            match = _TOTAL.match(stripped.replace(" ", ""))
            if match:
                kind = "payment" if match.group(1) == "交易" else "refund"
                parser._totals[kind] = (int(match.group(2)), Decimal(match.group(3).replace(",", "")), lines.line)
            continue
        if parser._ended:
            if line.strip():
                raise StatementRefused("after_summary", line=lines.line)
            continue
        started = True
        yield line
