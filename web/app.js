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
import { addReportLayers, createMap, newPopup, onLoad, refreshReportLayers, refreshToggles, refreshViewLayers, viewBbox } from './js/map.js';
import { DATA_CHANGED, FILTERS_CHANGED, emit, filterParams, on, state, writeUrl } from './js/state.js';
import { Timeline, setUpAsOf } from './js/timeline.js';
import { Tools } from './js/tools.js';

// The base map draws as soon as the vocabulary (the region's view and home country) is read;
// the layer catalogue is asked for at the same time, and the reports' layers follow it.
const catalogueReply = getJson('/api/layers');
const vocab = await vocabulary();
const map = createMap(vocab);
window.sightmap = { map };
map.on('error', (e) => showError(`A map layer could not be loaded${e.error && e.error.message ? `: ${e.error.message}` : ''}.`));
drawLegend(vocab);
// The filter form is built at once; what a change redraws listens below, on the event bus.
setUpFilters(vocab, () => emit(FILTERS_CHANGED, { from: 'filters' }));
if (vocab.focusNeighbour) $('focus-neighbour').textContent = vocab.focusNeighbour;

const [catalogue] = await Promise.all([catalogueReply, map.styled]);
if (!catalogue.ok) throw new Error('the layer catalogue could not be read');
addReportLayers(map, vocab, catalogue.body.layers);

const list = new ReportList(map, newPopup(), vocab);
const events = new EventPanel((id) => list.open(id), vocab);
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

const timeline = new Timeline(map, vocab, {
  bbox: () => viewBbox(map),
  // A brushed span filters everything; a new window or switch only redraws the timeline.
  onBrush: (filters) => (filters ? emit(FILTERS_CHANGED, { from: 'timeline' }) : writeUrl(map)),
});
window.sightmap.timeline = timeline;
setUpAsOf();
if (state.filters.as_of) {
  // The past cannot be written to.
  for (const input of document.querySelectorAll('#add-form button, #add-form input, #add-form textarea, #add-form select')) input.disabled = true;
}

const tools = new Tools(map, list, vocab, { refreshList, refreshReports: () => emit(DATA_CHANGED) });
setUpLayerToggles(() => { refreshToggles(map); writeUrl(map); });

// What the filters or the reports changing redraws: the map's report layers, the list (or the
// radius search), the export link, the URL, and the timeline (unless it changed them itself:
// it redraws its own brush).
for (const type of [FILTERS_CHANGED, DATA_CHANGED]) {
  on(type, () => refreshReportLayers(map));
  on(type, () => (tools.hasRadius() ? tools.runRadius() : refreshList()));
  on(type, () => tools.refreshExport());
  on(type, () => writeUrl(map));
  on(type, (detail) => { if (detail.from !== 'timeline') timeline.refresh(); });
}

map.on('moveend', () => { refreshList(); refreshViewLayers(map); timeline.refresh(); writeUrl(map); });
onLoad(map, () => {
  refreshToggles(map);
  writeUrl(map);
  refreshList();
  timeline.refresh();
  document.body.dataset.ready = '1';
});
