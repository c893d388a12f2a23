// The hub's map: markers loaded as GeoJSON per viewport from /api/organizations, clustered,
// filtered, and listed in sync. Plain browser JavaScript, no build step.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const S = config.strings;
  // Plural forms by CLDR category, from the gettext catalogs: "1 plaats", "2 plaatsen".
  const pluralRule = new Intl.PluralRules(config.lang);
  const counted = (key, n) => {
    const forms = config.plurals[key];
    return (forms[pluralRule.select(n)] || forms.other).replace("{n}", n);
  };
  const status = document.getElementById("status");
  const list = document.getElementById("places");
  const form = document.getElementById("filters");
  const SCHEMA = "https://schema.org/";
  // Sub-classes, so that a client-side check agrees with a server that follows the class hierarchy.
  const SUBCLASSES = {
    Organization: ["NGO", "LocalBusiness", "GroceryStore", "Store", "MedicalClinic"],
    Place: ["LocalBusiness", "GroceryStore", "Store", "MedicalClinic", "CivicStructure"],
    LocalBusiness: ["GroceryStore", "Store", "MedicalClinic"], Store: ["GroceryStore"],
  };
  let filters = Object.assign({}, config.filters);
  let features = [];
  let markers = new Map();
  let generation = 0;

  L.Icon.Default.imagePath = "/static/leaflet/images/";
  const map = L.map("map", { zoomControl: false, keyboard: true, maxZoom: 19 }).setView([50.846, 4.352], 12);
  L.control.zoom({ zoomInTitle: S.zoom_in, zoomOutTitle: S.zoom_out }).addTo(map);
  if (config.tiles !== "none") {
    L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.attribution }).addTo(map);
  } else {
    map.getContainer().classList.add("no-tiles");
    map.attributionControl.addAttribution(S.no_tiles);
  }
  const cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 });
  map.addLayer(cluster);
  const container = map.getContainer();
  container.setAttribute("aria-label", S.map_label);

  function pick(names, fallback) {
    if (!names) return fallback || "";
    return names[config.lang] || names.fr || names.nl || names.en || Object.values(names)[0] || fallback || "";
  }
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function shortType(iri) { return iri.startsWith(SCHEMA) ? iri.slice(SCHEMA.length) : iri; }
  function typeLabel(types) {
    for (const iri of types || []) {
      const label = S["type_" + shortType(iri)];
      if (label) return label;
    }
    return "";
  }
  function entityHref(iri) {
    return "/id?iri=" + encodeURIComponent(iri) + "&lang=" + config.lang;
  }
  function addressText(address) {
    if (!address) return "";
    return [address.street, [address.postal, address.locality].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  }

  // The API does the filtering; these checks keep the page right if a server ignores a parameter.
  function keep(feature) {
    const p = feature.properties;
    if (filters.type) {
      const wanted = [filters.type].concat(SUBCLASSES[filters.type] || []);
      if (!(p.types || []).some((iri) => wanted.includes(shortType(iri)))) return false;
    }
    if (filters.source && !(p.sources || []).some((s) => s.source.endsWith("/source/" + filters.source))) return false;
    if (filters.q) {
      const text = fold([p.name].concat(Object.values(p.names || {}), [addressText(p.address)]).join(" "));
      if (!fold(filters.q).split(/\s+/).every((word) => text.includes(word))) return false;
    }
    // The theme is left to the server: it also matches the narrower concepts of the chosen theme.
    if (filters.verified === "true" && "verificationStatus" in p) {
      if (!/verified$/i.test(String(p.verificationStatus)) || /unverified$/i.test(String(p.verificationStatus))) return false;
    }
    return true;
  }

  function bboxParam() {
    const b = map.getBounds().pad(0.2);
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((n) => n.toFixed(5)).join(",");
  }
  function nextLink(header) {
    if (!header) return null;
    const match = header.split(",").map((part) => part.match(/<([^>]+)>\s*;\s*rel="?next"?/)).find(Boolean);
    return match ? match[1] : null;
  }

  async function load() {
    const mine = ++generation;
    status.textContent = S.loading;
    const params = new URLSearchParams({ format: "geojson", bbox: bboxParam() });
    for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
    let url = "/api/organizations?" + params.toString();
    const collected = [];
    try {
      for (let page = 0; url && page < 50; page++) {  // follow cursor pages (Link rel=next)
        const answer = await fetch(url, { headers: { Accept: "application/geo+json" } });
        if (!answer.ok) throw new Error(String(answer.status));
        const body = await answer.json();
        collected.push(...(body.features || []));
        url = nextLink(answer.headers.get("Link"));
      }
    } catch (error) {
      if (mine === generation) status.textContent = S.load_failed + " (" + error.message + ")";
      return;
    }
    if (mine !== generation) return;  // a newer viewport's answer wins
    features = collected.filter(keep);
    draw();
  }

  function popupContent(feature) {
    const p = feature.properties;
    const box = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = pick(p.names, p.name);
    box.appendChild(title);
    for (const text of [typeLabel(p.types), addressText(p.address)]) {
      if (!text) continue;
      const line = document.createElement("div");
      line.textContent = text;
      box.appendChild(line);
    }
    const more = document.createElement("a");
    more.href = entityHref(p["@id"]);
    more.className = "entity-link";
    more.textContent = S.details;
    box.appendChild(more);
    return box;
  }

  // Markers are kept across reloads: panning must not close an open popup or rebuild every cluster.
  function draw() {
    const wanted = new Set(features.map((f) => f.properties["@id"]));
    const gone = [];
    for (const [id, marker] of markers) {
      if (!wanted.has(id)) { gone.push(marker); markers.delete(id); }
    }
    cluster.removeLayers(gone);
    const added = [];
    for (const feature of features) {
      const id = feature.properties["@id"];
      if (markers.has(id)) continue;
      const [lon, lat] = feature.geometry.coordinates;
      const name = pick(feature.properties.names, feature.properties.name);
      const marker = L.marker([lat, lon], { title: name, alt: name, keyboard: true });
      marker.bindPopup(() => popupContent(feature));
      markers.set(id, marker);
      added.push(marker);
    }
    cluster.addLayers(added);
    drawList();
    // When the first markers are on the map and the list is usable: what `make bench` times.
    if (!document.body.dataset.ready) document.body.dataset.readyAt = String(Math.round(performance.now()));
    document.body.dataset.ready = "1";
    document.body.dataset.markers = String(features.length);
  }

  function drawList() {
    if (!list) {
      status.textContent = counted("places_in_view", features.length);
      return;
    }
    const bounds = map.getBounds();
    const visible = features.filter((f) => bounds.contains(L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0])));
    visible.sort((a, b) => pick(a.properties.names, a.properties.name).localeCompare(pick(b.properties.names, b.properties.name)));
    status.textContent = counted("places_in_view", visible.length);
    const fragment = document.createDocumentFragment();
    for (const feature of visible.slice(0, 300)) {
      const p = feature.properties;
      const item = document.createElement("li");
      item.dataset.id = p["@id"];
      const link = document.createElement("a");
      link.href = entityHref(p["@id"]);
      link.textContent = pick(p.names, p.name);
      item.appendChild(link);
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = [typeLabel(p.types), addressText(p.address)].filter(Boolean).join(" · ");
      item.appendChild(meta);
      const show = document.createElement("button");
      show.type = "button";
      show.className = "show";
      show.textContent = S.show;
      show.setAttribute("aria-label", S.show + " " + pick(p.names, p.name) + " — " + S.show_on_map);
      show.addEventListener("click", () => {
        const marker = markers.get(p["@id"]);
        if (marker && cluster.hasLayer(marker)) cluster.zoomToShowLayer(marker, () => marker.openPopup());
      });
      item.appendChild(show);
      fragment.appendChild(item);
    }
    list.replaceChildren(fragment);
  }

  let timer = null;
  map.on("moveend", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 200);
  });

  // Phones see the map first; wide screens keep the filters open beside it.
  const box = document.getElementById("filters-box");
  if (box && window.matchMedia("(min-width: 800px)").matches) box.open = true;
  if (form) {
    const readForm = () => {
      const data = new FormData(form);
      filters = { q: data.get("q") || "", theme: data.get("theme") || "", type: data.get("type") || "",
                  source: data.get("source") || "", verified: data.get("verified") ? "true" : "" };
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(filters)) if (value) query.set(key, value);
      query.set("lang", config.lang);
      history.replaceState(null, "", "?" + query.toString());
      load();
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); readForm(); });
    form.addEventListener("change", readForm);
    let typing = null;
    form.q.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(readForm, 300); });
  }

  const locate = document.getElementById("locate");
  if (locate) {
    locate.addEventListener("click", () => {
      if (!navigator.geolocation) { status.textContent = S.locating_failed; return; }
      navigator.geolocation.getCurrentPosition(
        (position) => {
          const here = [position.coords.latitude, position.coords.longitude];
          map.setView(here, 15);
          L.circleMarker(here, { radius: 8, color: "#0b5cad" }).addTo(map);
        },
        () => { status.textContent = S.locating_failed; },
        { timeout: 10000 });
    });
  }
  load();
})();
