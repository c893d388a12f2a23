"""The hub's literal normaliser (hub/pipeline/literals.py) against what a real pyoxigraph `Store` serves.

Every spelling below goes into a `Store` and is read back; the normaliser must give exactly what came back.
`Dataset` keeps literals as written, so only a store round trip says what is served. The spellings are the
issue's (`"+1"`, `"01"`, `"1.0E0"`, `"4.3460"`, `"true"`/`"1"`, offsets, fractional seconds), the bounds of
each datatype, invalid forms (kept as written), and generated ones: mutations of those, random numbers,
random binary64 and binary32 values written with too many digits, dates far in the past and future,
durations near their overflow.
"""

from __future__ import annotations

import random
import struct

import pytest
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, parse, serialize

from hub.core.iris import Minter
from hub.core.vocabulary import default_vocabulary
from hub.pipeline.canonical import canonical_hash
from hub.pipeline.literals import XSD, normal_literal, normal_rest
from hub.pipeline.split import split_records

INTEGERS = ["0", "1", "01", "+1", "-1", "-0", "+0", "00", "007", "9223372036854775807", "9223372036854775808",
            "-9223372036854775808", "-9223372036854775809", "0" * 30 + "12", "+", "-", "", " 1", "1 ", "1_0",
            "١", "1.0", "1e3", "abc", "0x10", "--1", "+-1"]
DECIMALS = ["4.3460", "+.5", ".5", "1.", "-0.0", ".", "+.", "-.", "0.000000000000000001", "0.0000000000000000001",
            "0.00000000000000000010", "1.000000000000000000000", "170141183460469231731.687303715884105727",
            "170141183460469231731.687303715884105728", "-170141183460469231731.687303715884105728",
            "-170141183460469231731.687303715884105729", "12345678901234567890123456789012345678", "1e2",
            "00012.3400", "-00.010", "1..2", "1.2.3", "50.81230", "-0.5"]
FLOATS = ["1.0E0", "1e3", "0.1E-1", "1E400", "-1E400", "1e-400", "-0", "-0.0", "0", "INF", "-INF", "+INF", "inf",
          "Infinity", "-infinity", "NaN", "nan", "-NaN", "+NaN", "1.", "-1.", ".5e1", "1e", "e1", "1.5e+10",
          "1.5e-10", "123456789012345678901234567890", "0.1", "0.3", "1e21", "1e22", "1e-7", "5e-324",
          "2.2250738585072014e-308", "1.7976931348623157e308", "1.7976931348623159e308", "100",
          "3.4028235e38", "3.4028236e38", "3.40282356779733661637539395458142568448e38", "1.17549435e-38",
          "1.4e-45", "7e-46", "16777217", "33554435", "0.30000000000000004", "9007199254740993",
          "1671401875506710.362", "59980.43789909074", "-165060.377803", "90071E92570993", "1_0", "0x1p3",
          "infinit", "INFINITY", "+inF"]
BOOLEANS = ["true", "false", "1", "0", "TRUE", "True", "yes", " true", "01", "-0"]
DATE_TIMES = ["2020-01-01T10:00:00+01:00", "2020-01-01T10:00:00.500Z", "2020-01-01T10:00:00.000+00:00",
              "2020-01-01T24:00:00", "2020-12-31T24:00:00", "2020-12-31T24:00:00.000-05:00", "2020-12-31T24:00:01",
              "2020-02-29T00:00:00", "2019-02-29T00:00:00", "1900-02-29T00:00:00", "2000-02-29T00:00:00",
              "2020-01-01T10:00:00-00:00", "2020-01-01T10:00:00+14:00", "2020-01-01T10:00:00+14:01",
              "2020-01-01T10:00:00+13:59", "2020-01-01T10:00:00-14:00", "2020-01-01T10:00:00+15:00",
              "2020-01-01T10:00", "2020-01-01T10:00:00.", "2020-01-01T10:00:5", "2020-01-01T10:00:59.9999999999",
              "2020-01-01T10:00:59.9999999999999999999", "2020-01-01T10:00:60", "-0001-01-01T00:00:00",
              "-0000-01-01T00:00:00", "0000-01-01T00:00:00", "02020-01-01T00:00:00", "10000-01-01T00:00:00",
              "5391559471918-01-01T00:00:00", "5391559471919-01-01T00:00:00", "-5391559471918-01-01T00:00:00",
              "-5391559471919-01-01T00:00:00", "9223372036854775807-01-01T00:00:00", "2020-1-01T00:00:00",
              "2020-01-01 10:00:00", "2020-01-01t10:00:00", "2020-01-01T10:00:00z", "2020-01-01T10:00:00+0100",
              "2020-01-01T10:00:00+01", "2020-01-01T10:00:00.123456789012345678Z", "2020-01-01T10:00:05.1000"]
