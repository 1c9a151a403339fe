"""Reads the text back out of an uncompressed ReportLab PDF (no PDF library in the project): each font's ToUnicode
map decodes the strings the page streams show with it. Enough for our own renders, not a general PDF parser."""

import re

OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
STRING_OR_FONT = re.compile(rb"/(\S+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\)\s*Tj|\[(.*?)\]\s*TJ", re.S)
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal(raw):
    out, i = bytearray(), 0
    while i < len(raw):
        char = raw[i:i + 1]
        if char != b"\\":
            out += char
            i += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
        if octal:
            out.append(int(octal.group(0), 8))
            i += 1 + len(octal.group(0))
        else:
            following = raw[i + 1:i + 2]
            out += ESCAPES.get(following, following)
            i += 2
    return bytes(out)


def _cmap(stream):
    table = {}
    for code, unicode in re.findall(rb"<([0-9A-Fa-f]{2})>\s*<([0-9A-Fa-f]{4})>", stream):
        table[int(code, 16)] = chr(int(unicode, 16))
    return table


def pdf_objects(data):
    return {int(number): body for number, body in OBJECT.findall(data)}


def pdf_text(data):
    """Every string the pages show, decoded, joined with spaces."""
    objects = pdf_objects(data)
    maps = {}
    for body in objects.values():
        for name, ref in re.findall(rb"/([\w+]+) (\d+) 0 R", body):
            font = objects.get(int(ref), b"")
            if b"/Type /Font" not in font:
                continue
            to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", font)
            maps[name] = _cmap(objects[int(to_unicode.group(1))]) if to_unicode else None
    shown, font = [], None
    for body in objects.values():
        if b"stream" not in body or b" Tf" not in body:
            continue
        for match in STRING_OR_FONT.finditer(body):
            if match.group(1):
                font = match.group(1)
                continue
            raws = [match.group(2)] if match.group(2) is not None else re.findall(
                rb"\(((?:\\.|[^\\)])*)\)", match.group(3))
            table = maps.get(font)
            for raw in raws:
                codes = _literal(raw)
                shown.append("".join(table.get(c, "") for c in codes) if table else codes.decode("latin-1"))
    return " ".join(shown)
