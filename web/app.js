// The sightmap web map. Everything it draws comes from this server's own API: its basemap is
// the region's layers, its reports the index's points. Report text is untrusted: it only ever
// reaches the page through textContent, never as HTML.

import * as maplibregl from '/web/vendor/maplibre-gl/maplibre-gl.mjs';

const KINDS = ['drone', 'aircraft', 'missile', 'strike', 'explosion', 'sound', 'light', 'other'];
const KIND_MARKS = { drone: 'D', aircraft: 'A', missile: 'M', strike: 'S', explosion: 'X', sound: '♪', light: 'L', other: '?' };
const STATUSES = ['unverified', 'corroborated', 'confirmed', 'disputed', 'retracted'];
const STATUS_COLOURS = { unverified: '#5f6b7a', corroborated: '#c77700', confirmed: '#b3261e', disputed: '#7b3fa0', retracted: '#9aa0a6' };
const SOURCE_TYPES = ['civilian', 'media', 'official', 'social', 'other'];
const FILTER_KEYS = ['since', 'until', 'kind', 'status', 'source_type'];

const $ = (id) => document.getElementById(id);

/** Creates an element with text (never HTML) and optional class. */
function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

// ---- State: the URL holds the view, the filters and the layer toggles. ----

const url = new URL(window.location.href);
const state = {
  filters: {},
  layers: { border_buffer: '', coast_buffer: '', links: false, choropleth: false },
};
for (const key of FILTER_KEYS) {
  const v = url.searchParams.get(key);
  if (v) state.filters[key] = v;
}
for (const key of ['border_buffer', 'coast_buffer']) state.layers[key] = url.searchParams.get(key) || '';
for (const key of ['links', 'choropleth']) state.layers[key] = url.searchParams.get(key) === '1';

/** The report filters as URL parameters. */
function filterParams() {
  const p = new URLSearchParams();
  for (const key of FILTER_KEYS) if (state.filters[key]) p.set(key, state.filters[key]);
  return p;
}

function writeUrl() {
  const c = map.getCenter();
  const p = filterParams();
  p.set('lat', c.lat.toFixed(5));
  p.set('lon', c.lng.toFixed(5));
  p.set('z', map.getZoom().toFixed(2));
  for (const key of ['border_buffer', 'coast_buffer']) if (state.layers[key]) p.set(key, state.layers[key]);
  for (const key of ['links', 'choropleth']) if (state.layers[key]) p.set(key, '1');
  history.replaceState(null, '', `${window.location.pathname}?${p}`);
}

// ---- Filter and layer forms. ----

