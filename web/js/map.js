// The map: the base map (the region's layers from this server, drawn at once), the reports'
// layers (the reports as clustered points, events, circles, links) added once the layer
// catalogue is read, and the functions that reload a layer when the filters, the toggles or
// the view change.

import * as maplibregl from '/web/vendor/maplibre-gl/maplibre-gl.mjs';
import { layerUrl } from './api.js';
import { gradeColour } from './events.js';
import { filterParams, startView, state } from './state.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
// Per-report geometry (circles, links) is fetched for the view only, and only once zoomed in
// far enough to read it: with 100,000 reports the whole set would be far too heavy.
const UNCERTAINTY_MIN_ZOOM = 8;
const LINKS_MIN_ZOOM = 6;

/**
 * The base map: the region's own layers, drawn at once, without waiting for the layer
 * catalogue or the reports. Their URLs are the API's fixed layers of every region.
 */
const BASE = {
  sea: { source: 'sea', params: () => 'simplify_m=200' },
  countries: { source: 'countries', params: () => 'simplify_m=300' },
  provinces: { source: 'provinces', params: () => `simplify_m=500&${filterParams()}` },
  border: { source: 'border', params: () => '' },
  coast: { source: 'coast', params: () => '' },
  places: { source: 'places', params: () => '' },
  'border-buffer': { source: 'border_buffer' },
  'coast-buffer': { source: 'coast_buffer' },
};

/**
 * The layers of the catalogue drawn from the reports, added once the catalogue is read, by
 * layer id: the source each feeds and its parameters. Layers drawn on demand start empty. A
 * region layer of the catalogue that is in neither list is still drawn, as a thin outline
 * (see `addReportLayers`), so a new layer shows without a change to the page; report layers the
 * page has no use for (density, reports) are left out.
 */
const DRAWN = {
  links: { source: 'links' },
  uncertainty: { source: 'uncertainty' },
  events: { source: 'events' },
  points: { source: 'reports', params: () => filterParams(), extra: { cluster: true, clusterRadius: 42, clusterMaxZoom: 9 } },
};

/** A GeoJSON source of a layer: its URL with parameters, or empty until asked for. */
function source(id, drawn) {
  return { type: 'geojson', data: drawn.params ? layerUrl(id, drawn.params()) : EMPTY, ...(drawn.extra || {}) };
}

/** A MapLibre expression colouring features by their `status` (colours from the vocabulary). */
function statusColour(vocab) {
  return ['match', ['get', 'status'], ...vocab.statuses.flatMap((s) => [s, vocab.statusColours[s]]), '#5f6b7a'];
}

/** The base style: the region's layers, bottom first, its home country lighter. */
function baseStyle(vocab) {
  const sources = Object.fromEntries(Object.entries(BASE).map(([id, drawn]) => [drawn.source, source(id, drawn)]));
  const layers = [
    { id: 'land', type: 'background', paint: { 'background-color': '#eef0e8' } },
    { id: 'countries-fill', type: 'fill', source: 'countries', paint: { 'fill-color': ['match', ['get', 'id'], vocab.homeCountry, '#f7f5ee', '#e6e8df'] } },
    { id: 'provinces-choropleth', type: 'fill', source: 'provinces', layout: { visibility: 'none' },
      paint: { 'fill-color': ['interpolate', ['linear'], ['get', 'reports'], 0, 'rgba(255,255,255,0)', 1, '#fde0c5', 5, '#f59e5b', 20, '#c2410c'], 'fill-opacity': 0.75 } },
    { id: 'provinces-line', type: 'line', source: 'provinces', paint: { 'line-color': '#b9b9a8', 'line-width': 0.6 } },
    { id: 'sea-fill', type: 'fill', source: 'sea', paint: { 'fill-color': '#b9d7ea' } },
    { id: 'coast-line', type: 'line', source: 'coast', paint: { 'line-color': '#5b8db0', 'line-width': 1 } },
    { id: 'border-buffer-fill', type: 'fill', source: 'border_buffer', paint: { 'fill-color': '#d9480f', 'fill-opacity': 0.15 } },
    { id: 'coast-buffer-fill', type: 'fill', source: 'coast_buffer', paint: { 'fill-color': '#1971c2', 'fill-opacity': 0.15 } },
    { id: 'countries-line', type: 'line', source: 'countries', paint: { 'line-color': '#8a8a7a', 'line-width': 0.8 } },
    { id: 'border-line', type: 'line', source: 'border',
      // The focus neighbour's border stands out.
      paint: { 'line-color': vocab.focusNeighbour ? ['match', ['get', 'country'], vocab.focusNeighbour, '#d9480f', '#6b4f2a'] : '#6b4f2a', 'line-width': 2.2 } },
    { id: 'places-major', type: 'symbol', source: 'places', minzoom: 5, filter: ['>=', ['get', 'population'], 150000],
      layout: { 'text-field': ['get', 'name'], 'text-size': 12 }, paint: { 'text-color': '#333', 'text-halo-color': '#fff', 'text-halo-width': 1.2 } },
    { id: 'places-mid', type: 'symbol', source: 'places', minzoom: 7.5, filter: ['all', ['<', ['get', 'population'], 150000], ['>=', ['get', 'population'], 20000]],
      layout: { 'text-field': ['get', 'name'], 'text-size': 11 }, paint: { 'text-color': '#444', 'text-halo-color': '#fff', 'text-halo-width': 1 } },
    { id: 'places-minor', type: 'symbol', source: 'places', minzoom: 9.5, filter: ['<', ['get', 'population'], 20000],
      layout: { 'text-field': ['get', 'name'], 'text-size': 10 }, paint: { 'text-color': '#555', 'text-halo-color': '#fff', 'text-halo-width': 1 } },
  ];
  return { version: 8, sources, layers };
}