DATES = ["2020-01-01Z", "2020-01-01+00:00", "2020-01-01-00:00", "2020-01-01+01:00", "2020-02-30",
         "2020-01-01T00:00:00", "-0044-03-15", "2020-13-01", "2020-00-01", "2020-01-00", "2020-01-32"]
TIMES = ["10:00:00.10", "24:00:00", "24:00:00.000", "24:00:00+01:00", "24:00:01", "23:59:59.9999999999",
         "00:00:00-00:00", "10:00", "10:00:00+14:00", "1:00:00"]
G_YEARS = ["2020", "02020", "-0001", "0000", "-0000", "20200", "200", "2020Z", "2020+01:00", "2020-05:00", "+2020"]
G_YEAR_MONTHS = ["2020-01", "2020-1", "2020-12Z", "2020-13", "-0001-12+14:00"]
G_MONTH_DAYS = ["--01-01", "--02-29", "--02-28", "--02-30", "--04-31", "--12-25-14:00", "--1-01"]
G_DAYS = ["---01", "---31", "---32", "---00", "---15Z", "---1"]
G_MONTHS = ["--12", "--13", "--00", "--01Z", "--01+01:00", "--1"]
DURATIONS = ["P1D", "PT36H", "P1Y12M", "PT1.50S", "P0Y", "PT0S", "-PT0S", "-P1Y", "P", "PT", "P1YT", "PT.5S",
             "PT1.S", "PTS", "P1Y2M3DT4H5M6.7S", "P13M", "PT3600S", "PT86400S", "P-1D", "-P1DT25H", "P0M", "P1W",
             "PT1H1H", "P1M1Y", "PT0.000000000000000001S", "PT0.0000000000000000001S", "P9223372036854775807Y",
             "P768614336404564650Y", "P768614336404564649Y7M", "P768614336404564649Y8M",
             "P106751991167300DT15H30M7S", "P1970324836974592D", "P1969262848102391D", "PT1e3S", "P1.5Y", "-P",
             "P317DT"]

INTEGER_TYPES = ["integer", "int", "long", "short", "byte", "unsignedByte", "nonNegativeInteger", "positiveInteger",
                 "negativeInteger", "nonPositiveInteger", "unsignedLong", "unsignedInt", "unsignedShort"]
TABLE: list[tuple[list[str], list[str]]] = [
    (INTEGERS, INTEGER_TYPES), (DECIMALS + INTEGERS, ["decimal"]), (FLOATS + INTEGERS + DECIMALS, ["double", "float"]),
    (BOOLEANS, ["boolean"]), (DATE_TIMES, ["dateTime", "dateTimeStamp"]), (DATES, ["date"]), (TIMES, ["time"]),
    (G_YEARS, ["gYear"]), (G_YEAR_MONTHS, ["gYearMonth"]), (G_MONTH_DAYS, ["gMonthDay"]), (G_DAYS, ["gDay"]),
    (G_MONTHS, ["gMonth"]), (DURATIONS, ["duration", "yearMonthDuration", "dayTimeDuration"]),
    (["x", "1", "a\\b"], ["string", "normalizedString", "token", "anyURI"]),
]


def listed() -> list[tuple[str, str]]:
    return [(value, datatype) for values, datatypes in TABLE for value in values for datatype in datatypes]


