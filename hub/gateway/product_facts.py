"""What `/api/products` shows of a product record: its suppliers, categories, quantity and offers.

A product record (hub:Product; Data Food Consortium supplied products) holds the DFC catalogue as the network
published it: the supplied product, its quantity (`dfc-b:hasQuantity`), and the catalogue items that reference
it (hub/pipeline/split.py keeps them in the product's record) with their offers and prices. Alignment
(hub/pipeline/alignment.py) has already said the supplier (`hub:suppliedBy`) and the categories
(`schema:category`, `schema:hasCertification`, DFC's concept IRIs) in the hub's model; the quantities and prices
are read here from DFC's terms (either DFC namespace), or from schema.org offers (`schema:offers`, `schema:price`,
`schema:priceCurrency`) for products of other feeds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyoxigraph import Literal, NamedNode

from hub.core.namespaces import DFC, DFC_POD, HUB, SCHEMA
from hub.gateway.textsearch import words

# DFC's measures that are currencies (taxonomy dfc-m:), by local name -> ISO 4217.
CURRENCIES = {"Euro": "EUR", "PoundSterling": "GBP", "USDollar": "USD", "SwissFranc": "CHF",
              "CanadianDollar": "CAD"}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


@dataclass
class ProductOffer:
    """One way to buy the product: a DFC offer of a catalogue item (or a schema.org offer)."""

    price: float | None = None
    currency: str | None = None  # ISO 4217, when the unit is a currency the hub knows
    unit: str | None = None  # the price's unit as given (a DFC measure's IRI)
    vat_rate: float | None = None  # DFC's VATrate, a percentage
    stock: float | None = None  # DFC's stockLimitation of the offer, else of its catalogue item
    sku: str | None = None  # the catalogue item's


@dataclass
class ProductFacts:
    suppliers: set[str] = field(default_factory=set)  # enterprise IRIs (hub:suppliedBy)
    categories: set[str] = field(default_factory=set)  # concept IRIs: the product's type (schema:category)
    certifications: set[str] = field(default_factory=set)  # concept IRIs (schema:hasCertification)
    quantity: float | None = None
    quantity_unit: str | None = None  # a DFC measure's IRI
    offers: list[ProductOffer] = field(default_factory=list)


def concept_words(iri: str) -> str:
    """A concept's local name as words ("round-tomato" -> "round tomato", "organicAB" -> "organic ab"): what
    `category=` matches when the hub has no label for the concept."""
    local = iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return " ".join(words(_CAMEL.sub(" ", local)))


def read_product(subject: NamedNode, objects: Callable[[Any, str], list[Any]],
                 subjects: Callable[[str, Any], list[Any]]) -> ProductFacts:
    """The facts of the product `subject`, from its record: `objects(node, predicate)` and
    `subjects(predicate, node)` read the record graph."""
    facts = ProductFacts()
    facts.suppliers = {o.value for o in objects(subject, HUB + "suppliedBy") if isinstance(o, NamedNode)}
    facts.categories = {o.value for o in objects(subject, SCHEMA + "category") if isinstance(o, NamedNode)}
    facts.certifications = {o.value for o in objects(subject, SCHEMA + "hasCertification")
                            if isinstance(o, NamedNode)}
    for quantity in _dfc(objects, subject, "hasQuantity"):
        facts.quantity = _number(_dfc(objects, quantity, "value"))
        facts.quantity_unit = _iri(_dfc(objects, quantity, "hasUnit"))
        break
    items = [s for namespace in (DFC, DFC_POD) for s in subjects(namespace + "references", subject)]
    for item in sorted(items, key=str):
        sku = _text(_dfc(objects, item, "sku"))
        item_stock = _number(_dfc(objects, item, "stockLimitation"))
        for offer in sorted(_dfc(objects, item, "offeredThrough"), key=str):
            found = ProductOffer(stock=_number(_dfc(objects, offer, "stockLimitation")), sku=sku)
            if found.stock is None:
                found.stock = item_stock
            prices = _dfc(objects, offer, "hasPrice")
            if prices:
                found.price = _number(_dfc(objects, prices[0], "value"))
                found.unit = _iri(_dfc(objects, prices[0], "hasUnit"))
                found.vat_rate = _number(_dfc(objects, prices[0], "VATrate"))
            else:  # DFC before 1.8: the price as a number on the offer
                found.price = _number(_dfc(objects, offer, "price"))
            found.currency = _currency(found.unit)
            facts.offers.append(found)
    for offer in sorted(objects(subject, SCHEMA + "offers"), key=str):
        currency = _text(objects(offer, SCHEMA + "priceCurrency"))
        facts.offers.append(ProductOffer(price=_number(objects(offer, SCHEMA + "price")), currency=currency,
                                         sku=_text(objects(offer, SCHEMA + "sku"))))
    return facts


def _dfc(objects: Callable[[Any, str], list[Any]], node: Any, local: str) -> list[Any]:
    return objects(node, DFC + local) + objects(node, DFC_POD + local)


def _number(values: list[Any]) -> float | None:
    for value in values:
        if isinstance(value, Literal):
            try:
                return float(value.value)
            except ValueError:
                continue
    return None


def _text(values: list[Any]) -> str | None:
    return next((v.value for v in values if isinstance(v, Literal)), None)


def _iri(values: list[Any]) -> str | None:
    return next((v.value for v in values if isinstance(v, NamedNode)), None)


def _currency(unit: str | None) -> str | None:
    if unit is None:
        return None
    return CURRENCIES.get(unit.rsplit("#", 1)[-1].rsplit("/", 1)[-1])
