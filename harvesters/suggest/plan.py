"""From a table's columns to the mapping's decisions: the type, the key, each field's rule or why it has none.

The rules it keeps (docs/mappings.md, "What suggest proposes"):
- a person's columns never go onto the organisation (harvesters/suggest/persons.py);
- an empty column is never mapped;
- one column per property and language: of several, the fullest exact match is kept and the others are left
  commented out, unless they never hold a value in the same row and are spellings of one header (`Longitude`
  in some features, `Longitide` in others): those become one rule with `also`;
- language-specific words (`nom`, `naam`) tag their values only when one property has columns in several
  languages (`nom` @fr and `naam` @nl); a language marker (`description:fr`) always does;
- dates are classified: founding, dissolution, event start and end (a start date makes the rows events),
  record and survey timestamps (never a fact about the organisation: ignored, or the consent's date);
- a key is proposed when an identifier column is unique on at least 95% of the rows;
- latitude and longitude are mapped together or not at all, when most of their values are degrees: one bad
  cell fails that row at the harvest, never the column;
- a table without a header line gets `columns = ["column_1", …]`, and its columns are recognised by their values.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from harvesters.suggest.columns import Column
from harvesters.suggest.persons import NODE, Persons, find_persons, people_table
from harvesters.suggest.words import Match, edit_distance, match, plain

KEY_SHARE = 0.95  # a key column is unique on at least this share of the rows
KIND_SHARE = 0.75  # a column is of a kind (numbers, dates…) when this share of its values is
TEXT_TARGETS = ("schema:name", "schema:description", "schema:address/schema:streetAddress",
                "schema:address/schema:addressLocality", "schema:openingHours", "schema:keywords")
LAT, LON = "schema:geo/schema:latitude", "schema:geo/schema:longitude"
CONSENT_SCOPE = "hub:scope-public-listing"


@dataclass
class Field:
    """One column's decision: a rule (the TOML table of `[fields."name"]`), or none and why."""

    column: Column
    rule: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)  # comment lines
    why_not: str | None = None  # when it has no rule: why (the rule is then shown commented out)
    hint: str = 'property = "schema:…"'  # what the commented-out rule proposes
    match: Match | None = None
    language: str | None = None  # the language its values are in, if it is known
    marker: bool = False  # the language came from a marker in the header (`:fr`), not from the word


@dataclass
class Plan:
    name: str
    format_name: str
    unit: str
    total: int
    type: str = "schema:Organization"
    type_note: str = "or schema:Place, schema:LocalBusiness, schema:Event, …"
    key: str | None = None
    key_note: str = ""
    columns: list[str] | None = None  # a table without a header line: its column names
    header_notes: list[str] = field(default_factory=list)
    ignore: dict[str, str] = field(default_factory=dict)  # column -> why
    nodes: dict[str, list[str]] = field(default_factory=dict)
    fields: list[Field] = field(default_factory=list)
    persons: Persons | None = None
    people: bool = False  # every row is a person (the file's name says so)
    has_geometry: bool = False
    records: str | None = None  # a JSON document: the path of its records ("" for the document itself)

    @property
    def person_path(self) -> str:
        """Where a person's properties go: the row itself in a table of people, else its contact point."""
        return "" if self.people else f"{NODE}/"


def plan_mapping(name: str, format_name: str, unit: str, columns: dict[str, Column], total: int,
                 has_geometry: bool, headerless: bool = False) -> Plan:
    plan = Plan(name, format_name, unit, total, has_geometry=has_geometry)
    if headerless:
        plan.columns = list(columns)
    plan.people = people_table(name)
    plan.persons = persons = find_persons(columns, plan.people)
    person_columns = persons.columns if persons else set()
    if persons and persons.nested and persons.consent_date:
        person_columns = person_columns | {persons.consent_date}
    if plan.people:
        plan.type = "schema:Person"
        plan.type_note = ("the file's name says its rows are people: each needs a dated consent, or the charter "
                          "rejects it")
        if persons is None or not persons.nested:
            # Nobody is published without a consent: the rows are still mapped, for the quarantine's report.
            plan.header_notes.append("People: no dated consent column, so the charter rejects every row (nobody is "
                                     "published without a consent).")
    fields: list[Field] = []
    for column in columns.values():
        if column.name in person_columns:
            continue
        if column.count == 0:
            fields.append(Field(column, why_not=f"empty in every one of the {total} {unit}: not mapped"))
            continue
        fields.append(_guess(column, headerless))
    _choose_key(plan, fields, total, unit)
    _classify_dates(plan, fields)
    _pair_coordinates(fields)
    _one_per_property(fields)
    _languages(fields)
    if persons and not (plan.people and not persons.nested):
        _map_persons(plan, persons, columns)
    plan.fields = sorted([f for f in fields if f.column.name not in plan.ignore and f.column.name != plan.key],
                         key=lambda f: f.column.position)
    plan.fields += _person_fields(plan, columns)
    return plan


