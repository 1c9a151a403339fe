"""Statement files as the payment channels deliver them, written from a list of payments and refunds: the WeChat
Pay trade bill (current and legacy layouts), the Alipay bill ZIP (GBK CSVs, `#` framing, trailing TABs) and a
UnionPay-like CSV for the default mapping. Used by the demo data, the tests (realistic fixtures, plus the damaged
variants the bad-input tests need) and bench/statements.py (streamed: a million rows in constant memory).

Nothing here is product code: the product reads these formats (settlement.statements), it never writes them.
"""

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
WECHAT_CURRENT = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
    "手续费,费率,订单金额,申请退款金额,费率备注")
WECHAT_CURRENT_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
WECHAT_LEGACY = (
    "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "总金额,代金券或立减优惠金额,微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,商品名称,"
    "商户数据包,手续费,费率")
WECHAT_LEGACY_SUMMARY = "总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额"
ALIPAY_HEADER = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,"
    "商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,"
    "商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注").split(",")
ALIPAY_SUMMARY_HEADER = ("门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,"
                         "支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）").split(",")
UNIONPAY_HEADER = ["交易时间", "交易流水号", "商户订单号", "交易类型", "交易金额", "手续费", "清算金额", "退款单号",
                   "终端号"]
FEN = Decimal("0.01")
FEE_UNIT = Decimal("0.00001")


@dataclass
class Entry:
    """One payment or refund as a channel reports it (amounts positive; `kind` says the direction)."""

    order_number: str
    transaction_id: str
    amount: Decimal
    at: datetime
    kind: str = "payment"
    fee: Decimal | None = None  # None: the channel's rate of the amount
    refund_number: str = ""
    refund_id: str = ""
    product: str = "商品"
    currency: str = ""  # written only by a layout with a currency column (`unionpay_csv(..., currency_column=...)`)

    def fee_at(self, rate):
        if self.fee is not None:
            return self.fee
        return (self.amount * rate).quantize(FEE_UNIT, rounding=ROUND_HALF_UP)


def _local(at):
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _yuan(value, places=FEN):
    return f"{Decimal(value).quantize(places, rounding=ROUND_HALF_UP)}"


# --- WeChat Pay -------------------------------------------------------------------------------------------------------

def wechatpay_rows(entries, *, layout="current", rate=Decimal("0.006"), appid="wx2421b1c4370ec43b",
                   mch_id="10000100"):
    """(detail rows as text lines, the summary's figures) of a bill; a generator of lines then the figures."""
    sums = {"count": 0, "paid": Decimal(0), "refund": Decimal(0), "fee": Decimal(0), "order": Decimal(0),
            "asked": Decimal(0)}
    for entry in entries:
        fee = entry.fee_at(rate)
        refund = entry.kind == "refund"
        paid = Decimal(0) if refund else entry.amount
        refunded = entry.amount if refund else Decimal(0)
        fee_signed = -fee if refund else fee
        sums["count"] += 1
        sums["paid"] += paid
        sums["refund"] += refunded
        sums["fee"] += fee_signed
        sums["order"] += paid
        sums["asked"] += refunded
        common = [_local(entry.at), appid, mch_id, "0" if layout == "current" else "", "", entry.transaction_id,
                  entry.order_number, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "JSAPI", "REFUND" if refund else "SUCCESS",
                  "CMB_CREDIT", "CNY", _yuan(paid), "0.00", entry.refund_id if refund else "0",
                  entry.refund_number if refund else "0", _yuan(refunded), "0.00",
                  "ORIGINAL" if refund else "", "SUCCESS" if refund else "", entry.product, "",
                  _yuan(fee_signed, FEE_UNIT), "0.60%"]
        if layout == "current":
            common += [_yuan(paid), _yuan(refunded), ""]
        yield "`" + ",`".join(common)
    yield sums


def wechatpay_bill_write(out, entries, *, layout="current", rate=Decimal("0.006"), summary=None, truncate=False):
    """Write a trade bill to the binary stream `out` (UTF-8), row by row. `summary` overrides summary figures (a
    bill whose details do not add up); `truncate` stops before the summary (a file cut off)."""
    header = WECHAT_CURRENT if layout == "current" else WECHAT_LEGACY
    out.write((header + "\r\n").encode())
    sums = None
    for item in wechatpay_rows(entries, layout=layout, rate=rate):
        if isinstance(item, dict):
            sums = item
            break
        out.write((item + "\r\n").encode())
    if truncate:
        return
    if layout == "current":
        figures = {"总交易单数": str(sums["count"]), "应结订单总金额": _yuan(sums["paid"]),
                   "退款总金额": _yuan(sums["refund"]), "充值券退款总金额": "0.00",
                   "手续费总金额": _yuan(sums["fee"], FEE_UNIT), "订单总金额": _yuan(sums["order"]),
                   "申请退款总金额": _yuan(sums["asked"])}
        titles = WECHAT_CURRENT_SUMMARY
    else:
        figures = {"总交易单数": str(sums["count"]), "总交易额": _yuan(sums["paid"]),
                   "总退款金额": _yuan(sums["refund"]),
                   "总代金券或立减优惠退款金额": "0.00", "手续费总金额": _yuan(sums["fee"], FEE_UNIT)}
        titles = WECHAT_LEGACY_SUMMARY
    figures.update(summary or {})
    out.write((titles + "\r\n").encode())
    out.write(("`" + ",`".join(figures[name] for name in titles.split(",")) + "\r\n").encode())


