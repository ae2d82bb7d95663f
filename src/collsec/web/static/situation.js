/* collsec: the situation picture. Draws the incidents the visitor may read on an offline
 * map and in the list beside it, and keeps both current from the live stream.
 *
 * - Base layer: Natural Earth's country boundaries (world-atlas TopoJSON, served from
 *   /static/vendor/, turned into GeoJSON here with topojson-client); no tile server.
 *   The organization's member states (ISO numeric ids from the page) are highlighted.
 * - The map: GET /api/v1/incidents/map for the view (its box and zoom) and the filters,
 *   redrawn when the map moves. The server clusters on its grid: a cluster is a disc
 *   with its count (a click zooms to its cell); the incidents of sparse cells come in
 *   full and get a marker at their representative point, coloured by severity, and
 *   their shape when they are areas or lines.
 * - The list: GET /api/v1/incidents, newest first, a page at a time ("Older incidents"
 *   follows `next`). The same predicate as the server's filters decides whether a live
 *   event belongs on the page.
 * - Live: EventSource on GET /api/v1/incidents/stream (`event: incident`, data
 *   {kind, incident}); the indicator says whether the stream is open, and "delayed" when
 *   the server says its events come late (`event: delayed` / `live` / `dropped`). Everything the
 *   stream delivers is noted in window.collsecSituation.received (tests read it).
 * - The report form posts to /situation/incidents asking for JSON; a click on the map
 *   sets its longitude and latitude.
 * Text from the server is set with textContent only.
 */
