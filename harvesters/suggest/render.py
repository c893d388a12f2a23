"""A plan as the text of a mapping file: TOML that works as it is, with each decision's reason as a comment."""

from __future__ import annotations

import json
from typing import Any

from harvesters.suggest.plan import Field, Plan

_ORDER = ("property", "point", "lang", "also", "requires", "transforms", "split", "concepts", "values")


def render(plan: Plan) -> str:
    lines = [
        f"# Mapping suggested by `mutualisons mapping suggest {plan.name}` ({plan.format_name}, {plan.total} "
        f"{plan.unit}).",
        "# It works as it is; review the type, the key and each property, then name this file in the",
        "# source's `mapping` key in sources.toml. Fields left commented out are reported as unmapped at",
        "# every harvest until you map them or list them in `ignore`. See docs/mappings.md.",
    ]
    lines += [f"# {note}" for note in plan.header_notes + _person_notes(plan)]
    lines += [""]
    if plan.records is not None:
        where = f"the {plan.total} {plan.unit} are " + (f"the array at {plan.records!r}" if plan.records else
                                                       "the document itself (an array)")
        lines.append(f"records = {_toml(plan.records)}  # {where}; fields are paths into each one (a.b)")
    lines += [f"type = {_toml(plan.type)}  # {plan.type_note}"]
    if plan.key:
        lines.append(f"key = {_toml(plan.key)}  # {plan.key_note}")
    else:
        lines.append(f"# {plan.key_note}")
    if plan.columns is not None:
        lines.append(f"columns = {_toml(plan.columns)}  # the table has no header line: its columns, in order")
    if plan.ignore:
        lines.append("ignore = [")
        lines += [f"  {_toml(name)},  # {why}" for name, why in plan.ignore.items()]
        lines.append("]")
    if plan.has_geometry:
        lines.append("# Feature geometries become coordinates (points) or WKT plus a representative point.")
    if plan.nodes:
        lines += ["", "[nodes]  # the types of the nodes a property path creates"]
        lines += [f"{_toml(step)} = {_toml(types)}  # the contact person: a person, shown only with their consent"
                  for step, types in plan.nodes.items()]
    for item in plan.fields:
        if item.why_not == "merged":
            continue
        lines += [""] + _field(plan, item)
    return "\n".join(lines) + "\n"


def _field(plan: Plan, item: Field) -> list[str]:
    column = item.column
    section = f"[fields.{_toml(column.name)}]"
    percent = round(100 * column.count / plan.total) if plan.total else 0
    coverage = f"# {column.count}/{plan.total} {plan.unit} ({percent}%)"
    if column.samples:
        coverage += "; e.g. " + ", ".join(_toml(sample) for sample in column.samples)
    notes = [f"# {note}" for note in item.notes]
    if item.rule is None:
        return [f"# {section}  ({item.why_not or 'not recognised: map it, or list it in `ignore`'})", coverage,
                *notes, f"# {item.hint}"]
    body = [f"{key} = {_toml(item.rule[key])}" for key in _ORDER if key in item.rule]
    if item.rule.get("point") and plan.has_geometry:
        notes.append("# the feature's geometry wins; a disagreement is reported")
    return [section, coverage, *notes, *body]


def _person_notes(plan: Plan) -> list[str]:
    persons = plan.persons
    if persons is None:
        return []
    names = ", ".join(f"`{name}`" for name in sorted(persons.columns))
    if plan.people:
        if not persons.nested:
            return []  # said in the header notes
        return [f"People: each row is a person, published only with the consent of `{persons.consent}` dated by "
                f"`{persons.consent_date}`: {persons.answers(persons.yes)} answer(s) say yes, "
                f"{persons.answers(persons.no + persons.other)} do not, and the charter rejects those rows."]
    if not persons.nested:
        return [f"Persons: {names} hold a person's data. They are never mapped onto the organisation, and here not "
                f"at all: {persons.why_not} (listed in `ignore`)."]
    return [f"Persons: {names} describe a contact person, mapped as a contact point typed schema:Person, with the "
            f"consent of `{persons.consent}` dated by `{persons.consent_date}`: {persons.answers(persons.yes)} "
            f"answer(s) say yes, {persons.answers(persons.no + persons.other)} do not. A row without a yes gives its "
            "person no consent, and the hub removes that person before publication."]


def _toml(value: Any) -> str:
    """A TOML value: strings and lists as JSON writes them (valid TOML), tables inline."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