function checkboxes(fieldsetId, values) {
  const fieldset = $(fieldsetId);
  const chosen = (state.filters[fieldsetId] || '').split(',').filter(Boolean);
  for (const v of values) {
    const label = el('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = fieldsetId;
    box.value = v;
    box.checked = chosen.includes(v);
    label.append(box, ` ${v}`);
    fieldset.append(label);
  }
}
checkboxes('kind', KINDS);
checkboxes('status', STATUSES);
checkboxes('source_type', SOURCE_TYPES);
const filterForm = $('filters');
filterForm.since.value = state.filters.since || '';
filterForm.until.value = state.filters.until || '';

function readFilters() {
  const f = {};
  if (filterForm.since.value) f.since = filterForm.since.value;
  if (filterForm.until.value) f.until = filterForm.until.value;
  for (const key of ['kind', 'status', 'source_type']) {
    const picked = [...filterForm.querySelectorAll(`input[name=${key}]:checked`)].map((b) => b.value);
    if (picked.length) f[key] = picked.join(',');
  }
  state.filters = f;
}

const layerForm = $('layers');
for (const key of ['border_buffer', 'coast_buffer']) {
  for (const r of layerForm.querySelectorAll(`input[name=${key}]`)) r.checked = r.value === state.layers[key];
}
layerForm.links.checked = state.layers.links;
layerForm.choropleth.checked = state.layers.choropleth;

// ---- The map. ----

const start = {
  lat: parseFloat(url.searchParams.get('lat')) || 37.8,
  lon: parseFloat(url.searchParams.get('lon')) || 49.0,
  z: parseFloat(url.searchParams.get('z')) || 6,
};

const statusColour = ['match', ['get', 'status'], ...STATUSES.flatMap((s) => [s, STATUS_COLOURS[s]]), '#5f6b7a'];
// Points whose precision is a province or a country are hollow rings, larger: they must not
// look as exact as a GPS fix. Places and "near" are solid, regions half-filled.
const vague = ['in', ['get', 'precision'], ['literal', ['province', 'country']]];

function layerUrl(id, params) {
  return `/api/layers/${id}?${params || ''}`;
}

const style = {
  version: 8,
  sources: {
    sea: { type: 'geojson', data: layerUrl('sea', 'simplify_m=200') },
    countries: { type: 'geojson', data: layerUrl('countries', 'simplify_m=300') },
    provinces: { type: 'geojson', data: layerUrl('provinces', `simplify_m=500&${filterParams()}`) },
    border: { type: 'geojson', data: layerUrl('border') },
    coast: { type: 'geojson', data: layerUrl('coast') },
    places: { type: 'geojson', data: layerUrl('places') },
    border_buffer: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    coast_buffer: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    links: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    uncertainty: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    radius: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    reports: {
      type: 'geojson',
      data: layerUrl('points', filterParams()),
      cluster: true,
      clusterRadius: 42,
      clusterMaxZoom: 9,
    },
  },
  layers: [
    { id: 'land', type: 'background', paint: { 'background-color': '#eef0e8' } },
    { id: 'countries-fill', type: 'fill', source: 'countries', paint: { 'fill-color': ['match', ['get', 'id'], 'IR', '#f7f5ee', '#e6e8df'] } },
    { id: 'provinces-choropleth', type: 'fill', source: 'provinces', layout: { visibility: 'none' },
      paint: { 'fill-color': ['interpolate', ['linear'], ['get', 'reports'], 0, 'rgba(255,255,255,0)', 1, '#fde0c5', 5, '#f59e5b', 20, '#c2410c'], 'fill-opacity': 0.75 } },
    { id: 'provinces-line', type: 'line', source: 'provinces', paint: { 'line-color': '#b9b9a8', 'line-width': 0.6 } },
    { id: 'sea-fill', type: 'fill', source: 'sea', paint: { 'fill-color': '#b9d7ea' } },
    { id: 'coast-line', type: 'line', source: 'coast', paint: { 'line-color': '#5b8db0', 'line-width': 1 } },
    { id: 'border-buffer-fill', type: 'fill', source: 'border_buffer', paint: { 'fill-color': '#d9480f', 'fill-opacity': 0.15 } },
    { id: 'coast-buffer-fill', type: 'fill', source: 'coast_buffer', paint: { 'fill-color': '#1971c2', 'fill-opacity': 0.15 } },
    { id: 'countries-line', type: 'line', source: 'countries', paint: { 'line-color': '#8a8a7a', 'line-width': 0.8 } },
    { id: 'border-line', type: 'line', source: 'border', paint: { 'line-color': '#6b4f2a', 'line-width': 2.2 } },
    { id: 'places-major', type: 'symbol', source: 'places', minzoom: 5, filter: ['>=', ['get', 'population'], 150000],
      layout: { 'text-field': ['get', 'name'], 'text-size': 12 }, paint: { 'text-color': '#333', 'text-halo-color': '#fff', 'text-halo-width': 1.2 } },
    { id: 'places-mid', type: 'symbol', source: 'places', minzoom: 7.5, filter: ['all', ['<', ['get', 'population'], 150000], ['>=', ['get', 'population'], 20000]],
      layout: { 'text-field': ['get', 'name'], 'text-size': 11 }, paint: { 'text-color': '#444', 'text-halo-color': '#fff', 'text-halo-width': 1 } },
    { id: 'places-minor', type: 'symbol', source: 'places', minzoom: 9.5, filter: ['<', ['get', 'population'], 20000],
      layout: { 'text-field': ['get', 'name'], 'text-size': 10 }, paint: { 'text-color': '#555', 'text-halo-color': '#fff', 'text-halo-width': 1 } },
    { id: 'uncertainty-fill', type: 'fill', source: 'uncertainty', minzoom: 8,
      paint: { 'fill-color': statusColour, 'fill-opacity': 0.08, 'fill-outline-color': statusColour } },
    { id: 'links-line', type: 'line', source: 'links', paint: { 'line-color': '#d9480f', 'line-width': 1, 'line-dasharray': [2, 2] } },
    { id: 'links-label', type: 'symbol', source: 'links', minzoom: 7,
      layout: { 'symbol-placement': 'line-center', 'text-field': ['concat', ['to-string', ['get', 'distance_km']], ' km'], 'text-size': 10 },
      paint: { 'text-color': '#a33a0b', 'text-halo-color': '#fff', 'text-halo-width': 1 } },
    { id: 'radius-fill', type: 'fill', source: 'radius', paint: { 'fill-color': '#0b7285', 'fill-opacity': 0.1, 'fill-outline-color': '#0b7285' } },
    { id: 'clusters', type: 'circle', source: 'reports', filter: ['has', 'point_count'],
      paint: { 'circle-color': '#12324a', 'circle-opacity': 0.8, 'circle-radius': ['step', ['get', 'point_count'], 12, 10, 16, 100, 22, 1000, 28] } },
    { id: 'cluster-count', type: 'symbol', source: 'reports', filter: ['has', 'point_count'],
      layout: { 'text-field': ['get', 'point_count_abbreviated'], 'text-size': 11 }, paint: { 'text-color': '#fff' } },
    { id: 'points', type: 'circle', source: 'reports', filter: ['!', ['has', 'point_count']],
      paint: {
        'circle-color': statusColour,
        'circle-radius': ['case', vague, 11, ['==', ['get', 'precision'], 'region'], 9, 7],
        'circle-opacity': ['case', vague, 0, ['==', ['get', 'precision'], 'region'], 0.45, 0.95],
        'circle-stroke-color': statusColour,
        'circle-stroke-width': ['case', vague, 2.5, 1],
      } },
    { id: 'point-kind', type: 'symbol', source: 'reports', filter: ['!', ['has', 'point_count']],
      layout: { 'text-field': ['match', ['get', 'kind'], ...KINDS.flatMap((k) => [k, KIND_MARKS[k]]), '?'], 'text-size': 10, 'text-allow-overlap': true },
      paint: { 'text-color': ['case', vague, statusColour, '#fff'] } },
  ],
};

const map = new maplibregl.Map({
  container: 'map',
  style,
  center: [start.lon, start.lat],
  zoom: start.z,
  attributionControl: { compact: true, customAttribution: 'Data: GeoNames (CC BY), OpenStreetMap contributors (ODbL), Natural Earth, GSHHG' },
});
window.sightmap = { map };
map.addControl(new maplibregl.NavigationControl(), 'top-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');

// ---- Applying filters and layer toggles. ----

function refreshReports() {
  const p = filterParams();
  map.getSource('reports').setData(layerUrl('points', p));
  map.getSource('provinces').setData(layerUrl('provinces', `simplify_m=500&${p}`));
  refreshViewLayers();
  refreshList();
  if (radius.centre) runRadius();
  writeUrl();
}

/** The view as a bbox parameter, clamped to valid degrees. */
function viewBbox() {
  const b = map.getBounds();
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
    .map((v) => v.toFixed(5)).join(',');
}

const EMPTY = { type: 'FeatureCollection', features: [] };
// Per-report geometry (circles, links) is fetched for the view only, and only once zoomed in
// far enough to read it: with 100,000 reports the whole set would be far too heavy.
const UNCERTAINTY_MIN_ZOOM = 8;
const LINKS_MIN_ZOOM = 6;

function refreshViewLayers() {
  const p = filterParams();
  p.set('bbox', viewBbox());
  const zoom = map.getZoom();
  map.getSource('uncertainty').setData(zoom >= UNCERTAINTY_MIN_ZOOM ? layerUrl('uncertainty', p) : EMPTY);
  map.getSource('links').setData(state.layers.links && zoom >= LINKS_MIN_ZOOM ? layerUrl('links', p) : EMPTY);
}

function refreshLinks() {
  refreshViewLayers();
}

function refreshBuffers() {
  const empty = { type: 'FeatureCollection', features: [] };
  for (const [key, layer] of [['border_buffer', 'border-buffer'], ['coast_buffer', 'coast-buffer']]) {
    const km = state.layers[key];
    map.getSource(key).setData(km ? layerUrl(layer, `km=${km}&simplify_m=100`) : empty);
  }
  map.setLayoutProperty('provinces-choropleth', 'visibility', state.layers.choropleth ? 'visible' : 'none');
  refreshLinks();
  writeUrl();
}

filterForm.addEventListener('change', () => { readFilters(); refreshReports(); });
filterForm.addEventListener('reset', () => setTimeout(() => { readFilters(); refreshReports(); }));
layerForm.addEventListener('change', () => {
  state.layers.border_buffer = layerForm.querySelector('input[name=border_buffer]:checked').value;
  state.layers.coast_buffer = layerForm.querySelector('input[name=coast_buffer]:checked').value;
  state.layers.links = layerForm.links.checked;
  state.layers.choropleth = layerForm.choropleth.checked;
  refreshBuffers();
});

// ---- Popups: the whole claim, with every source and its stance. ----

function km(v) {
  return v === null || v === undefined ? 'unknown' : `${Number(v).toFixed(1)} km`;
}

function reportDetails(feature) {
  const p = feature.properties;
  const box = el('div', null, 'popup');
  const title = el('h3');
  title.append(el('span', p.status, `badge status-${p.status}`), `${p.kind}`);
  box.append(title);
  box.append(el('p', p.description));
  const when = p.observed_from === p.observed_to ? p.observed_from : `${p.observed_from} – ${p.observed_to}`;
  box.append(el('p', `Observed ${when}`, 'muted'));
  const where = [p.location_text, p.province, p.country].filter(Boolean).join(', ');
  box.append(el('p', `${where || 'No place name'} · precision ${p.precision}, within ${Math.round(p.uncertainty_m)} m${p.location_ambiguous ? ' · ambiguous place name' : ''}`, 'muted'));
  if (p.location_coarsened) {
    box.append(el('p', `Location shown at ${p.public_precision} level to protect the reporter; the exact point is withheld.`, 'muted'));
  }
  box.append(el('p', `Border (${p.border_country || '–'}): ${km(p.border_distance_km)} · coast: ${km(p.coast_distance_km)}${p.in_sea ? ' · at sea' : ''}`, 'muted'));
  const sources = el('ul');
  for (const s of p.sources || []) {
    const li = el('li');
    li.append(el('strong', s.name), ` (${s.type}) ${s.stance}`);
    if (s.statement) li.append(el('div', `“${s.statement}”`));
    if (s.url) {
      const a = el('a', s.url);
      a.href = s.url;
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      li.append(' ', a);
    }
    sources.append(li);
  }
  box.append(el('p', 'Sources:', 'muted'), sources);
  return box;
}

const popup = new maplibregl.Popup({ maxWidth: '22rem' });

async function openReport(id, lngLat) {
  const reply = await fetch(`/api/reports/${encodeURIComponent(id)}`);
  if (!reply.ok) return;
  const feature = await reply.json();
  const at = lngLat || feature.geometry.coordinates;
  popup.setLngLat(at).setDOMContent(reportDetails(feature)).addTo(map);
}

map.on('click', 'points', (e) => {
  if (radius.picking || add.picking) return;
  const f = e.features[0];
  openReport(f.properties.id, f.geometry.coordinates.slice());
});
map.on('click', 'clusters', async (e) => {
  if (radius.picking || add.picking) return;
  const f = e.features[0];
  const zoom = await map.getSource('reports').getClusterExpansionZoom(f.properties.cluster_id);
  map.easeTo({ center: f.geometry.coordinates, zoom });
});
for (const layer of ['points', 'clusters']) {
  map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
}

// ---- The list of reports in view (or within the radius). ----

let listed = [];

function sortList() {
  const order = $('sort').value;
  const by = {
    newest: (a, b) => b.properties.observed_from.localeCompare(a.properties.observed_from),
    oldest: (a, b) => a.properties.observed_from.localeCompare(b.properties.observed_from),
    status: (a, b) => STATUSES.indexOf(a.properties.status) - STATUSES.indexOf(b.properties.status),
    kind: (a, b) => a.properties.kind.localeCompare(b.properties.kind),
    border: (a, b) => (a.properties.border_distance_km ?? 1e9) - (b.properties.border_distance_km ?? 1e9),
  }[order];
  const list = $('list');
  list.replaceChildren();
  for (const f of [...listed].sort(by)) {
    const p = f.properties;
    const li = el('li');
    li.tabIndex = 0;
    li.dataset.id = f.id;
    li.append(el('span', p.status, `badge status-${p.status}`), el('strong', p.kind), ' ');
    li.append(el('span', p.observed_from.slice(0, 16).replace('T', ' '), 'muted'));
    const place = [p.location_text, p.province].filter(Boolean).join(', ');
    if (place) li.append(el('div', place, 'muted'));
    li.append(el('div', p.description.length > 140 ? `${p.description.slice(0, 140)}…` : p.description));
    const go = () => {
      map.flyTo({ center: f.geometry.coordinates, zoom: Math.max(map.getZoom(), 10) });
      openReport(f.id, f.geometry.coordinates);
    };
    li.addEventListener('click', go);
    li.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
    list.append(li);
  }
}
$('sort').addEventListener('change', sortList);

async function showList(query, title) {
  const reply = await fetch(`/api/reports?${query}`);
  if (!reply.ok) return;
  const body = await reply.json();
  listed = body.features;
  const more = body.numberMatched > body.numberReturned ? ` (first ${body.numberReturned} of ${body.numberMatched})` : ` (${body.numberMatched})`;
  $('list-title').textContent = `${title}${more}`;
  sortList();
}

function refreshList() {
  if (radius.centre) return;
  const p = filterParams();
  p.set('bbox', viewBbox());
  p.set('limit', '500');
  showList(p, 'Reports in view');
}

map.on('moveend', () => { refreshList(); refreshViewLayers(); writeUrl(); });

// ---- Radius tool: click a centre, list what lies within the radius. ----

const radius = { picking: false, centre: null };

function circle(lon, lat, metres) {
  // A geodesic circle on the sphere, near enough to draw.
  const R = 6371008.8;
  const d = metres / R;
  const φ1 = (lat * Math.PI) / 180;
  const λ1 = (lon * Math.PI) / 180;
  const ring = [];
  for (let i = 0; i <= 64; i++) {
    const θ = (2 * Math.PI * i) / 64;
    const φ2 = Math.asin(Math.sin(φ1) * Math.cos(d) + Math.cos(φ1) * Math.sin(d) * Math.cos(θ));
    const λ2 = λ1 + Math.atan2(Math.sin(θ) * Math.sin(d) * Math.cos(φ1), Math.cos(d) - Math.sin(φ1) * Math.sin(φ2));
    ring.push([(λ2 * 180) / Math.PI, (φ2 * 180) / Math.PI]);
  }
  return { type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: {} };
}

function runRadius() {
  const [lon, lat] = radius.centre;
  const kmValue = Math.min(500, Math.max(1, Number($('radius-km').value) || 25));
  map.getSource('radius').setData({ type: 'FeatureCollection', features: [circle(lon, lat, kmValue * 1000)] });
  const p = filterParams();
  p.set('lat', lat.toFixed(6));
  p.set('lon', lon.toFixed(6));
  p.set('radius_km', String(kmValue));
  p.set('limit', '500');
  showList(p, `Within ${kmValue} km`);
}

$('radius-tool').addEventListener('click', () => {
  if (radius.centre) {
    radius.centre = null;
    map.getSource('radius').setData({ type: 'FeatureCollection', features: [] });
    $('radius-tool').textContent = 'Pick a centre';
    $('radius-tool').setAttribute('aria-pressed', 'false');
    refreshList();
    return;
  }
  radius.picking = true;
  map.getCanvas().classList.add('picking');
  $('radius-tool').textContent = 'Click the map…';
  $('radius-tool').setAttribute('aria-pressed', 'true');
});
$('radius-km').addEventListener('change', () => { if (radius.centre) runRadius(); });

map.on('click', (e) => {
  if (radius.picking) {
    radius.picking = false;
    map.getCanvas().classList.remove('picking');
    radius.centre = [e.lngLat.lng, e.lngLat.lat];
    $('radius-tool').textContent = 'Clear the radius';
    runRadius();
  } else if (add.picking) {
    add.picking = false;
    map.getCanvas().classList.remove('picking');
    add.point = [e.lngLat.lng, e.lngLat.lat];
    $('picked').textContent = `${add.point[1].toFixed(5)}, ${add.point[0].toFixed(5)}`;
  }
});

// ---- Place search. ----

const choices = $('search-choices');

function goTo(feature) {
  choices.hidden = true;
  const [lon, lat] = feature.geometry.coordinates;
  const precision = feature.properties.precision;
  const zoom = { exact: 12, place: 11, near: 10, region: 8, province: 7, country: 5 }[precision] || 10;
  map.flyTo({ center: [lon, lat], zoom });
}

$('search').addEventListener('submit', async (e) => {
  e.preventDefault();
  const q = $('search-input').value.trim();
  if (!q) return;
  const reply = await fetch(`/api/geocode?q=${encodeURIComponent(q)}&limit=5`);
  const body = await reply.json();
  choices.replaceChildren();
  if (!reply.ok || !body.features || body.features.length === 0) {
    const suggestions = (body.suggestions || []).join(', ');
    choices.append(el('li', suggestions ? `No match. Did you mean ${suggestions}?` : 'No known place matches.'));
    choices.hidden = false;
    return;
  }
  if (body.ambiguous) {
    choices.append(el('li', 'Which one?', 'muted'));
    for (const f of body.features) {
      const b = el('button', `${f.properties.name} (${[f.properties.province, f.properties.country].filter(Boolean).join(', ')})`);
      b.type = 'button';
      b.addEventListener('click', () => goTo(f));
      const li = el('li');
      li.append(b);
      choices.append(li);
    }
    choices.hidden = false;
    goTo(body.features[0]);
    choices.hidden = false;
    return;
  }
  goTo(body.features[0]);
});

// ---- Export what is shown: every report matching the filters. ----

$('export').addEventListener('click', async () => {
  const features = [];
  let next = `/api/reports?${filterParams()}&limit=10000`;
  while (next) {
    const body = await (await fetch(next)).json();
    features.push(...body.features);
    const link = (body.links || []).find((l) => l.rel === 'next');
    next = link ? new URL(link.href).pathname + new URL(link.href).search : null;
  }
  const blob = new Blob([JSON.stringify({ type: 'FeatureCollection', features })], { type: 'application/geo+json' });
  const a = el('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'sightmap-reports.geojson';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});

// ---- Adding a report. ----

const add = { picking: false, point: null };
const addForm = $('add-form');
for (const k of KINDS) addForm.kind.append(el('option', k));
for (const t of SOURCE_TYPES) addForm.source_type.append(el('option', t));
$('pick-point').addEventListener('click', () => {
  add.picking = true;
  map.getCanvas().classList.add('picking');
});

addForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = addForm;
  const report = {
    kind: f.kind.value,
    description: f.description.value,
    observed: { from: new Date(f.from.value).toISOString() },
    sources: [{ name: f.source.value, type: f.source_type.value, stance: f.stance.value }],
  };
  if (f.to.value) report.observed.to = new Date(f.to.value).toISOString();
  if (f.public_precision.value) report.public_precision = f.public_precision.value;
  if (add.point) {
    report.lon = add.point[0];
    report.lat = add.point[1];
    if (f.place.value) report.location_text = f.place.value;
  } else {
    report.location = { text: f.place.value };
  }
  const headers = { 'Content-Type': 'application/json' };
  if (f.token.value) headers.Authorization = `Bearer ${f.token.value}`;
  const reply = await fetch('/api/reports', { method: 'POST', headers, body: JSON.stringify(report) });
  const body = await reply.json();
  if (reply.ok) {
    $('add-result').textContent = `Added: ${body.properties.status} ${body.properties.kind}.`;
    add.point = null;
    $('picked').textContent = '';
    refreshReports();
  } else {
    $('add-result').textContent = body.detail || `Refused (${reply.status}).`;
  }
});

// ---- Legend. ----

(function legend() {
  const box = $('legend');
  box.append(el('strong', 'Status'));
  for (const s of STATUSES) {
    const row = el('div');
    const sw = el('span', null, 'swatch');
    sw.style.background = STATUS_COLOURS[s];
    row.append(sw, s);
    box.append(row);
  }
  const ring = el('div');
  ring.append(el('span', null, 'swatch ring'), 'province or country precision (not a fix)');
  box.append(ring);
  box.append(el('div', `Kinds: ${KINDS.map((k) => `${KIND_MARKS[k]} ${k}`).join(', ')}`, 'muted'));
  box.append(el('div', 'Thick lines: land borders (orange: the focus neighbour); blue: the coast.', 'muted'));
}());

map.on('load', () => {
  refreshBuffers();
  refreshList();
  fetch('/api/layers').then((r) => r.json()).then((body) => {
    const focus = body.region && body.region.focus_neighbour;
    if (focus) {
      $('focus-neighbour').textContent = focus;
      map.setPaintProperty('border-line', 'line-color', ['match', ['get', 'country'], focus, '#d9480f', '#6b4f2a']);
    }
  }).catch(() => {});
  document.body.dataset.ready = '1';
});