# -- one column -----------------------------------------------------------------------------------------------


def _guess(column: Column, headerless: bool) -> Field:
    found, marker = (None, None) if headerless else match(column.name)
    if found is None or found.target == "other":
        return _by_values(column) if headerless else Field(column, why_not="not recognised: map it, or list it in "
                                                                            "`ignore`")
    item = Field(column, match=found, language=marker or found.word_language, marker=marker is not None)
    target = found.target
    if not found.exact:
        item.notes.append(f"the header looks like a misspelling of {found.word!r}")
    if target in ("key", "date", "timestamp") or target.endswith("Date"):
        return item  # decided with the table (the key, the dates)
    if target == "point":
        if not column.pairs:
            item.why_not = "named like coordinates, but its values are not pairs of numbers"
            return item
        # A value over 90 can only be a longitude; else, in Europe, the latitude is the larger of the two.
        lat_first = sum(1 for a, b in column.pairs if abs(b) > 90 or (abs(a) <= 90 and abs(a) > abs(b)))
        order = "latlon" if lat_first * 2 > len(column.pairs) else "lonlat"
        item.rule = {"point": order}
        item.notes.append(f"the values look like [{order[:3]}, {order[3:]}]; a swapped point fails its row at the "
                          "harvest, saying so")
        return item
    if target in (LAT, LON):
        low, high = (-90, 90) if target == LAT else (-180, 180)
        numeric = column.share(len(column.numbers))
        if numeric < KIND_SHARE or column.in_range(low, high) < KIND_SHARE:
            item.why_not = (f"named like a {'latitude' if target == LAT else 'longitude'}, but "
                            + ("most of its values are not numbers" if numeric < KIND_SHARE else
                               "its values are not degrees (projected coordinates, such as Lambert 72?)"))
            return item
        if numeric < 1:
            bad = column.count - len(column.numbers)
            item.notes.append(f"{bad} value(s) are not numbers: those rows fail at the harvest, the others are lifted")
    item.rule = {"property": target, **{k: list(v) for k, v in found.meaning.extra.items()}}
    if target in ("schema:url", "schema:image", "schema:sameAs") and column.share(column.urls) < 0.5:
        item.rule = None
        item.why_not = (f"named like {'an image' if target == 'schema:image' else 'a web address'}, but most of its "
                        "values are not web addresses")
        return item
    if target == "schema:email" and column.share(column.emails) < 0.5:
        item.rule = None
        item.why_not = "named like an e-mail address, but most of its values are not e-mail addresses"
        return item
    if column.split and target not in ("schema:name", "schema:description", "schema:address/schema:streetAddress"):
        item.rule["split"] = column.split
    if target == "schema:keywords":
        item.notes.append('to turn values into themes: property = "hub:theme", concepts = { "potager" = '
                          '"theme:gardens-compost" }, fallback = "schema:keywords"')
    return item


def _by_values(column: Column) -> Field:
    """A column of a table without header, recognised by what its values are."""
    item = Field(column)
    if column.share(column.images) >= KIND_SHARE:
        item.rule = {"property": "schema:image", "transforms": ["trim", "iri"]}
    elif column.share(column.urls) >= KIND_SHARE:
        item.rule = {"property": "schema:url", "transforms": ["trim", "iri"]}
    elif column.share(column.emails) >= KIND_SHARE:
        item.rule = {"property": "schema:email", "transforms": ["trim"]}
    elif not column.numbers and column.unique_rows >= 0.9 * column.count and column.longest <= 120:
        item.rule = {"property": "schema:name"}
        item.notes.append("text that differs from row to row: taken for the name")
    else:
        item.why_not = "its values say nothing the hub can place: map it, or list it in `ignore`"
        return item
    item.notes.append("recognised by its values (the table has no header line)")
    return item


# -- the table ------------------------------------------------------------------------------------------------