def wechatpay_bill(entries, **options):
    out = io.BytesIO()
    wechatpay_bill_write(out, entries, **options)
    return out.getvalue()


# --- Alipay -----------------------------------------------------------------------------------------------------------

def _gbk_csv(lines):
    return "\r\n".join(lines).encode("gb18030") + b"\r\n"


def _csv_line(cells, tab=True):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([f"{cell}\t" if tab else cell for cell in cells])
    return buffer.getvalue()


def alipay_bill(entries, *, day, account="20881234567890120156", rate=Decimal("0.006"), summary_first=True,
                extra_column=True, totals=None, cut=False, store="星河家电旗舰店"):
    """The ZIP Alipay delivers for one day. `totals` overrides the `#交易合计` figures; `cut` drops the table's end
    (a truncated member); `extra_column` adds a column newer exports have (matched by title, not position)."""
    header = list(ALIPAY_HEADER) + (["商户门店编号"] if extra_column else [])
    start = day.strftime("%Y年%m月%d日")
    lines = ["#支付宝业务明细查询", f"#账号：[{account}]",
             f"#起始日期：[{start} 00:00:00]   终止日期：[{start} 23:59:59]",
             "#-----------------------------------------业务明细列表----------------------------------------",
             _csv_line(header, tab=False)]
    counts = {"payment": 0, "refund": 0}
    sums = {"payment": Decimal(0), "refund": Decimal(0)}
    order_sum = fee_sum = Decimal(0)
    for entry in entries:
        refund = entry.kind == "refund"
        sign = -1 if refund else 1
        fee = entry.fee if entry.fee is not None else (entry.amount * rate).quantize(FEN, rounding=ROUND_HALF_UP)
        amount = sign * entry.amount
        service = fee if refund else -fee  # Alipay shows a payment's fee negative, a returned fee positive
        counts[entry.kind] += 1
        sums[entry.kind] += amount
        order_sum += amount
        fee_sum += service
        cells = [entry.transaction_id, entry.order_number, "退款" if refund else "交易", entry.product,
                 _local(entry.at), _local(entry.at), "", store, "", "", "buy***@example.com", _yuan(amount),
                 _yuan(amount), "0.00",
                 "0.00", "0.00", "0.00", "0.00", "", "0.00", "0.00", entry.refund_number if refund else "",
                 _yuan(service), "0.00", ""]
        if extra_column:
            cells.append("S001")
        lines.append(_csv_line(cells))
    if cut:
        detail = _gbk_csv(lines)
    else:
        stated = {"payment": (counts["payment"], sums["payment"]), "refund": (counts["refund"], sums["refund"])}
        stated.update(totals or {})
        lines += ["#-----------------------------------------业务明细列表结束------------------------------------",
                  f"#交易合计：{stated['payment'][0]}笔，商家实收共{_yuan(stated['payment'][1])}元，商家优惠共0.00元",
                  f"#退款合计：{stated['refund'][0]}笔，商家实收退款共{_yuan(stated['refund'][1])}元，商家优惠退款共0.00元",
                  f"#导出时间：[{start} 09:12:34]"]
        detail = _gbk_csv(lines)
    summary = _gbk_csv([
        "#支付宝业务汇总查询", f"#账号：[{account}]", f"#起始日期：[{start} 00:00:00]   终止日期：[{start} 23:59:59]",
        "#-----------------------------------------业务汇总列表----------------------------------------",
        _csv_line(ALIPAY_SUMMARY_HEADER, tab=False),
        _csv_line(["", store, counts["payment"], counts["refund"], _yuan(order_sum), _yuan(order_sum), "0.00", "0.00",
                   "0.00", _yuan(fee_sum), "0.00", _yuan(order_sum + fee_sum)]),
        _csv_line(["合计", "", counts["payment"], counts["refund"], _yuan(order_sum), _yuan(order_sum), "0.00",
                   "0.00", "0.00", _yuan(fee_sum), "0.00", _yuan(order_sum + fee_sum)]),
        "#-----------------------------------------业务汇总列表结束------------------------------------",
        f"#导出时间：[{start} 09:12:34]"])
    stem = f"{account}{day.strftime('%Y%m%d')}"
    members = [(f"{stem}_业务明细.csv", detail), (f"{stem}_业务明细(汇总).csv", summary)]
    if summary_first:
        members.reverse()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            info = zipfile.ZipInfo(name, date_time=(day.year, day.month, day.day, 9, 12, 34))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return out.getvalue()


# --- UnionPay (the default mapping) ---------------------------------------------------------------------------------

def unionpay_csv(entries, *, rate=Decimal("0.0038"), encoding="gb18030", currency_column=None):
    """`currency_column`: the title of a last column holding each entry's currency (a channel settling several)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*UNIONPAY_HEADER, *([currency_column] if currency_column else [])])
    for entry in entries:
        refund = entry.kind == "refund"
        fee = entry.fee if entry.fee is not None else (entry.amount * rate).quantize(FEN, rounding=ROUND_HALF_UP)
        writer.writerow([_local(entry.at), entry.transaction_id, entry.order_number, "退货" if refund else "消费",
                         _yuan(entry.amount), _yuan(fee), _yuan(entry.amount - fee),
                         entry.refund_number if refund else "", "T0001",
                         *([entry.currency] if currency_column else [])])
    return buffer.getvalue().encode(encoding)