/** The layers drawn from the reports, bottom first, above the base map. */
function reportLayers(vocab) {
  const colour = statusColour(vocab);
  // Points whose precision is a province or a country are hollow rings, larger: they must not
  // look as exact as a GPS fix. Places and "near" are solid, regions half-filled.
  const vague = ['in', ['get', 'precision'], ['literal', ['province', 'country']]];
  return [
    { id: 'uncertainty-fill', type: 'fill', source: 'uncertainty', minzoom: 8,
      paint: { 'fill-color': colour, 'fill-opacity': 0.08, 'fill-outline-color': colour } },
    { id: 'links-line', type: 'line', source: 'links', paint: { 'line-color': '#d9480f', 'line-width': 1, 'line-dasharray': [2, 2] } },
    { id: 'links-label', type: 'symbol', source: 'links', minzoom: 7,
      layout: { 'symbol-placement': 'line-center', 'text-field': ['concat', ['to-string', ['get', 'distance_km']], ' km'], 'text-size': 10 },
      paint: { 'text-color': '#a33a0b', 'text-halo-color': '#fff', 'text-halo-width': 1 } },
    { id: 'events-fill', type: 'fill', source: 'events',
      // Events no report places precisely are faint: their footprint is a province or region.
      paint: { 'fill-color': gradeColour(vocab), 'fill-opacity': ['case', ['==', ['get', 'core_reports'], 0], 0.04, 0.2] } },
    { id: 'events-line', type: 'line', source: 'events', paint: { 'line-color': gradeColour(vocab), 'line-width': 1.5 } },
    { id: 'events-badge', type: 'symbol', source: 'events',
      layout: { 'text-field': ['to-string', ['get', 'asserting_origins']], 'text-size': 12 },
      paint: { 'text-color': '#fff', 'text-halo-color': gradeColour(vocab), 'text-halo-width': 3 } },
    { id: 'radius-fill', type: 'fill', source: 'radius', paint: { 'fill-color': '#0b7285', 'fill-opacity': 0.1, 'fill-outline-color': '#0b7285' } },
    { id: 'clusters', type: 'circle', source: 'reports', filter: ['has', 'point_count'],
      paint: { 'circle-color': '#12324a', 'circle-opacity': 0.8, 'circle-radius': ['step', ['get', 'point_count'], 12, 10, 16, 100, 22, 1000, 28] } },
    { id: 'cluster-count', type: 'symbol', source: 'reports', filter: ['has', 'point_count'],
      layout: { 'text-field': ['get', 'point_count_abbreviated'], 'text-size': 11 }, paint: { 'text-color': '#fff' } },
    { id: 'points', type: 'circle', source: 'reports', filter: ['!', ['has', 'point_count']],
      paint: {
        'circle-color': colour,
        'circle-radius': ['case', vague, 11, ['==', ['get', 'precision'], 'region'], 9, 7],
        'circle-opacity': ['case', vague, 0, ['==', ['get', 'precision'], 'region'], 0.45, 0.95],
        'circle-stroke-color': colour,
        'circle-stroke-width': ['case', vague, 2.5, 1],
      } },
    { id: 'point-kind', type: 'symbol', source: 'reports', filter: ['!', ['has', 'point_count']],
      layout: { 'text-field': ['match', ['get', 'kind'], ...vocab.kinds.flatMap((k) => [k, vocab.kindMarks[k]]), '?'], 'text-size': 10, 'text-allow-overlap': true },
      paint: { 'text-color': ['case', vague, colour, '#fff'] } },
  ];
}

