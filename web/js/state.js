// The page's state: the URL holds the view, the report filters and the layer toggles, so a
// link opens the map as it was.

const FILTER_KEYS = ['since', 'until', 'kind', 'status', 'source_type'];
const BUFFER_KEYS = ['border_buffer', 'coast_buffer'];
const SWITCH_KEYS = ['links', 'choropleth'];

const url = new URL(window.location.href);

/** The filters and layer toggles, read from the URL at load. */
export const state = {
  filters: {},
  layers: { border_buffer: '', coast_buffer: '', links: false, choropleth: false, events: true },
};
for (const key of FILTER_KEYS) {
  const v = url.searchParams.get(key);
  if (v) state.filters[key] = v;
}
for (const key of BUFFER_KEYS) state.layers[key] = url.searchParams.get(key) || '';
for (const key of SWITCH_KEYS) state.layers[key] = url.searchParams.get(key) === '1';
// Events are drawn unless the URL says events=0.
state.layers.events = url.searchParams.get('events') !== '0';

/** The view the URL asks for, or the region's default. */
export const startView = {
  lat: parseFloat(url.searchParams.get('lat')) || 37.8,
  lon: parseFloat(url.searchParams.get('lon')) || 49.0,
  z: parseFloat(url.searchParams.get('z')) || 6,
};

/** The report filters as URL parameters. */
export function filterParams() {
  const p = new URLSearchParams();
  for (const key of FILTER_KEYS) if (state.filters[key]) p.set(key, state.filters[key]);
  return p;
}

/** Writes the view, filters and toggles into the URL (without a new history entry). */
export function writeUrl(map) {
  const c = map.getCenter();
  const p = filterParams();
  p.set('lat', c.lat.toFixed(5));
  p.set('lon', c.lng.toFixed(5));
  p.set('z', map.getZoom().toFixed(2));
  for (const key of BUFFER_KEYS) if (state.layers[key]) p.set(key, state.layers[key]);
  for (const key of SWITCH_KEYS) if (state.layers[key]) p.set(key, '1');
  if (!state.layers.events) p.set('events', '0');
  history.replaceState(null, '', `${window.location.pathname}?${p}`);
}
