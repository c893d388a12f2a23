"""Complete items: every property a record states appears in its item (JSON-LD, GeoJSON, CSV), `fields=` asks for
fewer, and audience, cost, availability and class shorthands filter. A health-directory page is built from
/api/organizations and /api/people alone."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient

SS = "https://sante-solidaire.example/id/"
SC = "https://savoirs-communs.example/id/"


def features(client: TestClient, collection: str, **params: Any) -> dict[str, dict[str, Any]]:
    response = client.get(f"/api/{collection}", params={"format": "geojson", "limit": 1000, **params})
    assert response.status_code == 200, response.text
    return {f["id"]: f for f in response.json()["features"]}


def test_a_health_directory_page_from_organizations_and_people_alone(client: TestClient) -> None:
    """What a map site shows for each practitioner: profession, experience, cost, audiences, availability, whether
    verified, and the place they work at with its address, telephone and hours, all from two collection calls."""
    people = features(client, "people", type="HealthPractitioner", lang="fr")
    places = features(client, "organizations", type="MedicalOrganization", lang="fr")
    page = []
    for practitioner in people.values():
        p = practitioner["properties"]
        workplace = places.get((p.get("worksFor") or [None])[0] or "")
        page.append({
            "name": p["name"], "profession": p["jobTitle"], "experience": p.get("experience", []),
            "cost": p.get("costOfServices", []), "audiences": p.get("audience", []),
            "days": sorted(d for hours in p.get("openingHoursSpecification", []) for d in hours.get("dayOfWeek", [])),
            "verified": str(p["verificationStatus"]).rsplit("#", 1)[-1] == "Verified",
            "workplace": None if workplace is None else {
                "name": workplace["properties"]["name"], "address": workplace["properties"]["address"],
                "telephone": workplace["properties"].get("telephone"), "where": workplace["geometry"]},
        })
    lemaire = next(entry for entry in page if entry["name"] == "Dr Anne Lemaire")
    assert lemaire["profession"] == ["Médecin généraliste"]
    assert lemaire["experience"] == ["Vingt ans de médecine générale en maison médicale."]
    assert lemaire["cost"] == ["Au forfait, sans frais pour les patients inscrits."]
    assert lemaire["audiences"] == ["https://w3id.org/mutualisons/ns#audience-precarity"]
    assert lemaire["days"] == ["https://schema.org/Monday", "https://schema.org/Wednesday"]
    assert lemaire["verified"] is True
    assert lemaire["workplace"] == {"name": "Maison médicale du Bon Voisinage",
                                    "address": {"street": "Rue Gray 151", "postal": "1050", "locality": "Ixelles",
                                                "country": "BE"},
                                    "telephone": ["+32 2 000 33 01"],
                                    "where": {"type": "Point", "coordinates": [4.38, 50.833]}}
    dubois = next(entry for entry in page if entry["name"] == "Marc Dubois")
    assert dubois["verified"] is False and dubois["profession"] == ["Kinésithérapeute"]
    # In Dutch, the profession in Dutch.
    assert features(client, "people", type="HealthPractitioner", lang="nl")[SS + "kine-dubois"][
        "properties"]["jobTitle"] == ["Kinesitherapeut"]


def test_every_kind_keeps_what_its_records_state(client: TestClient) -> None:
    health = features(client, "organizations", type="HealthStructure")[SS + "ecoute-sante-mentale"]["properties"]
    assert health["openingHoursSpecification"] == [{"type": ["OpeningHoursSpecification"], "closes": ["18:00:00"],
                                                    "dayOfWeek": ["https://schema.org/Thursday",
                                                                  "https://schema.org/Tuesday"],
                                                    "opens": ["14:00:00"]}]
    assert health["costOfServices"] == ["Gratuit."] and health["socialPurpose"]
    room = features(client, "organizations", type="AvailableSpace")[SC + "salle-grenier"]["properties"]
    assert room["maximumAttendeeCapacity"] == [40]
    grant = features(client, "funding")[SC + "subside-quartiers-durables"]["properties"]
    assert grant["applicationDeadline"] == ["2027-03-31"] and grant["funder"] == [SC + "fonds-transition"]
    assert grant["eligibility"] == ["Associations de fait et asbl actives dans un quartier bruxellois."]
    clinic = features(client, "organizations")[SS + "mm-marronniers"]["properties"]
    assert clinic["email"] == ["accueil@mm-marronniers.example"]
    # JSON-LD: the same values with their languages and datatypes, compacted with the hub's context.
    members = client.get("/api/people", params={"type": "HealthPractitioner"}).json()["member"]
    lemaire = next(m for m in members if m["@id"] == SS + "dr-lemaire")
    assert {"@language": "nl", "@value": "Huisarts"} in lemaire["jobTitle"]
    assert lemaire["openingHoursSpecification"]["opens"] == {"@type": "xsd:time", "@value": "09:00:00"}
    assert lemaire["worksFor"] == {"@id": SS + "mm-bon-voisinage"}
    funding = client.get("/api/funding").json()["member"]
    grant_ld = next(m for m in funding if m["@id"] == SC + "subside-quartiers-durables")
    assert grant_ld["applicationDeadline"] == "2027-03-31"


def test_csv_has_a_column_for_every_property_of_the_collection(client: TestClient) -> None:
    text = client.get("/api/people", params={"format": "csv", "lang": "fr"}).text
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(text))}
    lemaire = rows[SS + "dr-lemaire"]
    assert lemaire["jobTitle"] == "Médecin généraliste"
    assert lemaire["costOfServices"] == "Au forfait, sans frais pour les patients inscrits."
    assert lemaire["worksFor"] == SS + "mm-bon-voisinage"
    assert '"dayOfWeek":["https://schema.org/Monday","https://schema.org/Wednesday"]' in \
        lemaire["openingHoursSpecification"]
    assert rows[SS + "kine-dubois"]["worksFor"] == ""  # the same columns on every row


def test_fields_asks_for_fewer(client: TestClient) -> None:
    only = features(client, "people", fields="name,jobTitle")
    assert only and all(set(f["properties"]) <= {"@id", "name", "jobTitle"} for f in only.values())
    assert only[SS + "dr-lemaire"]["properties"]["jobTitle"]
    members = client.get("/api/people", params={"fields": "jobTitle"}).json()["member"]
    assert all(set(m) <= {"@id", "jobTitle"} for m in members) and any("jobTitle" in m for m in members)
    text = client.get("/api/organizations", params={"format": "csv", "fields": "name,telephone,address"}).text
    assert text.splitlines()[0] == "id,name,street,postal_code,locality,telephone"
    wrong = client.get("/api/people", params={"fields": "name,jobTitel"})
    assert wrong.status_code == 400 and wrong.json()["parameter"] == "fields"
    assert "did you mean 'jobTitle'" in wrong.json()["detail"]


def test_audience_cost_availability_and_class_shorthands_filter(client: TestClient) -> None:
    precarity = set(features(client, "organizations", audience="precarity"))
    assert SS + "ecoute-sante-mentale" in precarity
    assert set(features(client, "organizations", audience="audience:precarity")) == precarity
    assert set(features(client, "organizations",
                        audience="https://w3id.org/mutualisons/ns#audience-precarity")) == precarity
    assert set(features(client, "people", audience="seniors")) == {SS + "kine-dubois"}
    # A concept matches its narrower ones: "everyone" finds the precarity audience's items too.
    assert precarity <= set(features(client, "organizations", audience="everyone"))
    assert SS + "ecoute-sante-mentale" in features(client, "organizations", cost="gratuit")
    assert SS + "dr-lemaire" in features(client, "people", cost="FORFAIT")
    assert set(features(client, "people", availability="monday")) == {SS + "dr-lemaire"}
    assert set(features(client, "people", availability="maandag,dinsdag")) == {SS + "dr-lemaire"}
    assert SS + "ecoute-sante-mentale" in features(client, "organizations", availability="jeudi")
    assert SS + "ecoute-sante-mentale" not in features(client, "organizations", availability="monday")
    rooms = features(client, "organizations", type="AvailableSpace")
    assert SC + "salle-grenier" in rooms
    assert set(features(client, "organizations", type="https://w3id.org/mutualisons/ns#AvailableSpace")) == set(rooms)
    assert set(features(client, "organizations", type="hub:AvailableSpace")) == set(rooms)
    for name, value, hint in (("availability", "mondai", "monday"), ("type", "AvailabelSpace", "AvailableSpace"),
                              ("audience", "precarty", "precarity")):
        bad = client.get("/api/organizations", params={name: value})
        assert bad.status_code == 400 and bad.json()["parameter"] == name, bad.text
        assert bad.json()["suggestion"] == hint


def test_people_only_where_published(client: TestClient) -> None:
    """Consent still applies: the people collection lists only persons with a consent, and every one of them
    carries it."""
    people = client.get("/api/people").json()["member"]
    assert people and all("consent" in person for person in people)
