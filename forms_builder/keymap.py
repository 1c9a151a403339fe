"""Field identity across versions: what a new version does to the keys of the one before it, and the mapping ops
give when publishing it (stored on the new version as `FormVersion.key_map`):

    {"renames": {"<old key>": "<new key>"}, "convert": ["<new key>", …]}

- a rename says the answers given to the old key are the answers of the new one: exports, the submissions list
  (columns and filters) and the summary show them under the new key;
- a field whose type changed is either converted (its old answers are read as the new type: only where no answer
  can lose anything, `SAFE_CONVERSIONS`) or kept (the default: old answers stay as they were, shown in the terms
  of their own version and not counted by the new type's filters and summary).

Old submissions always render against their own version: nothing stored is ever rewritten.
"""

from decimal import Decimal

from forms_builder.errors import (
    MSG_KEY_MAP_SHAPE,
    MSG_NEW_KEY_EXISTED,
    MSG_NEW_KEY_UNKNOWN,
    MSG_NO_PREVIOUS,
    MSG_NOT_ONE_TO_ONE,
    MSG_NOT_RETYPED,
    MSG_OLD_KEY_KEPT,
    MSG_OLD_KEY_UNKNOWN,
    MSG_UNSAFE_CONVERSION,
)
from forms_builder.schema import FIELD_TYPES, NO_VALUE_TYPES, FieldType, schema_fields

T = FieldType
# from type → the types its answers can be read as without losing anything (a number → money: only when every old
# answer is whole fen, checked at publish against the answers themselves).
SAFE_CONVERSIONS = {
    T.TEXT: {T.TEXTAREA},
    T.MOBILE: {T.TEXT, T.TEXTAREA},
    T.EMAIL: {T.TEXT, T.TEXTAREA},
    T.CODE: {T.TEXT, T.TEXTAREA},
    T.SINGLE_CHOICE: {T.DROPDOWN, T.MULTI_CHOICE},
    T.DROPDOWN: {T.SINGLE_CHOICE, T.MULTI_CHOICE},
    T.NUMBER: {T.MONEY},
    T.RATING: {T.NUMBER, T.MONEY},
}



def answerable(schema):
    return {f["key"]: f for f in schema_fields(schema or {}) if f["type"] not in NO_VALUE_TYPES}


def key_map_clean(key_map):
    """The mapping in its stored shape, or None when it is not a mapping at all."""
    if key_map in (None, "", {}):
        return {}
    if not isinstance(key_map, dict) or set(key_map) - {"renames", "convert"}:
        return None
    renames, convert = key_map.get("renames") or {}, key_map.get("convert") or []
    if (not isinstance(renames, dict) or not isinstance(convert, list)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in renames.items())
            or not all(isinstance(k, str) for k in convert)):
        return None
    cleaned = {}
    if renames:
        cleaned["renames"] = dict(renames)
    if convert:
        cleaned["convert"] = sorted(set(convert))
    return cleaned


def key_changes(previous, schema, renames=None):
    """What `schema` does to the keys of `previous`: {"removed": [keys], "added": [keys], "retyped": [{"key",
    "old_key", "from", "to", "convertible"}]} (a renamed field counts as retyped when its type changed too)."""
    before, after = answerable(previous), answerable(schema)
    renames = renames or {}
    old_of = {new: old for old, new in renames.items()}
    retyped = []
    for key, field in after.items():
        old = old_of.get(key, key)
        if old in before and before[old]["type"] != field["type"]:
            retyped.append({"key": key, "old_key": old, "from": before[old]["type"], "to": field["type"],
                            "convertible": field["type"] in SAFE_CONVERSIONS.get(before[old]["type"], ())})
    return {"removed": [k for k in before if k not in after], "added": [k for k in after if k not in before],
            "retyped": retyped}


