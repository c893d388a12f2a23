"""Every string the pages show, in French, Dutch and English, and how a page picks its language.

`?lang=fr|nl|en` wins over the browser's Accept-Language; French is the default (the networks' first language).
"""

from __future__ import annotations

from fastapi import Request

LANGUAGES = ("fr", "nl", "en")
DEFAULT = "fr"
LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}

# key: (fr, nl, en)
_STRINGS: dict[str, tuple[str, str, str]] = {
    "site": ("Mutualisons", "Mutualisons", "Mutualisons"),
    "tagline": ("Le commun des alternatives à Bruxelles", "De gemeengoed van de alternatieven in Brussel",
                "The commons of Brussels alternatives"),
    "nav": ("Navigation principale", "Hoofdnavigatie", "Main navigation"),
    "map": ("Carte", "Kaart", "Map"),
    "agenda": ("Agenda", "Agenda", "Agenda"),
    "library": ("Bibliothèque", "Bibliotheek", "Library"),
    "sources": ("Sources", "Bronnen", "Sources"),
    "sparql": ("SPARQL", "SPARQL", "SPARQL"),
    "language": ("Langue", "Taal", "Language"),
    "skip": ("Aller au contenu", "Naar de inhoud", "Skip to content"),
    "filters": ("Filtres", "Filters", "Filters"),
    "search": ("Recherche", "Zoeken", "Search"),
    "search_placeholder": ("nom, adresse…", "naam, adres…", "name, address…"),
    "theme": ("Thème", "Thema", "Theme"),
    "all_themes": ("Tous les thèmes", "Alle thema's", "All themes"),
    "kind": ("Type", "Soort", "Kind"),
    "all_kinds": ("Tous les types", "Alle soorten", "All kinds"),
    "network": ("Réseau", "Netwerk", "Network"),
    "all_networks": ("Tous les réseaux", "Alle netwerken", "All networks"),
    "verified_only": ("Vérifiés seulement", "Alleen geverifieerd", "Verified only"),
    "apply": ("Appliquer", "Toepassen", "Apply"),
    "where_am_i": ("Où suis-je ?", "Waar ben ik?", "Where am I?"),
    "locating_failed": ("Position introuvable", "Locatie niet gevonden", "Could not find your position"),
    "list": ("Liste", "Lijst", "List"),
    "places_in_view": ("{n} lieux dans la vue", "{n} plaatsen in beeld", "{n} places in view"),
    "loading": ("Chargement…", "Laden…", "Loading…"),
    "load_failed": ("Impossible de charger les lieux", "Kon de plaatsen niet laden", "Could not load the places"),
    "map_label": ("Carte des alternatives", "Kaart van de alternatieven", "Map of the alternatives"),
    "no_tiles": ("Fond de carte désactivé", "Achtergrondkaart uitgeschakeld", "Base map switched off"),
    "details": ("Détails et provenance", "Details en herkomst", "Details and provenance"),
    "json_twin": ("Données (JSON)", "Gegevens (JSON)", "Data (JSON)"),
    "open_data": ("Données ouvertes", "Open data", "Open data"),
    # entity page
    "field": ("Champ", "Veld", "Field"),
    "value": ("Valeur", "Waarde", "Value"),
    "source": ("Source", "Bron", "Source"),
    "fetched": ("récupéré le", "opgehaald op", "fetched"),
    "license": ("licence", "licentie", "licence"),
    "col_fetched": ("Récupéré le", "Opgehaald op", "Fetched"),
    "col_license": ("Licence", "Licentie", "Licence"),
    "col_graph": ("Graphe nommé", "Benoemde graaf", "Named graph"),
    "zoom_in": ("Zoomer", "Inzoomen", "Zoom in"),
    "zoom_out": ("Dézoomer", "Uitzoomen", "Zoom out"),
    "show": ("Voir", "Tonen", "Show"),
    "show_on_map": ("montrer sur la carte", "tonen op de kaart", "show on the map"),
    "legend": ("Légende", "Legende", "Legend"),
    "no_theme": ("Sans thème", "Zonder thema", "No theme"),
    "cluster_places": ("{n} lieux ici : zoomer", "{n} plaatsen hier: inzoomen", "{n} places here: zoom in"),
    "more_places": ("Afficher plus ({shown} sur {n})", "Meer tonen ({shown} van {n})", "Show more ({shown} of {n})"),
    "provenance": ("Provenance", "Herkomst", "Provenance"),
    "also_on": ("Aussi sur", "Ook op", "Also on"),
    "same_as_members": ("Cette alternative, décrite par plusieurs réseaux sous ces adresses :",
                        "Dit alternatief, beschreven door meerdere netwerken onder deze adressen:",
                        "This alternative, described by several networks under these addresses:"),
    "linked_by": ("Lien", "Koppeling", "Link"),
    "review": ("Doublons à vérifier", "Te controleren dubbels", "Possible duplicates to review"),
    "review_intro": ("Ces paires décrivent peut-être la même alternative. Confirmez-les pour les réunir, rejetez-les "
                     "pour les garder séparées : la décision vaut dès la prochaine publication, récolte après récolte.",
                     "Deze paren beschrijven misschien hetzelfde alternatief. Bevestig ze om ze samen te voegen, "
                     "verwerp ze om ze apart te houden: de beslissing geldt vanaf de volgende publicatie, "
                     "oogst na oogst.",
                     "These pairs may describe the same alternative. Confirm them to merge them, reject them to keep "
                     "them apart: the decision holds from the next publication on, harvest after harvest."),
    "review_empty": ("Aucune paire à vérifier.", "Geen paren te controleren.", "No pair to review."),
    "first_side": ("Fiche", "Fiche", "Record"),
    "second_side": ("Autre fiche", "Andere fiche", "Other record"),
    "evidence": ("Score et indices", "Score en aanwijzingen", "Score and evidence"),
    "admin_token": ("Jeton d'administration", "Beheerderstoken", "Admin token"),
    "note": ("Note", "Notitie", "Note"),
    "confirm_link": ("Même alternative", "Zelfde alternatief", "Same alternative"),
    "reject_link": ("Différentes", "Verschillend", "Different"),
    "decision_recorded": ("Décision enregistrée : elle vaut dès la prochaine publication.",
                          "Beslissing opgeslagen: ze geldt vanaf de volgende publicatie.",
                          "Decision recorded: it holds from the next publication on."),
    "verification": ("Vérification", "Verificatie", "Verification"),
    "verified": ("Vérifié", "Geverifieerd", "Verified"),
    "unverified": ("Non vérifié", "Niet geverifieerd", "Not verified"),
    "verified_help": (
        "Vérifié : deux professionnels ont recommandé cette fiche, selon la règle de la charte.",
        "Geverifieerd: twee professionals hebben deze fiche aanbevolen, volgens de regel van het charter.",
        "Verified: two professionals recommended this entry, as the charter's rule requires."),
    "unverified_help": (
        "Non vérifié : publié par un réseau, sans les deux recommandations de professionnels que demande la charte.",
        "Niet geverifieerd: gepubliceerd door een netwerk, zonder de twee aanbevelingen van professionals die "
        "het charter vraagt.",
        "Not verified: published by a network, without the two professional recommendations the charter asks."),
    "report": ("Signaler un problème", "Een probleem melden", "Report a problem"),
    "report_help": ("Dites ce qui ne va pas : le hub transmet votre signalement au réseau qui publie cette fiche, "
                    "qui la corrige dans ses données.", "Zeg wat er niet klopt: de hub geeft uw melding door aan het "
                    "netwerk dat deze fiche publiceert, dat ze in zijn gegevens verbetert.", "Say what is wrong: "
                    "the hub passes your report to the network that publishes this entry, which fixes it in its "
                    "data."),
    "report_what": ("Qu'est-ce qui ne va pas ?", "Wat klopt er niet?", "What is wrong?"),
    "report_contact": ("Votre adresse e-mail, si vous voulez une réponse (facultatif ; seul le réseau la voit, "
                       "effacée à la clôture)", "Uw e-mailadres, als u een antwoord wilt (facultatief; alleen het "
                       "netwerk ziet het, gewist bij het afsluiten)", "Your e-mail address, if you want an answer "
                       "(optional; only the network sees it, deleted when the report is closed)"),
    "report_send": ("Envoyer le signalement", "Melding versturen", "Send the report"),
    "report_thanks": ("Merci : votre signalement est transmis au réseau.", "Bedankt: uw melding is doorgegeven "
                      "aan het netwerk.", "Thank you: your report was passed to the network."),
    "report_open": ("Signalement(s) en cours pour cette fiche : {n}", "Open melding(en) voor deze fiche: {n}",
                    "Open report(s) on this entry: {n}"),
    "not_found": ("Introuvable", "Niet gevonden", "Not found"),
    "not_found_help": ("Aucune donnée publiée sur ce sujet.", "Geen gepubliceerde gegevens over dit onderwerp.",
                       "No published data about this subject."),
    "page_not_found_help": ("Le hub ne sert aucune page à cette adresse.", "De hub biedt geen pagina op dit adres.",
                            "The hub serves no page at this address."),
    "page_not_found_home": ("Retour à la carte", "Terug naar de kaart", "Back to the map"),
    "page_not_found_api": ("Les adresses de l'API", "De adressen van de API", "The API's addresses"),
    "other_fields": ("Autres champs", "Andere velden", "Other fields"),
    "products": ("Produits", "Producten", "Products"),
    "products_help": ("Le catalogue que cette entreprise publie (Data Food Consortium), pour les groupements "
                      "d'achat :", "De catalogus die deze onderneming publiceert (Data Food Consortium), voor "
                      "aankoopgroepen:", "The catalogue this enterprise publishes (Data Food Consortium), for "
                      "purchasing groups:"),
    "products_more": ("… et {n} autres.", "… en {n} andere.", "… and {n} more."),
    "products_all": ("Tout le catalogue", "De hele catalogus", "The whole catalogue"),
    # agenda
    "upcoming": ("Événements à venir", "Komende evenementen", "Upcoming events"),
    "week_of": ("Semaine du {d}", "Week van {d}", "Week of {d}"),
    "from": ("Du", "Van", "From"),
    "to": ("Au", "Tot", "To"),
    "subscribe": ("S'abonner (webcal)", "Abonneren (webcal)", "Subscribe (webcal)"),
    "download_ics": ("Télécharger (.ics)", "Downloaden (.ics)", "Download (.ics)"),
    "no_events": ("Aucun événement pour ces filtres.", "Geen evenementen voor deze filters.",
                  "No events for these filters."),
    "cancelled": ("Annulé", "Geannuleerd", "Cancelled"),
    # library
    "library_intro": ("Boîte à outils, savoirs, publications et financements partagés par les réseaux.",
                      "Gereedschapskist, kennis, publicaties en financiering, gedeeld door de netwerken.",
                      "Toolbox, knowledge, publications and funding shared by the networks."),
    "category": ("Catégorie", "Categorie", "Category"),
    "all_categories": ("Toutes les catégories", "Alle categorieën", "All categories"),
    "audience": ("Public", "Doelgroep", "Audience"),
    "all_audiences": ("Tous les publics", "Alle doelgroepen", "All audiences"),
    "toolbox": ("Boîte à outils", "Gereedschapskist", "Toolbox"),
    "knowledge": ("Savoirs", "Kennis", "Knowledge"),
    "publications": ("Publications", "Publicaties", "Publications"),
    "funding": ("Financements", "Financiering", "Funding"),
    "nothing_found": ("Rien trouvé.", "Niets gevonden.", "Nothing found."),
    # sources dashboard
    "sources_intro": ("Chaque réseau, sa dernière moisson et les fiches refusées avec la raison : ce qu'un "
                      "éditeur doit corriger dans son flux.",
                      "Elk netwerk, zijn laatste oogst en de geweigerde fiches met de reden: wat een uitgever "
                      "in zijn feed moet verbeteren.",
                      "Every network, its last harvest and its rejected records with the reason: what a "
                      "publisher needs to fix in its feed."),
    "last_run": ("Dernière moisson", "Laatste oogst", "Last harvest"),
    "earlier_runs": ("Moissons précédentes", "Vorige oogsten", "Earlier harvests"),
    "status": ("État", "Status", "Status"),
    "started": ("Début", "Begin", "Started"),
    "ended": ("Fin", "Einde", "Ended"),
    "contact": ("Contact", "Contact", "Contact"),
    "feed": ("Flux", "Feed", "Feed"),
    "rejected_records": ("Fiches refusées", "Geweigerde fiches", "Rejected records"),
    "no_rejected": ("Aucune fiche refusée.", "Geen geweigerde fiches.", "No rejected record."),
    "record": ("Fiche", "Fiche", "Record"),
    "severity": ("Gravité", "Ernst", "Severity"),
    "message": ("Message", "Bericht", "Message"),
    "property": ("Propriété", "Eigenschap", "Property"),
    "never_run": ("Jamais moissonné", "Nooit geoogst", "Never harvested"),
    "count_accepted": ("acceptées", "aanvaard", "accepted"),
    "count_rejected": ("refusées", "geweigerd", "rejected"),
    "count_added": ("ajoutées", "toegevoegd", "added"),
    "count_updated": ("modifiées", "gewijzigd", "updated"),
    "count_unchanged": ("inchangées", "ongewijzigd", "unchanged"),
    "count_removed": ("retirées", "verwijderd", "removed"),
    "count_warned": ("avertissements", "waarschuwingen", "warnings"),
    "status_succeeded": ("réussie", "geslaagd", "succeeded"),
    # Partial: a document, a row or a record failed (hub/pipeline/harvest.py), not only rejected records.
    "status_partial": ("partielle (documents, lignes ou fiches en échec)",
                       "gedeeltelijk (documenten, rijen of fiches mislukt)",
                       "partial (some documents, rows or records failed)"),
    "status_failed": ("échouée", "mislukt", "failed"),
    "severity_Violation": ("Violation", "Schending", "Violation"),
    "severity_Warning": ("Avertissement", "Waarschuwing", "Warning"),
    "severity_Info": ("Info", "Info", "Info"),
    # errors (run errors by code: runerror_{code})
    "runerror_fetch": ("Le flux n'a pas pu être récupéré.", "De feed kon niet worden opgehaald.",
                       "The feed could not be fetched."),
    "runerror_parse": ("Le flux n'a pas pu être lu.", "De feed kon niet worden gelezen.",
                       "The feed could not be read."),
    "error": ("Erreur", "Fout", "Error"),
    "error_503": ("Aucune donnée publiée pour l'instant : lancez une moisson.",
                  "Nog geen gegevens gepubliceerd: start een oogst.",
                  "No data published yet: run a harvest."),
    "error_400": ("Paramètre incorrect.", "Foute parameter.", "Bad parameter."),
    "error_404": ("Introuvable.", "Niet gevonden.", "Not found."),
    "error_other": ("Le service n'a pas répondu comme prévu.", "De dienst antwoordde niet zoals verwacht.",
                    "The service did not answer as expected."),
    # kinds of record (schema.org classes)
    "type_Organization": ("Organisation", "Organisatie", "Organisation"),
    "type_NGO": ("Association", "Vereniging", "Association"),
    "type_Place": ("Lieu", "Plaats", "Place"),
    "type_LocalBusiness": ("Commerce local", "Lokale zaak", "Local business"),
    "type_GroceryStore": ("Épicerie", "Kruidenier", "Grocery"),
    "type_Store": ("Magasin", "Winkel", "Shop"),
    "type_MedicalClinic": ("Centre de santé", "Gezondheidscentrum", "Health centre"),
    "type_CivicStructure": ("Équipement public", "Openbare voorziening", "Civic structure"),
    "type_Event": ("Événement", "Evenement", "Event"),
    "type_DigitalDocument": ("Document", "Document", "Document"),
    "type_CreativeWork": ("Œuvre", "Werk", "Work"),
    # fields (schema.org properties)
    "prop_name": ("Nom", "Naam", "Name"),
    "prop_description": ("Description", "Beschrijving", "Description"),
    "prop_address": ("Adresse", "Adres", "Address"),
    "prop_geo": ("Coordonnées", "Coördinaten", "Coordinates"),
    "prop_url": ("Site web", "Website", "Website"),
    "prop_email": ("Courriel", "E-mail", "E-mail"),
    "prop_telephone": ("Téléphone", "Telefoon", "Telephone"),
    "prop_keywords": ("Mots-clés", "Trefwoorden", "Keywords"),
    "prop_type": ("Type", "Soort", "Kind"),
    "prop_startDate": ("Début", "Begin", "Start"),
    "prop_endDate": ("Fin", "Einde", "End"),
    "prop_location": ("Lieu", "Plaats", "Location"),
    "prop_organizer": ("Organisateur", "Organisator", "Organiser"),
    "prop_sameAs": ("Même que", "Zelfde als", "Same as"),
    "prop_license": ("Licence", "Licentie", "Licence"),
    "prop_theme": ("Thèmes", "Thema's", "Themes"),
    "prop_about": ("Thème", "Thema", "Theme"),
    "prop_audience": ("Public", "Doelgroep", "Audience"),
    "prop_openingHours": ("Heures d'ouverture", "Openingsuren", "Opening hours"),
    "prop_verificationStatus": ("Vérification", "Verificatie", "Verification"),
    # embed
    "embed_title": ("Carte des alternatives (intégrée)", "Kaart van de alternatieven (ingebed)",
                    "Map of the alternatives (embedded)"),
    "open_full_map": ("Ouvrir la carte complète", "Volledige kaart openen", "Open the full map"),
    "embed_configure": ("Intégrer la carte sur votre site", "De kaart op uw site insluiten",
                        "Embed the map on your site"),
    "embed_this_map": ("Intégrer cette carte", "Deze kaart insluiten", "Embed this map"),
    "embed_intro": ("Choisissez le réseau, le thème, la zone et la langue : l'aperçu suit vos choix, puis copiez le "
                    "code dans une page de votre site.",
                    "Kies het netwerk, het thema, het gebied en de taal: het voorbeeld volgt uw keuzes; kopieer dan "
                    "de code naar een pagina van uw site.",
                    "Choose the network, theme, area and language: the preview follows your choices; then copy the "
                    "code into a page of your site."),
    "embed_area": ("Zone (optionnelle)", "Gebied (optioneel)", "Area (optional)"),
    "embed_area_help": ("Longitude ouest, latitude sud, longitude est, latitude nord, en degrés ; vide : tous les "
                        "lieux choisis.",
                        "Westelijke lengte, zuidelijke breedte, oostelijke lengte, noordelijke breedte, in graden; "
                        "leeg: alle gekozen plaatsen.",
                        "West longitude, south latitude, east longitude, north latitude, in degrees; empty: every "
                        "chosen place."),
    "embed_use_view": ("Prendre la vue de l'aperçu", "Het beeld van het voorbeeld nemen", "Use the preview's view"),
    "embed_language": ("Langue de la carte", "Taal van de kaart", "Language of the map"),
    "embed_preview": ("Aperçu", "Voorbeeld", "Preview"),
    "embed_snippet": ("Code à copier", "Te kopiëren code", "Code to copy"),
    "embed_copy": ("Copier le code", "Code kopiëren", "Copy the code"),
    "embed_copied": ("Code copié.", "Code gekopieerd.", "Code copied."),
    "embed_bad_area": ("La zone doit être quatre nombres séparés par des virgules (ouest, sud, est, nord), par exemple "
                       "4.25,50.77,4.48,50.91 : elle est laissée de côté.",
                       "Het gebied moet vier getallen zijn, gescheiden door komma's (west, zuid, oost, noord), "
                       "bijvoorbeeld 4.25,50.77,4.48,50.91: het wordt weggelaten.",
                       "The area must be four numbers separated by commas (west, south, east, north), e.g. "
                       "4.25,50.77,4.48,50.91: it is left out."),
}


def negotiate(request: Request) -> str:
    """`?lang=` first, then the best language of Accept-Language the pages speak, then French."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else DEFAULT


def t(lang: str, key: str, **values: object) -> str:
    """The string `key` in `lang`; a missing key is a bug, so it fails loudly in tests."""
    text = _STRINGS[key][LANGUAGES.index(lang)]
    return text.format(**values) if values else text


def maybe(lang: str, key: str, fallback: str) -> str:
    """The string `key` when it is known (field and class names), else `fallback`."""
    return t(lang, key) if key in _STRINGS else fallback


def keys() -> list[str]:
    return list(_STRINGS)


def bundle(lang: str, names: list[str]) -> dict[str, str]:
    """The strings a page's script needs, handed over as JSON."""
    return {name: t(lang, name) for name in names}


def pick(values: dict[str, str], lang: str) -> str:
    """A language-tagged value in the page's language, else French, Dutch, English, then any."""
    for candidate in (lang, *LANGUAGES, "und"):
        if values.get(candidate):
            return values[candidate]
    return next(iter(values.values()), "")