/**
 * Creates the map in `#map`, at the view the URL asks for (else the region's initial view),
 * drawing the base map at once. `map.styled` resolves once layers may be added.
 */
export function createMap(vocab) {
  const view = startView(vocab.initialView);
  const map = new maplibregl.Map({
    container: 'map',
    style: baseStyle(vocab),
    center: [view.lon, view.lat],
    zoom: view.z,
    attributionControl: { compact: true, customAttribution: 'Data: GeoNames (CC BY), OpenStreetMap contributors (ODbL), Natural Earth, GSHHG' },
  });
  map.styled = new Promise((resolve) => map.once('style.load', resolve));
  map.once('load', () => { map.firstLoaded = true; });
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  return map;
}

/** Runs `fn` once the map has first loaded (at once if it has). */
export function onLoad(map, fn) {
  if (map.firstLoaded) fn(); else map.once('load', fn);
}

/**
 * Adds the catalogue's report layers (and outlines for region layers the page has no style
 * for, under the reports) to a styled map. Report layers the catalogue lacks are left out.
 */
export function addReportLayers(map, vocab, catalogue) {
  const have = new Set(Object.values(BASE).map((d) => d.source));
  map.addSource('radius', { type: 'geojson', data: EMPTY });
  const extras = [];
  for (const entry of catalogue) {
    const drawn = DRAWN[entry.id];
    if (drawn) {
      map.addSource(drawn.source, source(entry.id, drawn));
      have.add(drawn.source);
    } else if (!BASE[entry.id] && !entry.takes_report_filters) {
      const id = `catalogue-${entry.id}`;
      map.addSource(id, { type: 'geojson', data: layerUrl(entry.id) });
      extras.push({ id: `${id}-line`, type: 'line', source: id, paint: { 'line-color': '#7a7a6a', 'line-width': 0.8 } });
    }
  }
  have.add('radius');
  const layers = reportLayers(vocab).filter((l) => have.has(l.source));
  const under = layers.findIndex((l) => l.id === 'radius-fill');
  layers.splice(under < 0 ? layers.length : under, 0, ...extras);
  for (const layer of layers) map.addLayer(layer);
}

/** A popup for one report. */
export function newPopup() {
  return new maplibregl.Popup({ maxWidth: '22rem' });
}

/** The view as a bbox parameter, clamped to valid degrees. */
export function viewBbox(map) {
  const b = map.getBounds();
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
    .map((v) => v.toFixed(5)).join(',');
}

/** Reloads the layers drawn from the matching reports. */
export function refreshReportLayers(map) {
  const p = filterParams();
  map.getSource('reports').setData(layerUrl('points', p));
  map.getSource('provinces').setData(layerUrl('provinces', `simplify_m=500&${p}`));
  refreshViewLayers(map);
}

/** Reloads the per-report geometry of the view (uncertainty circles, links to the border). */
export function refreshViewLayers(map) {
  const p = filterParams();
  p.set('bbox', viewBbox(map));
  const zoom = map.getZoom();
  map.getSource('uncertainty').setData(zoom >= UNCERTAINTY_MIN_ZOOM ? layerUrl('uncertainty', p) : EMPTY);
  map.getSource('links').setData(state.layers.links && zoom >= LINKS_MIN_ZOOM ? layerUrl('links', p) : EMPTY);
  if (map.getSource('events')) {
    const e = new URLSearchParams(p);
    e.set('limit', '1000');
    map.getSource('events').setData(state.layers.events ? layerUrl('events', e) : EMPTY);
  }
}

/** Applies the layer toggles: buffers, the choropleth and the links. */
export function refreshToggles(map) {
  for (const [key, layer] of [['border_buffer', 'border-buffer'], ['coast_buffer', 'coast-buffer']]) {
    const km = state.layers[key];
    map.getSource(key).setData(km ? layerUrl(layer, `km=${km}&simplify_m=100`) : EMPTY);
  }
  map.setLayoutProperty('provinces-choropleth', 'visibility', state.layers.choropleth ? 'visible' : 'none');
  refreshViewLayers(map);
}

/** Draws (or clears, with `null`) a circle on the radius layer. */
export function drawRadius(map, feature) {
  map.getSource('radius').setData(feature ? { type: 'FeatureCollection', features: [feature] } : EMPTY);
}
