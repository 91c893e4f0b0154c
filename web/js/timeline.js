// The timeline below the map: how many matching reports in view were observed in each bin of
// time, stacked by status (or events by suggested grade), counted by the server
// (/api/timeline) in one request per change of view, filters or window. Brushing a span sets
// the observation filter of everything else (map, list, layers, export); the wheel zooms the
// window, and the bins follow (hours to weeks), in the viewer's time zone. Playback steps a
// window through the span and shows its reports, the earlier windows fading.

import { getJson, layerUrl, showError } from './api.js';
import { $ } from './dom.js';
import { onLoad } from './map.js';
import { say } from './messages.js';
import { filterParams, isoSeconds, state, utcOffset } from './state.js';

const SVG = 'http://www.w3.org/2000/svg';
const HOUR = 3600;
/** The bin widths the API takes, narrowest first, with their length in seconds. */
const BINS = [['1h', HOUR], ['6h', 6 * HOUR], ['1d', 24 * HOUR], ['7d', 7 * 24 * HOUR]];
/** The most bars drawn across the timeline. */
const MAX_BARS = 160;
const HEIGHT = 84;
/** How many earlier windows stay visible during playback, fading. */
const FADING = 3;
const EMPTY = { type: 'FeatureCollection', features: [] };

function svg(tag, attributes = {}) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
  return e;
}

/** A bin's start as the viewer reads it: the date and time in their zone. */
function local(text) {
  return text.slice(0, 16).replace('T', ' ');
}