def mutated(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Spellings one to three edits away from the listed ones, in the listed datatypes."""
    found = []
    for _ in range(count):
        values, datatypes = rng.choice(TABLE)
        text = list(rng.choice(values))
        for _ in range(rng.randint(1, 3)):
            edit = rng.random()
            if edit < 0.4 and text:
                text[rng.randrange(len(text))] = rng.choice("0123456789+-.eEZT:PYMDHS")
            elif edit < 0.7:
                text.insert(rng.randint(0, len(text)), rng.choice("0123456789"))
            elif text:
                del text[rng.randrange(len(text))]
        found.append(("".join(text), rng.choice(datatypes)))
    return found


def numbers_and_times(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Random values of each kind, spelled as feeds spell them (and as they should not)."""
    found: list[tuple[str, str]] = []
    digits = "0123456789"
    for _ in range(count):
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if x == x:
            found += [(repr(x), "double"), (f"{x:.25e}", "double"), (f"{x:.17g}", "double")]
        f = struct.unpack("<f", struct.pack("<I", rng.getrandbits(32)))[0]
        if f == f:
            found += [(f"{f:.12e}", "float"), (repr(f), "float"), (f"{f:.9g}", "float")]
        mantissa = "".join(rng.choice(digits) for _ in range(rng.randint(1, 25)))
        dot = rng.randint(0, len(mantissa))
        number = rng.choice("+- ")[:1].strip() + mantissa[:dot] + "." + mantissa[dot:]
        found += [(number, "decimal"), (f"{number}e{rng.randint(-50, 50)}", rng.choice(["double", "float"]))]
        wide = str(rng.getrandbits(rng.randint(1, 130)))
        cut = rng.randint(0, len(wide))
        found += [(("-" if rng.random() < .5 else "") + wide[:cut] + "." + wide[cut:], "decimal"),
                  (str(rng.randint(-2**64, 2**64)), rng.choice(INTEGER_TYPES))]
        year = rng.choice([rng.randint(-10**13, 10**13), rng.randint(-9999, 9999),
                           rng.randint(5391559471000, 5391559472000), -rng.randint(5391559471000, 5391559472000)])
        written = ("-" if year < 0 else "") + f"{abs(year):04d}"
        zone = rng.choice(["", "Z", "+14:00", "-14:00", "+05:30", "-00:00", "+00:00"])
        fraction = "." + "".join(rng.choice(digits) for _ in range(rng.randint(1, 20))) if rng.random() < .5 else ""
        month, day = rng.randint(1, 12), rng.randint(1, 31)
        found += [
            (f"{written}-{month:02d}-{day:02d}T{rng.randint(0, 24):02d}:{rng.randint(0, 59):02d}:"
             f"{rng.randint(0, 59):02d}{fraction}{zone}", "dateTime"),
            (f"{written}-12-31T24:00:00{zone}", "dateTime"),
            (f"{written}-{month:02d}-{day:02d}{zone}", "date"),
            (f"{rng.randint(0, 24):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}{fraction}{zone}", "time"),
            (f"{written}{zone}", "gYear"), (f"{written}-{month:02d}{zone}", "gYearMonth"),
            (f"--{month:02d}-{day:02d}{zone}", "gMonthDay"), (f"---{day:02d}{zone}", "gDay"),
            (f"--{month:02d}{zone}", "gMonth"),
        ]
        big = rng.choice([rng.randint(0, 10**20), rng.randint(0, 10**6), 768614336404564650 + rng.randint(-5, 5),
                          1969262848102391 + rng.randint(-3, 3), 106751991167300 + rng.randint(-3, 3)])
        found += [(f"P{big}Y", "duration"), (f"P{big}M", "yearMonthDuration"), (f"P{big}D", "dayTimeDuration"),
                  (f"-PT{big}H", "duration"), (f"PT{big}.{rng.randint(0, 999)}S", "dayTimeDuration"),
                  ("P" + "".join(f"{rng.randint(0, 10**9)}{unit}" for unit in "YMD") + "T"
                   + "".join(f"{rng.randint(0, 10**9)}{unit}" for unit in "HMS"), "duration")]
    return found


def served(pairs: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(spelling, datatype, the literal a Store gives back) for each pair, through one real store."""
    store = Store()
    graph, subject = NamedNode("urn:x:g"), NamedNode("urn:x:s")
    for index, (value, datatype) in enumerate(pairs):
        store.add(Quad(subject, NamedNode(f"urn:x:p{index}"), Literal(value, datatype=NamedNode(XSD + datatype)),
                       graph))
    back = {quad.predicate.value: str(quad.object) for quad in store}
    return [(value, datatype, back[f"urn:x:p{index}"]) for index, (value, datatype) in enumerate(pairs)]


def mismatches(pairs: list[tuple[str, str]]) -> list[str]:
    wrong = []
    for value, datatype, back in served(pairs):
        written = str(Literal(value, datatype=NamedNode(XSD + datatype)))
        mine = normal_literal(written)
        if mine != back:
            wrong.append(f"{value!r}^^xsd:{datatype}: the store serves {back}, the normaliser gives {mine}")
    return wrong


def test_the_issue_spellings_are_normalised_as_the_store_serves_them() -> None:
    cases = {
        ('"+1"', "integer"): '"1"^^<http://www.w3.org/2001/XMLSchema#integer>',
        ('"01"', "int"): '"1"^^<http://www.w3.org/2001/XMLSchema#integer>',
        ('"1.0E0"', "double"): '"1"^^<http://www.w3.org/2001/XMLSchema#double>',
        ('"4.3460"', "decimal"): '"4.346"^^<http://www.w3.org/2001/XMLSchema#decimal>',
        ('"1"', "boolean"): '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>',
        ('"true"', "boolean"): '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>',
        ('"2026-11-29T05:00:00.500+00:00"', "dateTime"): '"2026-11-29T05:00:00.5Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>',
        ('"2026-11-29T05:00:00+01:00"', "dateTime"): '"2026-11-29T05:00:00+01:00"^^<http://www.w3.org/2001/XMLSchema#dateTime>',
        ('"abc"', "integer"): '"abc"^^<http://www.w3.org/2001/XMLSchema#integer>',  # invalid: kept
        ('" 1 "', "integer"): '" 1 "^^<http://www.w3.org/2001/XMLSchema#integer>',
    }
    for (value, datatype), expected in cases.items():
        assert normal_literal(f"{value}^^<{XSD}{datatype}>") == expected
    # Language tags as the store returns them; other literals untouched.
    assert normal_literal('"Potager"@FR') == '"Potager"@fr'
    assert normal_literal('"Potager"@fr-BE') == '"Potager"@fr-be'
    assert normal_literal('"x"^^<urn:x:type>') == '"x"^^<urn:x:type>'
    assert normal_literal(f'"x"^^<{XSD}string>') == '"x"'
    assert not mismatches([(value.strip('"'), datatype) for value, datatype in cases])


def test_every_listed_spelling_is_what_a_store_serves() -> None:
    assert not mismatches(listed())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_spellings_are_what_a_store_serves(seed: int) -> None:
    rng = random.Random(seed)
    pairs = mutated(rng, 6000) + numbers_and_times(rng, 800)
    wrong = mismatches(pairs)
    assert not wrong, f"{len(wrong)} of {len(pairs)}:\n" + "\n".join(wrong[:30])


def test_language_tags_are_lower_cased_by_the_store_and_by_the_normaliser() -> None:
    store = Store()
    store.load(b'<urn:x:s> <urn:x:p> "Potager"@FR-be .\n', format=RdfFormat.N_TRIPLES, to_graph=NamedNode("urn:x:g"))
    back = str(next(iter(store)).object)
    assert back == normal_literal('"Potager"@FR-be') == '"Potager"@fr-be'


def test_the_normal_form_is_a_fixed_point() -> None:
    for value, datatype, back in served(listed()):
        assert normal_literal(back) == back, (value, datatype)


def test_normal_rest_rewrites_only_the_object() -> None:
    predicate = "<https://schema.org/latitude>"
    assert normal_rest(f'{predicate} "50.81230"^^<{XSD}decimal> .') == f'{predicate} "50.8123"^^<{XSD}decimal> .'
    kept = f'{predicate} "50.8123"^^<{XSD}decimal> .'
    assert normal_rest(kept) is kept
    assert normal_rest(f'{predicate} "4"^^<{XSD}byte> .') == f'{predicate} "4"^^<{XSD}integer> .'
    assert normal_rest(f'{predicate} "a\\"b"^^<{XSD}string> .') == f'{predicate} "a\\"b" .'


def test_the_split_hashes_and_keeps_what_the_store_serves() -> None:
    """A record full of non-canonical literals: its lines are the served ones, and its hash is the
    RDFC-1.0 hash of what a store gives back for it."""
    feed = f"""<https://x.example/org> a <https://schema.org/Organization> ;
      <https://schema.org/name> "Potager"@FR ;
      <https://schema.org/foundingDate> "2026-11-29T05:00:00.000+00:00"^^<{XSD}dateTime> ;
      <https://schema.org/numberOfEmployees> "+01"^^<{XSD}int> ;
      <https://schema.org/isAccessibleForFree> "1"^^<{XSD}boolean> ;
      <https://schema.org/geo> [ <https://schema.org/latitude> "50.84600"^^<{XSD}decimal> ;
                                 <https://schema.org/longitude> "4.3460E0"^^<{XSD}double> ] .
    """
    quads = list(parse(feed.encode(), format=RdfFormat.TURTLE))
    result = split_records(quads, hierarchy=default_vocabulary().hierarchy, minter=Minter("http://hub.test/"),
                           source_id="s", document="file:x")
    (record,) = result.records
    store = Store()
    graph = NamedNode("urn:x:g")
    store.bulk_load(serialize(quads, format=RdfFormat.N_QUADS) or b"", format=RdfFormat.N_QUADS, to_graph=graph)
    back = sorted((serialize([Quad(q.subject, q.predicate, q.object) for q in store], format=RdfFormat.N_TRIPLES)
                   or b"").decode().splitlines())
    assert canonical_hash(back) == record.content_hash
    kept = "\n".join(record.triples)
    for spelling in ('"+01"', f'"1"^^<{XSD}boolean>', "50.84600", "4.3460E0", ".000+00:00", "@FR"):
        assert spelling not in kept
