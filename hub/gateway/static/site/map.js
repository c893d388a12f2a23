// The hub's map: what the view holds, counted on the server (/api/map/clusters: clusters, or the places
// themselves when few are in view), pins coloured by theme with a legend, and the places in view listed
// page by page from the collection (/api/organizations, cursor paging). The API does all the filtering and
// searching: this script never drops anything it is given. Plain browser JavaScript, no build step.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const S = config.strings;
  // A count said in the page's language and its plural form ("1 plaats", "2 plaatsen"): the gettext catalog's
  // forms by CLDR category, picked with Intl.PluralRules.
  const pluralRule = new Intl.PluralRules(config.lang);
  const counted = (key, n, shown) => {
    const forms = config.plurals[key];
    return (forms[pluralRule.select(n)] || forms.other).replace("{n}", shown === undefined ? n : shown);
  };
  const status = document.getElementById("status");
  const list = document.getElementById("places");
  const more = document.getElementById("more");
  const legendBox = document.getElementById("legend");
  const form = document.getElementById("filters");
  const SCHEMA = "https://schema.org/";
  const PAGE = 50;  // places per page of the list
  const number = new Intl.NumberFormat(config.lang);
  // Top theme IRI -> its place in the legend (its colour class, t0…t7); the rest is "no theme".
  const legend = config.legend || [];
  const themeSlot = new Map(legend.map((entry, slot) => [entry.theme, slot]));
  let filters = Object.assign({}, config.filters);
  let pins = new Map();  // place IRI -> its marker, kept across reloads (an open popup stays open)
  let clusterMarkers = [];
  let generation = 0;
  let nextPage = null;
  let pendingPopup = null;  // the place a list's "show" button asked for, opened once its pin is drawn
  let listLoading = false;

  L.Icon.Default.imagePath = "/static/leaflet/images/";
  const map = L.map("map", { zoomControl: false, keyboard: true, maxZoom: 19 });
  L.control.zoom({ zoomInTitle: S.zoom_in, zoomOutTitle: S.zoom_out }).addTo(map);
  if (config.tiles !== "none") {
    L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.attribution }).addTo(map);
  } else {
    map.getContainer().classList.add("no-tiles");
    map.attributionControl.addAttribution(S.no_tiles);
  }
  const layer = L.layerGroup().addTo(map);
  map.getContainer().setAttribute("aria-label", S.map_label);

  function entityHref(iri) {
    return "/id?iri=" + encodeURIComponent(iri) + "&lang=" + config.lang;
  }
  function themeClass(theme) {
    return themeSlot.has(theme) ? "t" + themeSlot.get(theme) : "t-none";
  }
  function themeLabel(theme) {
    return themeSlot.has(theme) ? legend[themeSlot.get(theme)].label : S.no_theme;
  }
  // Where a list item's place is: a line or polygon comes with the representative point the API gives beside it.
  function pointOf(feature) {
    if (feature.properties.point) return feature.properties.point;
    return feature.geometry && feature.geometry.type === "Point" ? feature.geometry.coordinates : null;
  }
  function addressText(address) {
    if (!address) return "";
    return [address.street, [address.postal, address.locality].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  }
  function typeLabel(types) {
    for (const iri of types || []) {
      const label = S["type_" + (iri.startsWith(SCHEMA) ? iri.slice(SCHEMA.length) : iri)];
      if (label) return label;
    }
    return "";
  }
  function pick(names, fallback) {
    if (!names) return fallback || "";
    return names[config.lang] || names.fr || names.nl || names.en || Object.values(names)[0] || fallback || "";
  }
  function view() {
    // The box the map shows, clipped to what Web Mercator draws (the API refuses longitudes past ±180).
    const b = map.getBounds();
    const clip = (value, low, high) => Math.min(high, Math.max(low, value));
    return [clip(b.getWest(), -180, 180), clip(b.getSouth(), -85, 85), clip(b.getEast(), -180, 180),
            clip(b.getNorth(), -85, 85)].map((n) => n.toFixed(6)).join(",");
  }
  function filterParams() {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
    return params;
  }
  function nextLink(header) {
    if (!header) return null;
    const match = header.split(",").map((part) => part.match(/<([^>]+)>\s*;\s*rel="?next"?/)).find(Boolean);
    return match ? match[1] : null;
  }

  function popupContent(place) {
    const box = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = place.name || place.id;
    box.appendChild(title);
    const theme = document.createElement("div");
    theme.textContent = themeLabel(place.theme);
    box.appendChild(theme);
    const link = document.createElement("a");
    link.href = entityHref(place.id);
    link.className = "entity-link";
    link.textContent = S.details;
    box.appendChild(link);
    return box;
  }

  function pin(place) {
    const name = place.name || place.id;
    const icon = L.divIcon({ className: "map-pin " + themeClass(place.theme), iconSize: [18, 18], html: "" });
    const marker = L.marker([place.lat, place.lon], { icon: icon, title: name, keyboard: true });
    marker.bindPopup(() => popupContent(place));
    named(marker, name + " — " + themeLabel(place.theme));
    return marker;
  }

  // What a screen reader says of a marker (Leaflet gives a keyboard marker the role of a button).
  function named(marker, label) {
    marker.on("add", () => {
      const element = marker.getElement();
      if (element) element.setAttribute("aria-label", label);
    });
  }

  function clusterMarker(found) {
    const size = Math.round(30 + 8 * Math.log10(found.count));
    // The ring takes the colour of the theme most of its places share.
    let main = null;
    let most = 0;
    for (const [theme, count] of Object.entries(found.themes || {})) if (count > most) { main = theme; most = count; }
    const label = S.cluster_places.replace("{n}", number.format(found.count));
    const icon = L.divIcon({ className: "map-cluster marker-cluster " + themeClass(main), iconSize: [size, size],
                             html: '<span class="count" data-count="' + found.count + '">' + number.format(found.count)
                               + "</span>" });
    const marker = L.marker([found.lat, found.lon], { icon: icon, title: label, keyboard: true });
    named(marker, label);
    marker.on("click", () => {
      const [west, south, east, north] = found.bbox;
      const target = map.getBoundsZoom([[south, west], [north, east]]);
      // Places at one spot stay one cluster at any zoom: zoom in as far as the map goes.
      if (target <= map.getZoom()) map.setView([found.lat, found.lon], Math.min(map.getMaxZoom(), map.getZoom() + 2));
      else map.fitBounds([[south, west], [north, east]], { padding: [20, 20] });
    });
    return marker;
  }

  function drawMap(answer) {
    for (const marker of clusterMarkers) layer.removeLayer(marker);
    clusterMarkers = [];
    const places = answer.mode === "points" ? answer.points : answer.clusters.filter((c) => c.count === 1);
    const wanted = new Set(places.map((p) => p.id));
    for (const [id, marker] of pins) {
      if (!wanted.has(id)) { layer.removeLayer(marker); pins.delete(id); }
    }
    for (const place of places) {
      if (pins.has(place.id)) continue;
      const marker = pin(place);
      pins.set(place.id, marker);
      layer.addLayer(marker);
    }
    if (answer.mode === "clusters") {
      for (const found of answer.clusters) {
        if (found.count === 1) continue;
        const marker = clusterMarker(found);
        clusterMarkers.push(marker);
        layer.addLayer(marker);
      }
    }
    drawLegend(answer);
    if (pendingPopup && pins.has(pendingPopup)) {
      pins.get(pendingPopup).openPopup();
      pendingPopup = null;
    }
  }

  function drawLegend(answer) {
    if (!legendBox) return;
    const rows = document.createDocumentFragment();
    const counted = Object.values(answer.themes || {}).reduce((a, b) => a + b, 0);
    const entries = legend.map((entry) => [entry.theme, entry.label, answer.themes[entry.theme] || 0]);
    entries.push([null, S.no_theme, answer.total - counted]);
    for (const [theme, label, count] of entries) {
      const row = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch " + themeClass(theme);
      swatch.setAttribute("aria-hidden", "true");
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(label + " (" + number.format(count) + ")"));
      rows.appendChild(row);
    }
    legendBox.replaceChildren(rows);
  }

  // The list: the places in view, a page at a time from the collection itself, sorted by name.
  async function loadPage(url, mine) {
    listLoading = true;
    try {
      const answer = await fetch(url, { headers: { Accept: "application/geo+json" } });
      if (!answer.ok) throw new Error(String(answer.status));
      const body = await answer.json();
      if (mine !== generation) return;
      nextPage = nextLink(answer.headers.get("Link"));
      appendToList(body.features || []);
    } finally {
      listLoading = false;
    }
  }

  function appendToList(features) {
    const fragment = document.createDocumentFragment();
    for (const feature of features) {
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
      const point = pointOf(feature);
      if (point) {
        const show = document.createElement("button");
        show.type = "button";
        show.className = "show";
        show.textContent = S.show;
        show.setAttribute("aria-label", S.show + " " + pick(p.names, p.name) + " — " + S.show_on_map);
        show.addEventListener("click", () => {
          const [lon, lat] = point;
          if (pins.has(p["@id"]) && map.getZoom() >= 17) { pins.get(p["@id"]).openPopup(); return; }
          pendingPopup = p["@id"];
          map.setView([lat, lon], 18);
        });
        item.appendChild(show);
      }
      fragment.appendChild(item);
    }
    list.appendChild(fragment);
    if (more) {
      more.hidden = !nextPage;
      more.textContent = S.more_places.replace("{shown}", number.format(list.children.length))
        .replace("{n}", document.body.dataset.markers ? number.format(Number(document.body.dataset.markers)) : "");
    }
  }

  async function load() {
    const mine = ++generation;
    status.textContent = S.loading;
    const box = view();
    document.body.dataset.view = box;
    const params = filterParams();
    params.set("bbox", box);
    params.set("zoom", String(Math.round(map.getZoom())));
    params.set("lang", config.lang);
    let answer;
    try {
      const response = await fetch("/api/map/clusters?" + params.toString(), { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      answer = await response.json();
    } catch (error) {
      if (mine === generation) status.textContent = S.load_failed + " (" + error.message + ")";
      return;
    }
    if (mine !== generation) return;  // a newer view's answer wins
    document.body.dataset.markers = String(answer.total);
    document.body.dataset.mode = answer.mode;
    drawMap(answer);
    status.textContent = counted("places_in_view", answer.total, number.format(answer.total));
    if (list) {
      list.replaceChildren();
      nextPage = null;
      if (more) more.hidden = true;
      if (answer.total > 0) {
        const listed = filterParams();
        listed.set("bbox", box);
        listed.set("format", "geojson");
        listed.set("sort", "name");
        listed.set("limit", String(PAGE));
        listed.set("lang", config.lang);
        try {
          await loadPage("/api/organizations?" + listed.toString(), mine);
        } catch (error) {
          if (mine === generation) status.textContent = S.load_failed + " (" + error.message + ")";
          return;
        }
      }
    }
    if (mine !== generation) return;
    // When the view's places are on the map and the list is usable: what `make bench` times.
    if (!document.body.dataset.ready) document.body.dataset.readyAt = String(Math.round(performance.now()));
    document.body.dataset.ready = "1";
  }

  async function loadMore() {
    if (!nextPage || listLoading) return;
    try {
      await loadPage(nextPage, generation);
    } catch (error) {
      status.textContent = S.load_failed + " (" + error.message + ")";
    }
  }
  if (more) {
    more.addEventListener("click", loadMore);
    // Scrolling the list to its end asks for the next page too.
    if ("IntersectionObserver" in window) {
      new IntersectionObserver((entries) => {
        if (entries.some((entry) => entry.isIntersecting)) loadMore();
      }, { root: list.closest(".places-scroll") }).observe(more);
    }
  }

  // The map opens on its area (`bbox=`), else on every place the filters select (the API's extent of them).
  async function start() {
    let area = config.area;
    if (!area) {
      const params = filterParams();
      params.set("bbox", "-180,-85,180,85");
      params.set("zoom", "0");
      try {
        const response = await fetch("/api/map/clusters?" + params.toString(), { headers: { Accept: "application/json" } });
        if (response.ok) area = (await response.json()).extent;
      } catch (error) {
        area = null;  // the first load says what went wrong
      }
    }
    if (area && (area[0] !== area[2] || area[1] !== area[3])) {
      map.fitBounds([[area[1], area[0]], [area[3], area[2]]], { padding: [12, 12], animate: false });
    } else if (area) {
      map.setView([area[1], area[0]], 16, { animate: false });
    } else {
      map.setView([50.846, 4.352], 12, { animate: false });
    }
    let timer = null;
    map.on("moveend", () => {
      clearTimeout(timer);
      timer = setTimeout(load, 200);
    });
    load();
  }

  // Phones see the map first; wide screens keep the filters open beside it.
  const filtersBox = document.getElementById("filters-box");
  if (filtersBox && window.matchMedia("(min-width: 800px)").matches) filtersBox.open = true;
  if (form) {
    const readForm = () => {
      const data = new FormData(form);
      filters = { q: data.get("q") || "", theme: data.get("theme") || "", type: data.get("type") || "",
                  source: data.get("source") || "", verified: data.get("verified") ? "true" : "" };
      const query = filterParams();
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
  start();
})();
