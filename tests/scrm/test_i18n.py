"""The Simplified Chinese catalog is complete and compiled, and the UI follows the chosen language."""

import gettext
import re
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from scrm.models import Role

LC_MESSAGES = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# Written out by hand so that a wrong or missing catalog entry fails here instead of being mirrored.
ROLE_LABELS_ZH = {
    Role.OPS_ADMIN: "运营管理员",
    Role.SUPERVISOR: "主管",
    Role.AGENT: "客服",
    Role.FINANCE: "财务",
    Role.VIEWER: "只读",
}


@dataclass
class PoEntry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index -> text; a singular entry uses 0
    flags: set[str] = field(default_factory=set)
    line: int = 0


_UNESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(literal):
    assert literal.startswith('"') and literal.endswith('"'), literal
    return re.sub(r"\\(.)", lambda m: _UNESCAPES.get(m.group(1), "\\" + m.group(1)), literal[1:-1])


def parse_po(path):
    """The entries of a .po file (the header is the entry whose msgid is ""); obsolete `#~` entries are skipped.

    A keyword line (`msgid "..."`) starts a string that continues on the following `"..."` lines.
    """
    entries = []
    entry = None
    flags = set()
    target = None  # (kind, plural index) of the string the continuation lines extend

    def append(text):
        kind, index = target
        if kind == "msgstr":
            entry.msgstr[index] += text
        else:
            setattr(entry, kind, getattr(entry, kind) + text)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
        if match:
            keyword, index, literal = match.groups()
            text = _unquote(literal)
            if keyword == "msgctxt" or (keyword == "msgid" and (entry is None or entry.msgstr)):
                entry = PoEntry(msgid="", flags=flags, line=number)
                entries.append(entry)
                flags = set()
            if keyword.startswith("msgstr"):
                target = ("msgstr", int(index or 0))
                entry.msgstr[target[1]] = text
            else:
                target = (keyword, None)
                setattr(entry, keyword, text)
        elif line.startswith('"'):
            append(_unquote(line))
        else:
            raise AssertionError(f"{path.name}:{number}: cannot parse {raw!r}")
    return entries


@pytest.fixture(scope="module")
def po_entries():
    return parse_po(PO_PATH)


@pytest.fixture(autouse=True)
def _restore_active_language():
    """LocaleMiddleware activates the request's language for the thread; keep it from leaking into later tests."""
    previous = translation.get_language()
    yield
    translation.activate(previous)


def test_the_po_parser_reads_multiline_strings_plurals_and_flags(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        '#, fuzzy, python-format\nmsgid ""\n"%(count)s open "\n"ticket"\nmsgid_plural "%(count)s open tickets"\n'
        'msgstr[0] "%(count)s 个"\n"未结工单"\n\n'
        'msgctxt "menu"\nmsgid "Close"\nmsgstr "关闭"\n\n'
        '#~ msgid "Gone"\n#~ msgstr "已删除"\n',
        encoding="utf-8",
    )

    header, plural, with_context = parse_po(po)

    assert header.msgid == "" and header.msgstr == {0: "Language: zh_Hans\n"}
    assert plural.msgid == "%(count)s open ticket"
    assert plural.msgid_plural == "%(count)s open tickets"
    assert plural.msgstr == {0: "%(count)s 个未结工单"}
    assert plural.flags == {"fuzzy", "python-format"}
    assert (with_context.msgctxt, with_context.msgid, with_context.msgstr) == ("menu", "Close", {0: "关闭"})


def test_the_catalog_header_declares_chinese_utf8_and_one_plural_form(po_entries):
    header = po_entries[0]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if line)
    assert fields["Project-Id-Version"] == "SCRM"
    assert fields["Language"] == "zh_Hans"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"


def test_every_entry_is_translated_and_none_is_fuzzy(po_entries):
    messages = po_entries[1:]
    assert messages, "the catalog has no messages: run makemessages"
    untranslated = [e.msgid for e in messages if not e.msgstr or not all(text.strip() for text in e.msgstr.values())]
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    assert (untranslated, fuzzy) == ([], [])
    # Chinese has one plural form: every plural entry needs exactly msgstr[0].
    assert [e.msgid for e in messages if e.msgid_plural is not None and set(e.msgstr) != {0}] == []


def test_translations_keep_every_placeholder(po_entries):
    placeholder = re.compile(r"%\((\w+)\)[sd]|%[sd]")
    for entry in po_entries[1:]:
        # Chinese has one plural form, used for every count: it follows the plural source, which names the count.
        expected = sorted(placeholder.findall(entry.msgid_plural or entry.msgid))
        for text in entry.msgstr.values():
            assert sorted(placeholder.findall(text)) == expected, (entry.msgid, text)


def test_the_compiled_mo_matches_the_po(po_entries):
    """Fails when the .po was edited without running `manage.py compilemessages` (the .mo is committed)."""
    with MO_PATH.open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)

    for entry in po_entries[1:]:
        if entry.msgid_plural is not None:
            for n in (1, 2):
                assert compiled.ngettext(entry.msgid, entry.msgid_plural, n) == entry.msgstr[0], entry.msgid
        elif entry.msgctxt is not None:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr[0], entry.msgid
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr[0], entry.msgid
    # Nothing stale either: the .mo holds exactly the .po's messages (plus the header).
    keys = {(f"{e.msgctxt}\x04" if e.msgctxt is not None else "") + e.msgid for e in po_entries}
    compiled_keys = {key[0] if isinstance(key, tuple) else key for key in compiled._catalog}
    assert compiled_keys == keys


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_role_labels_are_translated(role):
    with translation.override("zh-hans"):
        assert str(role.label) == ROLE_LABELS_ZH[role]
    with translation.override("en"):
        assert str(role.label) == role.name.replace("_", " ").capitalize()


def nav_label(html, module):
    match = re.search(rf'data-module="{module}"[^>]*>(.*?)</a>', html, re.DOTALL)
    assert match, f"no navigation entry for {module}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.mark.django_db
def test_pages_are_chinese_by_default(agent):
    client = Client()
    client.force_login(agent)

    response = client.get("/tickets/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert nav_label(html, "tickets") == "工单"
    assert nav_label(html, "customers") == "客户"
    assert "<title>工单 · SCRM</title>" in html
    assert "退出登录" in html


@pytest.mark.django_db
def test_english_can_be_chosen_and_sticks(agent):
    client = Client()
    client.force_login(agent)

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/tickets/"})

    assert response.status_code == 302
    assert response["Location"] == "/tickets/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get("/tickets/").content.decode()
    assert '<html lang="en">' in html
    assert nav_label(html, "tickets") == "Tickets"
    assert "Sign out" in html
    assert "工单" not in html


def test_the_login_page_is_chinese_by_default():
    html = Client().get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "<title>登录 · SCRM</title>" in html
    assert "用户名" in html and "密码" in html


@pytest.mark.django_db
def test_signing_in_with_an_empty_field_says_which_field_is_missing():
    """A sign-in with the password left empty came back with no word of why; the username stays typed."""
    html = Client().post("/accounts/login/", {"username": "xiaoli", "password": ""}).content.decode()
    password = html.split('for="id_password"')[1].split("</div>")[0]
    assert "is-invalid" in password and "此项为必填。" in password
    assert 'value="xiaoli"' in html
    username = html.split('for="id_username"')[1].split('for="id_password"')[0]
    assert "此项为必填。" not in username
