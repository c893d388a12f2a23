"""`mutualisons mapping suggest FILE`: a first mapping from field names and sample values.

Field names are matched against French, Dutch and English aliases (nom/naam/name, lat/latitude/
breedtegraad…), and sample values say the rest: `;` inside values means a list, numbers get `number`,
web addresses `iri`, a language suffix (`description:fr`, `naam_nl`, `TXT_DUT`) a language tag. The output
is a mapping that works as it is, with each field's coverage and sample values as comments; fields it
cannot place are left as commented-out sections, so a harvest still reports them as unmapped.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harvesters.formats import LiftError, table

# property -> (aliases, extra rule lines). Aliases are compared without accents, case or separators.
ALIASES: list[tuple[str, tuple[str, ...], dict[str, Any]]] = [
    ("key", ("id", "_id", "identifier", "identifiant", "identificatie", "uid", "gid", "code", "ref", "fid",
             "objectid"), {}),
    ("schema:name", ("name", "nom", "naam", "titre", "title", "titel", "denomination", "benaming", "raisonsociale",
                     "organisation", "organization", "organisatie", "museum", "culturalplace", "txt", "label",
                     "intitule"), {}),
    ("schema:description", ("description", "descr", "beschrijving", "omschrijving", "desc", "resume"), {}),
    ("schema:address/schema:streetAddress", ("address", "adresse", "adres", "rue", "straat", "street", "addrstreet",
                                             "address1", "streetaddress", "ad1"), {}),
    ("schema:address/schema:postalCode", ("postalcode", "codepostal", "cp", "postcode", "zip", "zipcode",
                                          "addrpostcode", "npa"), {}),
    ("schema:address/schema:addressLocality", ("city", "ville", "commune", "gemeente", "stad", "locality",
                                               "localite", "addrcity", "municipality", "plaats"), {}),
    ("schema:address/schema:addressCountry", ("country", "pays", "land", "addrcountry", "countrycode"),
     {"transforms": ["trim", "country"]}),
    ("schema:geo/schema:latitude", ("lat", "latitude", "breedtegraad", "y", "latitud"), {"transforms": ["number"]}),
    ("schema:geo/schema:longitude", ("lon", "lng", "long", "longitude", "lengtegraad", "x", "longitud"),
     {"transforms": ["number"]}),
    ("point", ("coordinates", "coords", "coordonnees", "coordinaten", "geopoint2d", "geo", "location", "latlon",
               "latlng", "point"), {}),
    ("schema:url", ("url", "website", "siteweb", "site", "web", "contactwebsite", "lien", "link", "homepage",
                    "internet", "siteinternet"), {"transforms": ["trim", "iri"]}),
    ("schema:sameAs", ("uri", "sameas", "wikidata", "osm"), {"transforms": ["trim", "iri"]}),
    ("schema:email", ("email", "courriel", "mail", "contactemail", "emailaddress", "adressemail"),
     {"transforms": ["trim"]}),
    ("schema:telephone", ("telephone", "tel", "telefoon", "phone", "contactphone", "gsm", "phonenumber"),
     {"transforms": ["trim"]}),
    ("schema:keywords", ("theme", "themes", "thema", "themas", "categorie", "categories", "category", "type",
                         "typeofinitiative", "tags", "keywords", "motscles", "trefwoorden", "freekeywords", "poitype",
                         "sector", "secteur"), {"transforms": ["trim"]}),
    ("schema:openingHours", ("openinghours", "horaire", "horaires", "openingsuren", "hours"), {}),
    ("schema:image", ("image", "photo", "foto", "picture", "logo"), {"transforms": ["trim", "iri"]}),
    ("schema:startDate", ("start", "debut", "datedebut", "startdate", "begin", "dtstart", "date"),
     {"transforms": ["date"]}),
    ("schema:endDate", ("end", "fin", "datefin", "enddate", "einde", "dtend"), {"transforms": ["date"]}),
]
LANGUAGE_MARKERS = {"fr": "fr", "fre": "fr", "fra": "fr", "nl": "nl", "dut": "nl", "du": "nl", "nld": "nl",
                    "vl": "nl", "en": "en", "eng": "en", "de": "de", "ger": "de", "deu": "de"}
BOOKKEEPING = ("_timestamp", "_version", "_created", "_modified", "created_at", "updated_at", "last_modified")


@dataclass
class FieldStats:
    name: str
    count: int = 0
    samples: list[str] = field(default_factory=list)
    values: Counter[str] = field(default_factory=Counter)
    numbers: int = 0
    lists: int = 0
    semicolons: int = 0
    urls: int = 0
    pairs: list[tuple[float, float]] = field(default_factory=list)

    def add(self, value: Any) -> None:
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            return
        self.count += 1
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value).strip()
        self.values[text] += 1
        if len(self.samples) < 3 and text[:60] not in self.samples:
            self.samples.append(text[:60])
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.numbers += 1
        elif isinstance(value, str) and re.match(r"^-?\d+([.,]\d+)?$", value.strip()):
            self.numbers += 1
        if isinstance(value, list):
            self.lists += 1
            if len(value) == 2 and all(isinstance(v, int | float) for v in value):
                self.pairs.append((float(value[0]), float(value[1])))
        if isinstance(value, str) and ";" in value:
            self.semicolons += 1
        if isinstance(value, str) and re.match(r"^(https?://|www\.)", value.strip()):
            self.urls += 1


def suggest_mapping(path: Path, format_name: str | None = None) -> str:
    """The text of a mapping file for the document at `path`; raises LiftError or OSError. The formats that
    know how to suggest one (`Format.suggest`) are the candidates: named, else detected among them."""
    body = path.read_bytes()
    document = path.resolve().as_uri()
    candidates = table().where(lambda fmt: fmt.suggest is not None)
    fmt = candidates.detect(format_name, None, document, body)
    assert fmt.suggest is not None
    return fmt.suggest(body, document, path.name)


def suggest_from_rows(name: str, format_name: str, unit: str, rows: list[dict[str, Any]], has_geometry: bool) -> str:
    """A mapping for a document's rows (or features: `unit`), each a dict of field -> value."""
    stats: dict[str, FieldStats] = {}
    for row in rows:
        for key, value in row.items():
            stats.setdefault(key, FieldStats(key)).add(value)
    return _render(name, format_name, unit, len(rows), stats, has_geometry)