def key_map_problems(previous, schema, key_map):
    """[(path, message)] of a mapping for publishing `schema` after `previous` (None: no version yet). The answers
    themselves are checked by the service (number → money)."""
    cleaned = key_map_clean(key_map)
    if cleaned is None:
        return [("key_map", MSG_KEY_MAP_SHAPE)]
    if not cleaned:
        return []
    if previous is None:
        return [("key_map", MSG_NO_PREVIOUS)]
    before, after = answerable(previous), answerable(schema)
    problems, seen = [], set()
    for old, new in cleaned.get("renames", {}).items():
        at = f"key_map/renames/{old}"
        if old not in before:
            problems.append((at, MSG_OLD_KEY_UNKNOWN % {"key": old}))
        elif old in after:
            problems.append((at, MSG_OLD_KEY_KEPT % {"key": old}))
        if new not in after:
            problems.append((at, MSG_NEW_KEY_UNKNOWN % {"key": new}))
        elif new in before:
            problems.append((at, MSG_NEW_KEY_EXISTED % {"key": new}))
        if new in seen:
            problems.append((at, MSG_NOT_ONE_TO_ONE % {"key": new}))
        seen.add(new)
    if problems:
        return problems
    retyped = {change["key"]: change for change in key_changes(previous, schema, cleaned.get("renames"))["retyped"]}
    for key in cleaned.get("convert", ()):
        change = retyped.get(key)
        if change is None:
            problems.append((f"key_map/convert/{key}", MSG_NOT_RETYPED % {"key": key}))
        elif not change["convertible"]:
            problems.append((f"key_map/convert/{key}", MSG_UNSAFE_CONVERSION % {
                "key": key, "from": FIELD_TYPES[change["from"]], "to": FIELD_TYPES[change["to"]]}))
    return problems


def convert_value(value, to_type):
    """An old answer read as `to_type` (the conversions of SAFE_CONVERSIONS only)."""
    if value in (None, "", []):
        return value
    if to_type == T.MULTI_CHOICE and not isinstance(value, list):
        return [value]
    if to_type == T.MONEY:
        return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"
    if to_type in (T.NUMBER, T.TEXT, T.TEXTAREA):
        return str(value)
    return value


def key_lineage(versions):
    """The columns of a form's answers across `versions` ([(version id, schema, key_map)], oldest first): each
    current-or-former key once, as its latest version defines it, in the order the keys first appeared, with the
    `sources` its answers come from: [{"key": stored key, "type": stored type, "versions": [ids], "mode":
    "native" | "converted" | "kept"}]."""
    columns = {}
    for version_id, schema, key_map in versions:
        key_map = key_map or {}
        renames, convert = key_map.get("renames") or {}, set(key_map.get("convert") or ())
        if renames:
            renamed = {}
            for key, column in columns.items():
                target = renames.get(key, key)
                if target in renamed:  # a key used again after it was renamed away: one column for both
                    renamed[target]["sources"].extend(column["sources"])
                else:
                    renamed[target] = column
            columns = renamed
        for key, field in answerable(schema).items():
            column = columns.setdefault(key, {"field": field, "sources": []})
            if column["field"]["type"] != field["type"]:
                for source in column["sources"]:
                    if key not in convert:
                        source["mode"] = "kept"
                    elif source["mode"] == "native":
                        source["mode"] = "converted"
            column["field"] = field
            same = [s for s in column["sources"] if s["key"] == key and s["type"] == field["type"]
                    and s["mode"] == "native"]
            if same:
                same[0]["versions"].append(version_id)
            else:
                column["sources"].append({"key": key, "type": field["type"], "versions": [version_id],
                                          "mode": "native"})
    return [{**column["field"], "sources": column["sources"]} for column in columns.values()]


def read_sources(spec):
    """The stored (key, type) pairs whose answers count under `spec` (a column of key_lineage, or a plain field):
    its own, the renamed and the converted ones; kept answers of another type are left out."""
    sources = spec.get("sources")
    if not sources:
        return [(spec["key"], spec["type"])]
    pairs = []
    for source in sources:
        pair = (source["key"], source["type"])
        if source["mode"] != "kept" and pair not in pairs:
            pairs.append(pair)
    return pairs or [(spec["key"], spec["type"])]


def source_of(spec, version_id):
    """The source of `spec` a submission of `version_id` answered, or None."""
    for source in spec.get("sources") or ():
        if version_id in source["versions"]:
            return source
    return None
