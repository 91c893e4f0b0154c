// The page's state: the URL holds the view, the report filters (with the timeline's brushed
// span as since/until), the layer toggles, the timeline's window and `as_of`, so a link opens
// the map as it was. One small event bus tells the map, the list and the timeline what changed
// (`on`, `emit`): FILTERS_CHANGED when the filters do, DATA_CHANGED when the reports do.

/** The filters changed (detail: `{ from }`, the part of the page that changed them). */
export const FILTERS_CHANGED = 'filters-changed';
/** The reports changed (a report was added, or a live feed said so). */
export const DATA_CHANGED = 'data-changed';

const listeners = new Map();

/** Calls `fn(detail)` on every `emit(type, detail)`; returns the function that stops it. */
export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  return () => listeners.get(type).delete(fn);
}

/** Tells every listener of `type`, in the order they subscribed. */
export function emit(type, detail = {}) {
  for (const fn of [...(listeners.get(type) || [])]) fn(detail);
}

const FILTER_KEYS = ['since', 'until', 'kind', 'status', 'source_type', 'as_of'];
const TIMELINE_KEYS = ['tl_from', 'tl_to'];
const BUFFER_KEYS = ['border_buffer', 'coast_buffer'];
const SWITCH_KEYS = ['links', 'choropleth'];

const url = new URL(window.location.href);

/** The filters and layer toggles, read from the URL at load. */
export const state = {
  filters: {},
  layers: { border_buffer: '', coast_buffer: '', links: false, choropleth: false, events: true },
  /** The timeline's window (epoch seconds as strings) and whether it counts events. */
  timeline: { tl_from: '', tl_to: '', of: 'reports' },
};
for (const key of TIMELINE_KEYS) state.timeline[key] = url.searchParams.get(key) || '';
if (url.searchParams.get('tl_of') === 'events') state.timeline.of = 'events';
for (const key of FILTER_KEYS) {
  const v = url.searchParams.get(key);
  if (v) state.filters[key] = v;
}
for (const key of BUFFER_KEYS) state.layers[key] = url.searchParams.get(key) || '';
for (const key of SWITCH_KEYS) state.layers[key] = url.searchParams.get(key) === '1';
// Events are drawn unless the URL says events=0.
state.layers.events = url.searchParams.get('events') !== '0';

/** The view the URL asks for, else the region's initial view (`{ center: [lon, lat], zoom }`). */
export function startView(initial) {
  const number = (key) => {
    const v = parseFloat(url.searchParams.get(key));
    return Number.isFinite(v) ? v : null;
  };
  return {
    lat: number('lat') ?? initial.center[1],
    lon: number('lon') ?? initial.center[0],
    z: number('z') ?? initial.zoom,
  };
}

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
  for (const key of TIMELINE_KEYS) if (state.timeline[key]) p.set(key, state.timeline[key]);
  if (state.timeline.of === 'events') p.set('tl_of', 'events');
  history.replaceState(null, '', `${window.location.pathname}?${p}`);
}

/** `?as_of=…` when the page shows the past, for reads of one report or event; else ''. */
export function asOfQuery() {
  return state.filters.as_of ? `?as_of=${encodeURIComponent(state.filters.as_of)}` : '';
}

/** The viewer's time zone as an offset from UTC, such as +03:30. */
export function utcOffset(date = new Date()) {
  const minutes = -date.getTimezoneOffset();
  const a = Math.abs(minutes);
  const two = (n) => String(n).padStart(2, '0');
  return `${minutes < 0 ? '-' : '+'}${two(Math.floor(a / 60))}:${two(a % 60)}`;
}

/** An instant (epoch seconds) as the API takes it: RFC 3339 in UTC, to the second. */
export function isoSeconds(seconds) {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
}
