"""Column mapping: the titles people write for each field, in Chinese and English, and finding the title row."""

import re
import unicodedata

from scrm.customers.imports.messages import CustomerImportRefused
from scrm.customers.services import CUSTOMER_NOTES_MAX_LENGTH
from scrm.models import (
    Channel,
    Customer,
)
from scrm.text import clean_text

# Field -> the titles people write for it, in Chinese and English (compared after _header_key()).
HEADER_ALIASES = {
    "display_name": ("姓名", "客户名称", "客户姓名", "名称", "昵称", "display_name", "name", "customer"),
    "real_name": ("真实姓名", "real_name"),
    "mobile": ("手机", "手机号", "手机号码", "移动电话", "mobile", "phone", "mobile_phone"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail"),
    "region_code": ("区域编码", "区域代码", "区域", "region_code", "region"),
    "level": ("等级", "客户等级", "会员等级", "level"),
    "tags": ("标签", "tags", "tag"),
    "owner": ("负责人", "归属人", "owner"),
    "notes": ("备注", "notes", "note", "remark"),
    "channel": ("渠道", "来源渠道", "channel"),
    "external_id": ("外部id", "外部编号", "external_id", "openid"),
    "app_id": ("应用id", "app_id", "appid"),
    # Our export's column of every identity of a customer: "wechat_oa:wx123:oAbC; youzan::buyer-9".
    "identities": ("渠道身份", "channel identities", "identities"),
}
# Notes share the limit of the customer page and API (one constant, in the customer services).
MAX_LENGTHS = {"display_name": 100, "real_name": 50, "email": 254, "external_id": 128, "app_id": 64,
               "notes": CUSTOMER_NOTES_MAX_LENGTH}
# Between the identities of one cell of the identities column, and between an identity's channel, app id and id.
IDENTITY_SEPARATORS = re.compile(r"[;；\n]")
IDENTITY_PARTS = ":"
LEVEL_ALIASES = {
    "普通": Customer.Level.NORMAL, "normal": Customer.Level.NORMAL, "普通会员": Customer.Level.NORMAL,
    "vip": Customer.Level.VIP, "svip": Customer.Level.SVIP,
}
LEVEL_RANK = {Customer.Level.NORMAL: 0, Customer.Level.VIP: 1, Customer.Level.SVIP: 2}
# Names people use for channels beyond our own labels (which are accepted in every language we speak).
CHANNEL_ALIASES = {
    "微信": Channel.WECHAT_OA, "公众号": Channel.WECHAT_OA, "微信公众号": Channel.WECHAT_OA, "企微": Channel.WECOM,
    "企业微信": Channel.WECOM, "有赞": Channel.YOUZAN, "抖音": Channel.DOUYIN, "抖店": Channel.DOUYIN,
    "京东": Channel.JD, "淘宝": Channel.TAOBAO, "天猫": Channel.TAOBAO, "拼多多": Channel.PINDUODUO,
    "电话": Channel.PHONE, "表单": Channel.WEB_FORM,
}
TAG_SEPARATORS = re.compile(r"[,，、;；]")
# What our own export puts in front of text a spreadsheet would run as a formula; taken off again on import.
_NEUTRALISED = re.compile(r"^'(?=[=+\-@\t\r])")
# Fields an import fills on an existing customer when they are empty there (attribute name -> row value name).
FILLABLE = {"real_name": "real_name", "mobile": "mobile", "email": "email", "region_id": "region_id",
            "owner_id": "owner_id", "notes": "notes"}


def _header_key(text):
    """'  *手机号（必填）' -> '手机号', 'External ID' -> 'externalid': what a title means, not how it is typed."""
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    text = re.sub(r"\(.*\)$", "", text).strip("* ")
    return re.sub(r"[\s_\-]+", "", text)


_HEADER_FIELDS = {_header_key(alias): name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


def cell_text(value):
    """A cell as text. Excel stores long digit strings (mobiles, ids) as numbers: 13812345678.0 -> '13812345678'."""
    if value is None:
        return ""
    if isinstance(value, str):
        # Control characters (a NUL deep in a CSV, a stray \x0b from a pasted cell) would fail the whole apply or
        # the organization's later exports: they go here, with the one helper every input uses.
        return _NEUTRALISED.sub("", clean_text(value).strip())
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def find_header(sheet, first_rows):
    """Take the first of the first rows that has a name column as the titles (templates often put a caption above
    them); return how many columns were recognised."""
    for number, cells in enumerate(first_rows, start=1):
        titles = [cell_text(c) for c in cells]
        keys = [_header_key(t) for t in titles]
        if "display_name" not in {_HEADER_FIELDS.get(k) for k in keys}:
            continue
        columns, headers, ignored = {}, {}, []
        for index, (title, key) in enumerate(zip(titles, keys, strict=True)):
            name = _HEADER_FIELDS.get(key)
            if name is None:
                if title:
                    ignored.append(title)
                continue
            if name in columns:
                raise CustomerImportRefused("duplicate_column", column=title)
            columns[name], headers[name] = index, title
        if "external_id" in columns and "channel" not in columns:
            raise CustomerImportRefused("identity_columns")
        if "channel" in columns and "external_id" not in columns:
            # Our own export has a 渠道 column (the channels a customer is on) and no ids: nothing to import.
            del columns["channel"]
            ignored.append(headers.pop("channel"))
        sheet.header_row, sheet.columns, sheet.headers, sheet.ignored = number, columns, headers, ignored
        return len(columns)
    raise CustomerImportRefused("no_name_column")