def _plain(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", text)


def _language(name: str) -> tuple[str, str | None]:
    """`description:fr` -> ("description", "fr"); `TXT_DUT` -> ("TXT", "nl"); `fr_name` -> ("name", "fr")."""
    parts = [p for p in re.split(r"[:_\-. ]", name) if p]
    if len(parts) >= 2:
        if parts[-1].lower() in LANGUAGE_MARKERS:
            return "".join(parts[:-1]), LANGUAGE_MARKERS[parts[-1].lower()]
        if parts[0].lower() in LANGUAGE_MARKERS:
            return "".join(parts[1:]), LANGUAGE_MARKERS[parts[0].lower()]
    return name, None


def _guess(stat: FieldStats, total: int) -> tuple[str, dict[str, Any]] | None:
    base, language = _language(stat.name)
    plain = _plain(base)
    for target, aliases, extra in ALIASES:
        if plain in aliases or (target != "key" and any(plain.endswith(a) and len(a) > 3 for a in aliases)):
            rule: dict[str, Any] = {k: list(v) for k, v in extra.items()}
            if target == "key":
                if stat.count == total and len(stat.values) == stat.count:
                    return "key", {}
                continue
            if target == "point" and not stat.pairs:
                continue
            if target in ("schema:geo/schema:latitude", "schema:geo/schema:longitude") and stat.numbers < stat.count:
                continue
            if language:
                rule["lang"] = language
            if stat.semicolons and stat.semicolons * 5 >= stat.count and target not in ("schema:name",):
                rule["split"] = ";"
            return target, rule
    return None


def _render(name: str, format_name: str, unit: str, total: int, stats: dict[str, FieldStats],
            has_geometry: bool) -> str:
    lines = [
        f"# Mapping suggested by `mutualisons mapping suggest {name}` ({format_name}, {total} {unit}).",
        "# It works as it is; review the type, the key and each property, then name this file in the",
        "# source's `mapping` key in sources.toml. Fields left commented out are reported as unmapped at",
        "# every harvest until you map them or list them in `ignore`. See docs/mappings.md.",
        "",
        'type = "schema:Organization"  # or schema:Place, schema:LocalBusiness, schema:Event, …',
    ]
    guesses = {n: _guess(s, total) for n, s in stats.items()}
    keys = [n for n, g in guesses.items() if g and g[0] == "key"]
    if keys:
        lines.append(f"key = {json.dumps(keys[0])}  # present and unique in every one of the {total} {unit}: "
                     "the stable IRI of each record comes from it")
    else:
        lines.append("# No field is present and unique everywhere: records get IRIs from their url, or from")
        lines.append("# their name and postal code. Add `key = \"FIELD\"` when the feed has an identifier.")
    ignored = [n for n in stats if n in BOOKKEEPING]
    if ignored:
        lines.append(f"ignore = {json.dumps(ignored, ensure_ascii=False)}  # bookkeeping fields of the export")
    if has_geometry:
        lines.append("# Feature geometries become coordinates (points) or WKT plus a representative point.")
    used_targets: Counter[str] = Counter()
    for field_name, stat in sorted(stats.items(), key=lambda item: (-item[1].count, item[0])):
        if field_name in ignored or (keys and field_name == keys[0]):
            continue
        percent = round(100 * stat.count / total) if total else 0
        comment = (f"# {stat.count}/{total} {unit} ({percent}%); e.g. "
                   + ", ".join(json.dumps(s, ensure_ascii=False) for s in stat.samples))
        guess = guesses[field_name]
        lines.append("")
        section = f"[fields.{json.dumps(field_name, ensure_ascii=False)}]"
        if guess is None or guess[0] == "key":
            lines += [f"# {section}  (not recognised: map it, or list it in `ignore`)", comment,
                      '# property = "schema:…"']
            continue
        target, rule = guess
        if target == "point":
            order = _axis_order(stat.pairs)
            lines += [section, comment, f'point = "{order}"  # the values look like [{order[:3]}, {order[3:]}]']
            if has_geometry:
                lines.append("# the feature's geometry wins; a disagreement is reported")
            continue
        used_targets[target] += 1
        lines += [section, comment, f"property = {json.dumps(target)}"]
        for key, value in rule.items():
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        if target == "schema:keywords":
            lines.append('# to turn values into themes: property = "hub:theme", concepts = { "potager" = '
                         '"theme:gardens-compost" }, fallback = "schema:keywords"')
    return "\n".join(lines) + "\n"


def _axis_order(pairs: list[tuple[float, float]]) -> str:
    """Most pairs with a first value in latitude range and a second in longitude range mean [lat, lon]."""
    lat_first = sum(1 for a, b in pairs if 49 <= a <= 52 and 2 <= b <= 7)
    return "latlon" if lat_first * 2 > len(pairs) else "lonlat"


__all__ = ["LiftError", "suggest_from_rows", "suggest_mapping"]