/** The timeline and its playback. */
export class Timeline {
  /** `bbox()` gives the map's view; `onBrush()` runs when the brushed span changes. */
  constructor(map, vocab, { bbox, onBrush }) {
    this.map = map;
    this.vocab = vocab;
    this.bbox = bbox;
    this.onBrush = onBrush;
    this.offset = utcOffset();
    this.offsetSeconds = -new Date().getTimezoneOffset() * 60;
    this.body = null;
    this.playing = null;
    this.request = 0;
    $('timeline-zone').textContent = `Times in UTC${this.offset} (your time zone).`;
    $('timeline-of').checked = state.timeline.of === 'events';
    $('timeline-of').addEventListener('change', (e) => {
      state.timeline.of = e.target.checked ? 'events' : 'reports';
      this.refresh();
      this.onBrush(false);
    });
    $('timeline-clear').addEventListener('click', () => this.setBrush(null));
    $('timeline-all').addEventListener('click', () => {
      state.timeline.tl_from = '';
      state.timeline.tl_to = '';
      this.refresh();
      this.onBrush(false);
    });
    $('play').addEventListener('click', () => (this.playing && !this.playing.paused ? this.pause() : this.play()));
    $('play-stop').addEventListener('click', () => this.stop());
    // Any click elsewhere pauses playback.
    document.addEventListener('click', (e) => {
      if (this.playing && !this.playing.paused && !e.target.closest('#play')) this.pause();
    }, true);
    this.setUpBrushAndZoom();
    onLoad(map, () => {
      map.addSource('playback', { type: 'geojson', data: EMPTY });
      const statusColour = ['match', ['get', 'status'], ...vocab.statuses.flatMap((s) => [s, vocab.statusColours[s]]), '#5f6b7a'];
      map.addLayer({ id: 'playback-points', type: 'circle', source: 'playback', layout: { visibility: 'none' },
        paint: { 'circle-color': statusColour, 'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } });
    });
  }

  /** The window shown, in epoch seconds, if one is set. */
  window() {
    const from = Number(state.timeline.tl_from);
    const to = Number(state.timeline.tl_to);
    return from && to && to > from ? [from, to] : null;
  }

  /** The narrowest bin that keeps the window within `MAX_BARS` bars. */
  binFor([from, to]) {
    const found = BINS.find(([, s]) => (to - from) / s <= MAX_BARS);
    return (found || BINS[BINS.length - 1])[0];
  }

  /** Asks the server for the bins of the view, the filters (but the brush) and the window. */
  async refresh() {
    const p = filterParams();
    p.delete('since');
    p.delete('until');
    p.set('bbox', this.bbox());
    p.set('utc_offset', this.offset);
    if (state.timeline.of === 'events') p.set('of', 'events');
    const win = this.window();
    if (win) {
      p.set('since', isoSeconds(win[0]));
      p.set('until', isoSeconds(win[1]));
      p.set('bin', this.binFor(win));
    }
    const asked = ++this.request;
    // Quiet, so that its success does not hide another request's failure on the error line;
    // its own failure is said there.
    const { ok, status, body } = await getJson(`/api/timeline?${p}`, {}, true);
    if (!ok) {
      showError(`The timeline could not be read: ${body.title || `error ${status}`}${body.detail ? `: ${body.detail}` : ''}`);
      return;
    }
    if (asked !== this.request) return;
    this.body = body;
    this.draw();
  }

  /** The span of the bins drawn, epoch seconds. */
  span() {
    const b = this.body;
    return b && b.start ? [Date.parse(b.start) / 1000, Date.parse(b.end) / 1000] : null;
  }

  x(t, width) {
    const [from, to] = this.span();
    return ((t - from) / (to - from)) * width;
  }

  draw() {
    const box = $('timeline-chart');
    const b = this.body;
    const width = box.clientWidth || 600;
    const chart = svg('svg', { width, height: HEIGHT, role: 'img' });
    box.dataset.bins = String(b.bins.length);
    box.dataset.matched = String(b.matched);
    box.dataset.bin = b.bin || '';
    const of = b.of === 'events' ? 'events by suggested grade' : 'reports by status';
    chart.setAttribute('aria-label', `${b.matched} ${b.of} in view over time, ${of}`);
    const colours = b.of === 'events' ? this.vocab.gradeColours : this.vocab.statusColours;
    const highest = Math.max(1e-9, ...b.bins.map((bin) => bin.total));
    for (const bin of b.bins) {
      const x0 = this.x(Date.parse(bin.start) / 1000, width);
      const x1 = this.x(Date.parse(bin.end) / 1000, width);
      let y = HEIGHT;
      for (const category of b.categories) {
        const h = (bin.counts[category] / highest) * (HEIGHT - 4);
        if (h <= 0) continue;
        y -= h;
        const bar = svg('rect', { x: x0, y, width: Math.max(1, x1 - x0 - 0.5), height: h, fill: colours[category] || '#868e96' });
        const title = svg('title');
        const name = b.of === 'events' ? `suggested: ${this.vocab.gradeLabels[category] || category}` : category;
        title.textContent = `${local(bin.start)} – ${local(bin.end)}: ${name} ${+bin.counts[category].toFixed(2)} (of ${+bin.total.toFixed(2)})`;
        bar.append(title);
        chart.append(bar);
      }
    }
    const since = state.filters.since && Date.parse(state.filters.since) / 1000;
    const until = state.filters.until && Date.parse(state.filters.until) / 1000;
    if (since || until) {
      const a = since ? Math.max(0, this.x(since, width)) : 0;
      const z = until ? Math.min(width, this.x(until, width)) : width;
      if (z > a) chart.append(svg('rect', { x: a, y: 0, width: z - a, height: HEIGHT, class: 'brushed' }));
    }
    if (this.playing) {
      const { start, step } = this.playing;
      chart.append(svg('rect', { x: this.x(start, width), y: 0, width: Math.max(2, this.x(start + step, width) - this.x(start, width)), height: HEIGHT, class: 'playing' }));
    }
    this.brushRect = svg('rect', { x: 0, y: 0, width: 0, height: HEIGHT, class: 'brushing' });
    chart.append(this.brushRect);
    box.replaceChildren(chart);
    const ends = b.bins.length ? `${local(b.start)} to ${local(b.end)}, bins of ${b.bin}` : 'no reports match';
    $('timeline-span').textContent = ends;
    $('timeline-note').textContent = [b.weight_note_message, b.grade_note_message].filter(Boolean).map(say).join(' ');
  }

  /** Seconds at a pixel of the chart. */
  timeAt(px) {
    const [from, to] = this.span();
    const width = $('timeline-chart').clientWidth || 600;
    return from + (Math.min(Math.max(px, 0), width) / width) * (to - from);
  }

  setUpBrushAndZoom() {
    const box = $('timeline-chart');
    let start = null;
    const px = (e) => e.clientX - box.getBoundingClientRect().left;
    box.addEventListener('pointerdown', (e) => {
      if (!this.span()) return;
      start = px(e);
      box.setPointerCapture(e.pointerId);
    });
    box.addEventListener('pointermove', (e) => {
      if (start === null || !this.brushRect) return;
      const x = px(e);
      this.brushRect.setAttribute('x', Math.min(start, x));
      this.brushRect.setAttribute('width', Math.abs(x - start));
    });
    box.addEventListener('pointerup', (e) => {
      if (start === null) return;
      const x = px(e);
      const [a, z] = [Math.min(start, x), Math.max(start, x)];
      start = null;
      // A click without a drag clears the brush.
      this.setBrush(z - a < 3 ? null : [Math.floor(this.timeAt(a)), Math.ceil(this.timeAt(z))]);
    });
    box.addEventListener('wheel', (e) => {
      const span = this.span();
      if (!span) return;
      e.preventDefault();
      const at = this.timeAt(px(e));
      const factor = e.deltaY > 0 ? 1.6 : 1 / 1.6;
      const from = Math.round(at - (at - span[0]) * factor);
      const to = Math.round(at + (span[1] - at) * factor);
      if (to - from < 3 * HOUR) return;
      state.timeline.tl_from = String(from);
      state.timeline.tl_to = String(to);
      this.refresh();
      this.onBrush(false);
    }, { passive: false });
  }

  /** Sets (or clears, with null) the brushed span `[from, to]` in epoch seconds. */
  setBrush(span) {
    if (span) {
      state.filters.since = isoSeconds(span[0]);
      state.filters.until = isoSeconds(span[1]);
    } else {
      delete state.filters.since;
      delete state.filters.until;
    }
    $('filters').dispatchEvent(new Event('timeline-brush'));
    if (this.body) this.draw();
    this.onBrush(true);
  }

  // ---- Playback. ----

  /** Starts (or resumes) playback through the brushed span, or the window shown. */
  async play() {
    if (this.playing) {
      this.playing.paused = false;
      this.schedule();
      return;
    }
    const since = state.filters.since && Date.parse(state.filters.since) / 1000;
    const until = state.filters.until && Date.parse(state.filters.until) / 1000;
    const span = since && until ? [since, until] : this.span();
    if (!span) return;
    const step = Number($('play-window').value);
    const p = filterParams();
    p.set('since', isoSeconds(span[0]));
    p.set('until', isoSeconds(span[1]));
    const { ok, body } = await getJson(layerUrl('points', p));
    if (!ok) return;
    this.map.getSource('playback').setData(body);
    for (const id of ['points', 'clusters', 'cluster-count', 'point-kind']) this.map.setLayoutProperty(id, 'visibility', 'none');
    this.map.setLayoutProperty('playback-points', 'visibility', 'visible');
    const first = Math.floor(span[0] / step) * step;
    this.playing = { start: first, end: span[1], step, paused: false, timer: null };
    $('play').textContent = 'Pause';
    $('play').setAttribute('aria-pressed', 'true');
    $('play-stop').hidden = false;
    this.show();
    this.schedule();
  }

  schedule() {
    const p = this.playing;
    clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      if (!this.playing || p.paused) return;
      if (p.start + p.step >= p.end) {
        this.pause();
        return;
      }
      p.start += p.step;
      this.show();
      this.schedule();
    }, Number($('play-speed').value));
  }

  /** Draws the reports of the current window, and the earlier windows fading. */
  show() {
    const { start, step } = this.playing;
    const end = start + step;
    const to = ['get', 'observed_to_s'];
    const opacity = ['case', ['>=', to, start], 0.95, ['>=', to, start - step], 0.5, ['>=', to, start - 2 * step], 0.28, 0.14];
    this.map.setFilter('playback-points', ['all', ['<', ['get', 'observed_from_s'], end], ['>=', to, start - FADING * step]]);
    this.map.setPaintProperty('playback-points', 'circle-opacity', opacity);
    const inZone = (t) => local(new Date((t + this.offsetSeconds) * 1000).toISOString());
    const label = `${inZone(start)} – ${inZone(end)} (UTC${this.offset})`;
    $('play-at').textContent = label;
    $('play-at').dataset.start = String(start);
    if (this.body) this.draw();
  }


  pause() {
    if (!this.playing) return;
    this.playing.paused = true;
    clearTimeout(this.playing.timer);
    $('play').textContent = 'Play';
    $('play').setAttribute('aria-pressed', 'false');
  }

  /** Ends playback and shows every matching report again. */
  stop() {
    if (!this.playing) return;
    clearTimeout(this.playing.timer);
    this.playing = null;
    this.map.setLayoutProperty('playback-points', 'visibility', 'none');
    for (const id of ['points', 'clusters', 'cluster-count', 'point-kind']) this.map.setLayoutProperty(id, 'visibility', 'visible');
    $('play').textContent = 'Play';
    $('play').setAttribute('aria-pressed', 'false');
    $('play-stop').hidden = true;
    $('play-at').textContent = '';
    if (this.body) this.draw();
  }
}

/** Shows the banner of a page that shows the past, with a link to the present. */
export function showAsOf() {
  const banner = $('as-of-banner');
  const at = state.filters.as_of;
  banner.hidden = !at;
  if (at) {
    $('as-of-when').textContent = at;
    const present = new URL(window.location.href);
    present.searchParams.delete('as_of');
    $('as-of-present').href = `${present.pathname}?${present.searchParams}`;
  }
  $('as-of').value = at ? at.slice(0, 16) : '';
}

/** Sets up the "as known on" control: applying a moment, or citing the present view. */
export function setUpAsOf() {
  showAsOf();
  const go = (iso) => {
    const next = new URL(window.location.href);
    if (iso) next.searchParams.set('as_of', iso);
    else next.searchParams.delete('as_of');
    window.location.href = `${next.pathname}?${next.searchParams}`;
  };
  $('as-of-apply').addEventListener('click', () => {
    const value = $('as-of').value;
    go(value ? `${value.length === 16 ? `${value}:00` : value}Z` : '');
  });
  $('as-of-cite').addEventListener('click', () => go(isoSeconds(Math.floor(Date.now() / 1000) - 1)));
}