(function () {
  "use strict";

  var configNode = document.getElementById("situation-config");
  var mapNode = document.getElementById("situation-map");
  if (!configNode || !mapNode) { return; }
  var config = JSON.parse(configNode.textContent);
  var labels = config.labels;
  var listNode = document.getElementById("incident-list");
  var emptyNode = document.getElementById("incident-empty");
  var countNode = document.getElementById("incident-count");
  var filtersForm = document.getElementById("situation-filters");
  var indicator = document.getElementById("live-indicator");
  var reportForm = document.getElementById("report-form");

  var api = window.collsecSituation = {
    received: [],        // every incident event the stream delivered: {id, kind}
    boundaries: 0,       // countries drawn
    loads: 0,            // loads of list and map together (the filters) completed
    views: 0,            // views of the map drawn
    pages: 0,            // further pages of the list shown
    clusters: [],        // the counts of the clusters drawn
    total: 0,            // incidents in the view drawn
    live: "connecting",
    shown: function () { return Object.keys(shown).map(Number); },
    onMap: function () { return Object.keys(markers).map(Number); }
  };

  if (!window.L || !window.topojson || !window.fetch) {
    mapNode.textContent = mapNode.getAttribute("data-missing") || "";
    return;
  }

  // -- the map and its base layer --------------------------------------------------------

  var map = L.map(mapNode, { minZoom: 2, maxZoom: 13, zoomSnap: 0.5, worldCopyJump: true,
                             preferCanvas: false });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Natural Earth");
  map.fitBounds([[30, 25], [62, 100]]);  // the members' region, Caucasus to the Altai
  map.createPane("incidentShapes").style.zIndex = 450;

  var members = {};
  (config.members || []).forEach(function (id) { members[id] = true; });

  fetch(config.boundaries, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (topo) {
      var countries = topojson.feature(topo, topo.objects.countries);
      var layer = L.geoJSON(countries, {
        interactive: false, renderer: L.svg({ padding: 0.5 }),
        style: function (f) {
          var member = members[f.id] === true;
          return { weight: member ? 1.2 : 0.6, color: member ? "#1f4a85" : "#8a97a8",
                   fillColor: member ? "#d8e5f7" : "#f3f1ea", fillOpacity: 1 };
        },
        onEachFeature: function (f, l) {
          // className is read when the path is created, so it is set before the layer is drawn.
          l.options.className = "country" + (members[f.id] ? " member" : "") +
            (f.id ? " country-" + f.id : "");
        }
      });
      layer.addTo(map);
      layer.bringToBack();
      api.boundaries = countries.features.length;
      mapNode.setAttribute("data-boundaries", String(api.boundaries));
    })
    .catch(function () { mapNode.setAttribute("data-boundaries", "failed"); });

  // -- incidents: filtering, markers, clusters, shapes, the list ------------------------

  var shown = {};       // id -> incident in the list
  var markers = {};     // id -> marker of an incident drawn on its own
  var shapes = {};      // id -> shape layer of a non-point geometry drawn on its own
  var drawn = {};       // id -> the incident of that marker (its popup, focus)
  var clusterLayer = L.layerGroup();
  var markerLayer = L.layerGroup();
  var shapeLayer = L.layerGroup();
  var cell = null;      // the side of the server's grid cells in the view drawn, degrees
  var listNext = null;  // the API's link to the list's next page
  clusterLayer.addTo(map);
  markerLayer.addTo(map);
  shapeLayer.addTo(map);

  function filters() {
    var data = new FormData(filtersForm);
    return { type: data.get("type") || "", minSeverity: Number(data.get("min_severity") || 0),
             since: data.get("since") || "", until: data.get("until") || "",
             owner: data.get("owner") || "", status: data.get("status") || "" };
  }

  // The same predicate as the server's filters: whether a live event belongs on the page.
  function matches(inc, f) {
    var day = inc.occurred_at.slice(0, 10);  // UTC, as the API writes it
    return (!f.type || inc.type === f.type) && inc.severity >= f.minSeverity &&
      (!f.owner || inc.owner === f.owner) && (!f.status || inc.status === f.status) &&
      (!f.since || day >= f.since) && (!f.until || day <= f.until);
  }

  function principalName(key) {
    return (config.principals && config.principals[key]) || key;
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function when(inc) { return inc.occurred_at.slice(0, 16).replace("T", " ") + " UTC"; }

  function describe(inc) {
    return (labels.types[inc.type] || inc.type) + " · " +
      (labels.severities[String(inc.severity)] || inc.severity) + " · " +
      (labels.statuses[inc.status] || inc.status);
  }

  function popup(inc) {
    var box = el("div", "incident-popup");
    box.setAttribute("data-incident", String(inc.id));
    box.appendChild(el("strong", "", inc.title));
    box.appendChild(el("div", "incident-meta", describe(inc)));
    box.appendChild(el("div", "incident-meta", when(inc) + " · " + principalName(inc.owner)));
    if (inc.description) { box.appendChild(el("p", "", inc.description)); }
    return box;
  }

  function latLng(point) { return [point[1], point[0]]; }

  function inView(inc) { return map.getBounds().contains(latLng(inc.point)); }

  // An incident drawn on its own: a marker at its representative point, and its shape
  // when it is an area or a line.
  function place(inc) {
    unplace(inc.id);
    var icon = L.divIcon({ className: "incident-marker sev-" + inc.severity, iconSize: [16, 16],
                           html: '<span data-incident="' + Number(inc.id) + '"></span>' });
    var marker = L.marker(latLng(inc.point), { icon: icon, title: inc.title, keyboard: true });
    marker.bindPopup(function () { return popup(inc); });
    markers[inc.id] = marker;
    drawn[inc.id] = inc;
    markerLayer.addLayer(marker);
    if (inc.geometry && inc.geometry.type !== "Point") {
      var shape = L.geoJSON(inc.geometry, {
        pane: "incidentShapes",
        style: { className: "incident-shape sev-" + inc.severity, weight: 2 },
        pointToLayer: function (_f, ll) { return L.circleMarker(ll, { radius: 3 }); }
      });
      shape.bindPopup(function () { return popup(inc); });
      shapes[inc.id] = shape;
      shapeLayer.addLayer(shape);
    }
  }

  function unplace(id) {
    if (markers[id]) { markerLayer.removeLayer(markers[id]); delete markers[id]; }
    if (shapes[id]) { shapeLayer.removeLayer(shapes[id]); delete shapes[id]; }
    delete drawn[id];
  }

  // The grid cell (server's) holding a point, as map bounds: a click on a cluster zooms
  // to it, which splits it.
  function cellBounds(point) {
    var x = Math.floor((point[0] + 180) / cell), y = Math.floor((point[1] + 90) / cell);
    return L.latLngBounds([y * cell - 90, x * cell - 180], [(y + 1) * cell - 90, (x + 1) * cell - 180]);
  }

  function clusterMarker(k) {
    var size = k.count < 100 ? 34 : k.count < 10000 ? 42 : 52;
    var title = (config.cluster || "{count}").replace("{count}", String(k.count));
    var icon = L.divIcon({ className: "marker-cluster sev-" + k.severity, iconSize: [size, size],
                           html: "<span>" + Number(k.count) + "</span>" });
    var marker = L.marker(latLng(k.point), { icon: icon, title: title, keyboard: true });
    marker.on("click", function () {
      var bounds = cellBounds(k.point);
      if (map.getZoom() >= map.getMaxZoom()) {  // the same spot: list them
        showCell(bounds, marker);
      } else {
        map.fitBounds(bounds, { maxZoom: Math.min(map.getZoom() + 3, map.getMaxZoom()) });
      }
    });
    return marker;
  }

  // At the deepest zoom a cluster is incidents at one spot: its popup lists them.
  function showCell(bounds, marker) {
    var q = query(filters());
    var box = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map(function (v) { return v.toFixed(6); }).join(",");
    getJSON(config.api + "?" + (q ? q + "&" : "") + "bbox=" + box + "&limit=20")
      .then(function (data) {
        var list = el("ul", "plain incident-popup-list");
        data.incidents.forEach(function (inc) {
          var item = el("li");
          var link = el("a", "", inc.title);
          link.href = "/incidents/" + Number(inc.id);
          item.appendChild(link);
          item.appendChild(el("div", "incident-meta", describe(inc)));
          list.appendChild(item);
        });
        marker.bindPopup(list).openPopup();
      });
  }

  // The view as the server draws it: clusters, and the incidents of the sparse cells.
  function drawView(view) {
    cell = view.cell;
    clusterLayer.clearLayers();
    view.clusters.forEach(function (k) { clusterLayer.addLayer(clusterMarker(k)); });
    var keep = {};
    view.incidents.forEach(function (inc) { keep[inc.id] = true; place(inc); });
    Object.keys(markers).forEach(function (id) { if (!keep[id]) { unplace(Number(id)); } });
    api.clusters = view.clusters.map(function (k) { return k.count; });
    api.total = view.total;
  }

  function focus(id) {
    var inc = shown[id];
    if (!inc) { return; }
    var open = function () { if (markers[id]) { markers[id].openPopup(); } };
    if (shapes[id]) {
      map.fitBounds(shapes[id].getBounds(), { maxZoom: 9 });
    } else if (!markers[id]) {  // in a cluster, or out of view: go there
      map.setView(latLng(inc.point), Math.max(map.getZoom(), 9));
    }
    if (markers[id]) { open(); } else { pendingFocus = id; }
    listNode.querySelectorAll(".incident-row.selected").forEach(function (row) {
      row.classList.remove("selected");
    });
    var row = listNode.querySelector('[data-incident="' + Number(id) + '"]');
    if (row) { row.classList.add("selected"); }
  }
  var pendingFocus = null;  // an incident to open once the map has drawn it

  function row(inc) {
    var li = el("li", "incident-row sev-" + inc.severity);
    li.setAttribute("data-incident", String(inc.id));
    var button = el("button", "incident-focus");
    button.type = "button";
    button.appendChild(el("span", "incident-title", inc.title));
    button.appendChild(el("span", "incident-meta", describe(inc)));
    var meta = el("span", "incident-meta", when(inc) + " · " + principalName(inc.owner));
    if (inc.visibility === "restricted") {
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(el("span", "restricted", config.restricted));
    }
    button.appendChild(meta);
    li.appendChild(button);
    var open = el("a", "incident-open small", config.details);
    open.href = "/incidents/" + Number(inc.id);
    li.appendChild(open);
    return li;
  }

  function newestFirst(a, b) {
    if (a.occurred_at !== b.occurred_at) {
      return Date.parse(b.occurred_at) - Date.parse(a.occurred_at);
    }
    return a.id - b.id;
  }

  function renderList() {
    var items = Object.keys(shown).map(function (id) { return shown[id]; }).sort(newestFirst);
    var fragment = document.createDocumentFragment();
    items.forEach(function (inc) { fragment.appendChild(row(inc)); });
    listNode.replaceChildren(fragment);
    emptyNode.hidden = items.length > 0;
    countNode.textContent = String(items.length) + (listNext ? "+" : "");
    if (moreLink) { moreLink.hidden = !listNext; }
  }

  listNode.addEventListener("click", function (event) {
    var target = event.target.closest("[data-incident]");
    if (target) { focus(Number(target.getAttribute("data-incident"))); }
  });

  // One incident arrives (a live event, or our own report): listed if the filters keep
  // it; on the map at once if it is in view, and the view redrawn soon after, which puts
  // it in its cluster if its cell is full.
  function upsert(inc) {
    if (matches(inc, filters())) {
      shown[inc.id] = inc;
      if (inView(inc)) { place(inc); }
      redrawSoon();
    } else if (shown[inc.id] || markers[inc.id]) {
      delete shown[inc.id];
      unplace(inc.id);
      redrawSoon();
    }
    renderList();
  }

  // -- loading: the list a page at a time, the map a view at a time --------------------

  var loading = null;    // events that arrive while a load is in flight, applied after it
  var generation = 0;    // of the list and map together (the filters)
  var viewGeneration = 0;
  var moreLink = document.getElementById("incident-more");
  var firstLink = document.getElementById("incident-first");
  if (firstLink) { firstLink.hidden = true; }  // the script always starts at the newest

  function query(f) {
    var params = new URLSearchParams();
    if (f.type) { params.append("type", f.type); }
    if (f.since) { params.append("since", f.since); }
    if (f.until) { params.append("until", f.until); }
    if (f.status) { params.append("status", f.status); }
    if (f.minSeverity) { params.append("severity_min", String(f.minSeverity)); }
    if (f.owner) { params.append("owner", f.owner); }
    return params.toString();
  }

  function getJSON(url) {
    return fetch(url, { headers: { "Accept": "application/json" },
                        credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  // The view's box as the API takes it: the world's longitudes and latitudes at most
  // (a view across the antimeridian shows its western side).
  function viewURL(f) {
    var b = map.getBounds();
    var west = Math.max(b.getWest(), -180), east = Math.min(b.getEast(), 180);
    if (b.getEast() - b.getWest() >= 360 || west >= east) { west = -180; east = 180; }
    var south = Math.max(b.getSouth(), -90), north = Math.min(b.getNorth(), 90);
    var box = [west, south, east, north].map(function (v) { return v.toFixed(6); }).join(",");
    var q = query(f);
    return config.map + "?" + (q ? q + "&" : "") + "zoom=" + Math.round(map.getZoom()) +
      "&bbox=" + box;
  }

  function listURL(f) {
    var q = query(f);
    return config.api + "?" + (q ? q + "&" : "") + "limit=" + config.page;
  }

  function mapped() {
    api.views += 1;
    mapNode.setAttribute("data-mapped", String(api.views));
    if (pendingFocus !== null && markers[pendingFocus]) {
      markers[pendingFocus].openPopup();
      pendingFocus = null;
    }
  }

  // The list's first page and the map's view, drawn together once both have come.
  function load() {
    var f = filters();
    var mine = ++generation;
    var view = ++viewGeneration;
    loading = [];
    return Promise.all([getJSON(listURL(f)), getJSON(viewURL(f))])
      .then(function (answers) {
        if (mine !== generation) { return; }  // a newer load has started
        var late = loading || [];
        loading = null;
        shown = {};
        answers[0].incidents.forEach(function (inc) { shown[inc.id] = inc; });
        listNext = answers[0].next;
        if (view === viewGeneration) { drawView(answers[1]); }
        late.forEach(upsert);
        renderList();
        api.loads += 1;
        listNode.setAttribute("data-loaded", String(api.loads));
        mapped();
      })
      .catch(function () { if (mine === generation) { loading = null; } });
  }

  function redraw() {
    var view = ++viewGeneration;
    return getJSON(viewURL(filters())).then(function (answer) {
      if (view !== viewGeneration) { return; }
      drawView(answer);
      mapped();
    }).catch(function () { return null; });
  }

  var redrawTimer = null;
  function redrawSoon() {
    window.clearTimeout(redrawTimer);
    redrawTimer = window.setTimeout(redraw, 300);
  }

  map.on("moveend", function () { if (api.loads > 0) { redrawSoon(); } });

  function more(event) {
    if (event) { event.preventDefault(); }
    if (!listNext || !moreLink) { return; }
    var mine = generation;
    moreLink.textContent = moreLink.getAttribute("data-label-loading") || moreLink.textContent;
    var label = moreLink.getAttribute("data-label") || "";
    getJSON(listNext).then(function (data) {
      if (mine !== generation) { return; }
      data.incidents.forEach(function (inc) { shown[inc.id] = inc; });
      listNext = data.next;
      renderList();
      api.pages += 1;
      listNode.setAttribute("data-pages", String(api.pages));
    }).catch(function () { return null; }).then(function () { moreLink.textContent = label; });
  }

  if (moreLink) {
    moreLink.setAttribute("data-label", moreLink.textContent);
    moreLink.addEventListener("click", more);
  }

  function onFilters() {
    var params = new URLSearchParams(new FormData(filtersForm));
    Array.from(params.keys()).forEach(function (k) {
      if (!params.get(k)) { params.delete(k); }
    });
    var q = params.toString();
    window.history.replaceState(null, "", "/situation" + (q ? "?" + q : ""));
    load();
  }

  filtersForm.addEventListener("change", onFilters);
  filtersForm.addEventListener("submit", function (event) { event.preventDefault(); onFilters(); });

  // -- the live stream ------------------------------------------------------------------

  function setLive(state) {
    api.live = state;
    indicator.setAttribute("data-state", state);
    indicator.textContent = indicator.getAttribute("data-label-" + state) || state;
  }

  var source = null;
  var retry = 1000;
  var wasOffline = false;

  function onIncident(event) {
    var payload;
    try { payload = JSON.parse(event.data); } catch (e) { return; }
    var inc = payload && payload.incident;
    if (!inc || typeof inc.id !== "number") { return; }
    api.received.push({ id: inc.id, kind: payload.kind, at: Date.now() });
    if (loading) { loading.push(inc); } else { upsert(inc); }
  }

  // The stream speaks of itself: `delayed` when its events come late (data {lag_ms}),
  // `live` when they are on time again, `dropped` before the server ends a stream whose
  // reader fell behind (the browser reconnects with Last-Event-ID, and we reload the list).
  function onTimeliness(event) {
    var lag = null;
    try { lag = JSON.parse(event.data).lag_ms; } catch (e) { lag = null; }
    setLive(event.type === "live" ? "live" : "delayed");
    api.lagMs = typeof lag === "number" ? lag : null;
  }

  function connect() {
    if (!window.EventSource) { setLive("offline"); return; }
    setLive("connecting");
    source = new EventSource(config.stream, { withCredentials: true });
    source.addEventListener("incident", onIncident);
    source.addEventListener("delayed", onTimeliness);
    source.addEventListener("live", onTimeliness);
    source.addEventListener("dropped", onTimeliness);
    source.onopen = function () {
      setLive("live");
      retry = 1000;
      if (wasOffline) { wasOffline = false; load(); }  // catch up on what was missed
    };
    source.onerror = function () {
      setLive("offline");
      wasOffline = true;
      if (source.readyState === EventSource.CLOSED) {  // refused: the browser gives up, we don't
        source.close();
        window.setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      }
    };
  }

  connect();
  load();

  // -- the report form ------------------------------------------------------------------

  if (reportForm) {
    var status = document.getElementById("report-status");
    var pick = null;
    var lon = reportForm.elements.lon;
    var lat = reportForm.elements.lat;

    var showPick = function () {
      var x = parseFloat(lon.value), y = parseFloat(lat.value);
      if (isNaN(x) || isNaN(y)) { return; }
      if (!pick) {
        pick = L.circleMarker([y, x], { radius: 7, className: "report-pick", interactive: false });
        pick.addTo(map);
      } else {
        pick.setLatLng([y, x]);
      }
    };

    map.on("click", function (event) {
      var ll = event.latlng.wrap();
      lon.value = ll.lng.toFixed(4);
      lat.value = ll.lat.toFixed(4);
      showPick();
    });
    lon.addEventListener("change", showPick);
    lat.addEventListener("change", showPick);

    reportForm.addEventListener("submit", function (event) {
      event.preventDefault();
      status.textContent = "";
      status.className = "report-status";
      var button = reportForm.querySelector("button[type=submit]");
      button.disabled = true;
      fetch(reportForm.action, { method: "POST", body: new FormData(reportForm),
                                 headers: { "Accept": "application/json" },
                                 credentials: "same-origin" })
        .then(function (r) {
          return r.json().then(function (body) { return { ok: r.ok, body: body }; });
        })
        .then(function (answer) {
          if (!answer.ok) {
            status.classList.add("error");
            status.textContent = answer.body.detail || answer.body.title || "error";
            return;
          }
          var done = status.getAttribute("data-label-done") || "{id}";
          status.textContent = done.replace("{id}", String(answer.body.id));
          status.setAttribute("data-reported", String(answer.body.id));
          reportForm.elements.title.value = "";
          reportForm.elements.description.value = "";
          upsert(answer.body);
        })
        .catch(function () { status.classList.add("error"); status.textContent = "—"; })
        .then(function () { button.disabled = false; });
    });
  }
})();