def _choose_key(plan: Plan, fields: list[Field], total: int, unit: str) -> None:
    candidates = [f for f in fields if f.match and f.match.target == "key" and f.column.count]
    best = max(candidates, key=lambda f: (f.column.unique_rows, f.column.count), default=None)
    for item in candidates:
        if item is not best:
            item.why_not = "another identifier column is the key"
    if best is None:
        plan.key_note = ("No identifier column: records get IRIs from their url, or from their name and postal "
                         "code. Add `key = \"FIELD\"` when the feed has one.")
        return
    unique = best.column.unique_rows
    if total and unique >= KEY_SHARE * total:
        plan.key = best.column.name
        missing, shared = total - best.column.count, best.column.count - unique
        plan.key_note = (f"unique in {unique} of the {total} {unit}: the stable IRI of each record comes from it"
                         if unique < total else
                         f"present and unique in every one of the {total} {unit}: the stable IRI of each record "
                         f"comes from it")
        if missing:
            plan.key_note += f"; {missing} {unit} without one fail at the harvest (give them one)"
        if shared:
            plan.key_note += f"; {shared} {unit} share their value with another and become one record"
        return
    best.why_not = (f"an identifier, but unique in only {unique} of the {total} {unit} (a key needs "
                    f"{round(KEY_SHARE * 100)}%)")
    plan.key_note = (f"No key: {best.column.name!r} is unique in only {unique} of the {total} {unit}. Records get "
                     "IRIs from their url, or from their name and postal code.")


def _classify_dates(plan: Plan, fields: list[Field]) -> None:
    events = any(f.match and f.match.target == "schema:startDate" and f.column.share(f.column.dates) >= KIND_SHARE
                 for f in fields)
    if events:
        plan.type = "schema:Event"
        plan.type_note = "a start date in every row: events (or schema:Organization, schema:Place…)"
    for item in fields:
        if item.match is None or item.rule is not None or item.why_not:
            continue
        target, column = item.match.target, item.column
        dated = column.share(column.dates) >= KIND_SHARE
        if target == "timestamp" or (target == "date" and dated and column.share(column.times) >= KIND_SHARE):
            plan.ignore[column.name] = ("when the row was written or changed (a survey or export timestamp): not a "
                                        "fact about what the row describes")
        elif target == "date":
            if events and dated:
                item.rule = {"property": "schema:startDate", "transforms": ["date"]}
            else:
                item.why_not = ("a date, but of what? schema:foundingDate, schema:dissolutionDate, "
                                "schema:startDate (events)…")
                item.hint = 'property = "schema:foundingDate", transforms = ["date"]'
        elif target.endswith("Date"):
            if target in ("schema:startDate", "schema:endDate") and not events:
                item.why_not = (f"an event's {'start' if target.endswith('startDate') else 'end'}, but the rows are "
                                "not events (no start date in most rows)")
                continue
            item.rule = {"property": target, **({"transforms": ["date"]} if dated else {})}
            if not dated:
                item.notes.append("most values are not dates: mapped as text")
            elif column.share(column.dates) < 1:
                item.notes.append(f"{column.count - column.dates} value(s) are not dates: those rows fail at the "
                                  "harvest")
            if target == "schema:dissolutionDate":
                item.notes.append("a dissolved organisation is still published, with this date: leave out the rows "
                                  "of dissolved ones, or list this field in `ignore`")
        elif target == "key":
            item.why_not = item.why_not or "an identifier (not the key)"


def _pair_coordinates(fields: list[Field]) -> None:
    """A latitude without a longitude (or the reverse) would fail every row: both or neither."""
    mapped = {f.rule["property"]: f for f in fields if f.rule and f.rule.get("property") in (LAT, LON)}
    for target, other in ((LAT, LON), (LON, LAT)):
        if target in mapped and other not in mapped:
            item = mapped[target]
            item.rule = None
            item.why_not = (f"a {'latitude' if target == LAT else 'longitude'} without a "
                            f"{'longitude' if target == LAT else 'latitude'} column: a point needs both")


def _one_per_property(fields: list[Field]) -> None:
    """At most one column per property and language, unless the others are spellings of the same header."""
    groups: dict[tuple[str, str | None], list[Field]] = defaultdict(list)
    for item in fields:
        if item.rule and "property" in item.rule:
            groups[(item.rule["property"], item.language if item.marker else None)].append(item)
    for (target, language), items in groups.items():
        if len(items) < 2:
            continue
        by_language: dict[str | None, list[Field]] = defaultdict(list)
        for item in items:
            by_language[item.language].append(item)
        if language is None and target in TEXT_TARGETS and len(by_language) > 1 and all(by_language):
            # `nom` and `naam`: one property, one column per language.
            for same in by_language.values():
                _keep_one(same, target)
            continue
        _keep_one(items, target)


def _keep_one(items: list[Field], target: str) -> None:
    if len(items) < 2:
        return
    items.sort(key=lambda f: (f.match is not None and f.match.exact, f.column.count), reverse=True)
    kept = items[0]
    for other in items[1:]:
        if not (other.column.rows & kept.column.rows) and _spellings(kept.column.name, other.column.name):
            kept.rule = dict(kept.rule or {}, also=[*(kept.rule or {}).get("also", []), other.column.name])
            other.rule = None
            other.why_not = "merged"  # into `also`: not shown on its own
            continue
        other.rule = None
        other.why_not = (f"also looks like {target}, which {kept.column.name!r} gives: one column per property "
                         "(map it to another property, or list it in `ignore`)")
        other.hint = f"property = {_quoted(target)}"


