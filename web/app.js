// The sightmap web map. Everything it draws comes from this server's own API: its basemap is
// the region's layers, its reports the index's points. The page is ES modules under web/js/:
// the API client (api.js), the URL state (state.js), the map (map.js), the filter form
// (filters.js), the list and popups (list.js), the events and their panel (events.js), the
// tools (tools.js), the timeline with its playback and the "as known on" control
// (timeline.js), and the legend.

import { getJson, showError, vocabulary } from './js/api.js';
import { $ } from './js/dom.js';
import { setUpFilters, setUpLayerToggles } from './js/filters.js';
import { EventPanel } from './js/events.js';
import { drawLegend } from './js/legend.js';
import { ReportList } from './js/list.js';
import { createMap, newPopup, refreshReportLayers, refreshToggles, refreshViewLayers, viewBbox } from './js/map.js';
import { filterParams, state, writeUrl } from './js/state.js';
import { Timeline, setUpAsOf } from './js/timeline.js';
import { Tools } from './js/tools.js';

const [vocab, catalogue] = await Promise.all([vocabulary(), getJson('/api/layers')]);
if (!catalogue.ok) throw new Error('the layer catalogue could not be read');
const map = createMap(vocab, catalogue.body.layers);
window.sightmap = { map };
map.on('error', (e) => showError(`A map layer could not be loaded${e.error && e.error.message ? `: ${e.error.message}` : ''}.`));

const list = new ReportList(map, newPopup(), vocab);
const events = new EventPanel((id) => list.open(id));
list.onEvent = (id) => events.open(id);
window.sightmap.events = events;
// A click on an event's footprint opens the event, unless it was on a report's point.
map.on('click', 'events-fill', (e) => {
  if (tools.mode !== 'browse') return;
  if (map.queryRenderedFeatures(e.point, { layers: ['points', 'clusters'] }).length) return;
  events.open(e.features[0].properties.id);
});

/** Lists the reports in view, unless a radius search holds the list. */
function refreshList() {
  if (tools.hasRadius()) return;
  const p = filterParams();
  p.set('bbox', viewBbox(map));
  p.set('limit', '500');
  list.show(p, 'Reports in view');
}

/** Reloads everything that depends on the filters. */
function refreshReports() {
  refreshReportLayers(map);
  refreshList();
  if (tools.hasRadius()) tools.runRadius();
  writeUrl(map);
}

const timeline = new Timeline(map, vocab, {
  bbox: () => viewBbox(map),
  // A brushed span filters everything; a new window or switch only redraws the timeline.
  onBrush: (filters) => (filters ? refreshReports() : writeUrl(map)),
});
window.sightmap.timeline = timeline;
setUpAsOf();
if (state.filters.as_of) {
  // The past cannot be written to.
  for (const input of document.querySelectorAll('#add-form button, #add-form input, #add-form textarea, #add-form select')) input.disabled = true;
}

const tools = new Tools(map, list, vocab, { refreshList, refreshReports });
setUpFilters(vocab, () => { refreshReports(); timeline.refresh(); });
setUpLayerToggles(() => { refreshToggles(map); writeUrl(map); });
drawLegend(vocab);

map.on('moveend', () => { refreshList(); refreshViewLayers(map); timeline.refresh(); writeUrl(map); });
map.on('load', () => {
  refreshToggles(map);
  writeUrl(map);
  refreshList();
  timeline.refresh();
  document.body.dataset.ready = '1';
  const focus = catalogue.body.region && catalogue.body.region.focus_neighbour;
  if (focus) {
    $('focus-neighbour').textContent = focus;
    map.setPaintProperty('border-line', 'line-color', ['match', ['get', 'country'], focus, '#d9480f', '#6b4f2a']);
  }
});