def _spellings(a: str, b: str) -> bool:
    """Two headers that are spellings of one (a typo, a separator, the same word of the table)."""
    plain_a, plain_b = plain(a), plain(b)
    if plain_a == plain_b or edit_distance(plain_a, plain_b, 2) <= 2:
        return True
    match_a, match_b = match(a)[0], match(b)[0]
    return bool(match_a and match_b and match_a.word == match_b.word)


def _languages(fields: list[Field]) -> None:
    """A language tag where a marker gives it, or where one property has columns in several languages."""
    by_target: dict[str, list[Field]] = defaultdict(list)
    for item in fields:
        if item.rule and "property" in item.rule and item.rule["property"] in TEXT_TARGETS:
            by_target[item.rule["property"]].append(item)
    for items in by_target.values():
        several = len({item.language for item in items}) > 1
        for item in items:
            if item.language and (item.marker or several) and item.rule is not None:
                item.rule["lang"] = item.language


# -- persons --------------------------------------------------------------------------------------------------


def _map_persons(plan: Plan, persons: Persons, columns: dict[str, Column]) -> None:
    if not persons.nested:
        for name in sorted(persons.columns, key=lambda n: columns[n].position):
            plan.ignore[name] = (f"a person's data, never the organisation's: {persons.why_not}, so no person is "
                                 "published (map them as a contact person with a dated consent column)")
        return
    if not plan.people:
        plan.nodes[NODE] = ["schema:ContactPoint", "schema:Person"]


def _person_fields(plan: Plan, columns: dict[str, Column]) -> list[Field]:
    persons = plan.persons
    if persons is None or (not plan.people and (not persons.nested or persons.name is None)):
        return []
    out: list[Field] = []
    name = persons.name
    requires = {"requires": [name]} if name and not plan.people else {}
    whose = "the person's" if plan.people else "the contact person's"
    # The charter needs a person's name (schema:name): without a full-name column, the family (else given) name.
    full_name = any(f.prop == "schema:name" for f in persons.fields)
    for person_field in persons.fields:
        column = columns[person_field.column]
        if person_field.prop is None:
            plan.ignore[column.name] = "a person's data the hub has no place for"
            continue
        if column.count == 0:
            out.append(Field(column, why_not=f"empty in every one of the {plan.total} {plan.unit}: not mapped"))
            continue
        prop = person_field.prop
        if not full_name and column.name == name:
            prop = "schema:name"
        rule: dict[str, Any] = {"property": f"{plan.person_path}{prop}"}
        if prop in ("schema:email", "schema:telephone"):
            rule["transforms"] = ["trim"]
        if column.name != name:
            rule.update(requires)
        item = Field(column, rule=rule)
        if prop != person_field.prop:
            item.notes.append(f"the {person_field.prop.split(':', 1)[1]}, as the name: the charter needs a person's "
                              "name, and no column gives the full name")
        item.notes.append(f"{whose} {prop.split(':', 1)[1]}: published only with their consent"
                          + (f" ({persons.consent!r})" if persons.consent else ""))
        out.append(item)
    if not persons.nested or persons.consent is None:
        if persons.consent is not None:
            plan.ignore[persons.consent] = f"a consent that cannot be mapped: {persons.why_not}"
        return out
    consent = columns[persons.consent]
    consent_rule: dict[str, Any] = {
        "property": f"{plan.person_path}hub:consent/hub:consentScope", **requires, "transforms": ["trim"],
        "concepts": {_normal(value): CONSENT_SCOPE for value in sorted(persons.yes)}}
    if persons.no:
        consent_rule["values"] = {_normal(value): "" for value in sorted(persons.no)}
    item = Field(consent, rule=consent_rule)
    item.notes.append("a yes gives the person a consent for public listing; any other answer gives none, and the "
                      + ("charter rejects that row" if plan.people else "hub removes that row's person before "
                         "publication"))
    if persons.other:
        item.notes.append(f"{len(persons.other)} answer(s) are neither yes nor no: no consent")
    out.append(item)
    assert persons.consent_date is not None
    dated = Field(columns[persons.consent_date], rule={
        "property": f"{plan.person_path}hub:consent/dcterms:date", **requires, "transforms": ["date"]})
    dated.notes.append("when the consent was given (the answer's date)")
    out.append(dated)
    return out


def _normal(value: str) -> str:
    """As the mapping compares values (harvesters/mapping.py): spaces collapsed, case folded."""
    return " ".join(value.split()).casefold()


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
