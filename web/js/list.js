// The list of reports (in view, or within the radius) and each report's popup: the whole
// claim, with every source and its stance, its status shown as a badge.

import { getJson } from './api.js';
import { $, el } from './dom.js';
import { asOfQuery } from './state.js';

function km(v) {
  return v === null || v === undefined ? 'unknown' : `${Number(v).toFixed(1)} km`;
}

/** Lists reports and opens them on the map. */
export class ReportList {
  constructor(map, popup, vocab) {
    this.map = map;
    this.popup = popup;
    this.vocab = vocab;
    this.listed = [];
    /** Called with an event id when the popup's event link is followed. */
    this.onEvent = null;
    $('sort').addEventListener('change', () => this.render());
  }

  /** A status badge, coloured as the map colours the status. */
  badge(status) {
    const b = el('span', status, `badge status-${status}`);
    b.style.background = this.vocab.statusColours[status] || '#5f6b7a';
    return b;
  }

  details(feature) {
    const p = feature.properties;
    const box = el('div', null, 'popup');
    const title = el('h3');
    title.append(this.badge(p.status), `${p.kind}`);
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
      li.append(el('strong', s.name), ` (${s.type}) ${s.stance}${s.via ? ` · via ${s.via}` : ''}`);
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
    if (p.event_id && this.onEvent) {
      const link = el('button', 'Show the event it may belong to (reports that may describe the same occurrence)', 'link event-link');
      link.type = 'button';
      link.dataset.event = p.event_id;
      link.addEventListener('click', () => this.onEvent(p.event_id));
      box.append(link);
    }
    return box;
  }

  /** Opens a report's popup at `lngLat` (or at its point). */
  async open(id, lngLat) {
    const { ok, body } = await getJson(`/api/reports/${encodeURIComponent(id)}${asOfQuery()}`);
    if (!ok) return;
    const at = lngLat || body.geometry.coordinates;
    this.popup.setLngLat(at).setDOMContent(this.details(body)).addTo(this.map);
  }

  /** Lists the reports of a query to `/api/reports`, under `title`. */
  async show(query, title) {
    const { ok, body } = await getJson(`/api/reports?${query}`);
    if (!ok) return;
    this.listed = body.features;
    const more = body.numberMatched > body.numberReturned ? ` (first ${body.numberReturned} of ${body.numberMatched})` : ` (${body.numberMatched})`;
    $('list-title').textContent = `${title}${more}`;
    this.render();
  }

  render() {
    const order = $('sort').value;
    const statuses = this.vocab.statuses;
    const by = {
      newest: (a, b) => b.properties.observed_from.localeCompare(a.properties.observed_from),
      oldest: (a, b) => a.properties.observed_from.localeCompare(b.properties.observed_from),
      status: (a, b) => statuses.indexOf(a.properties.status) - statuses.indexOf(b.properties.status),
      kind: (a, b) => a.properties.kind.localeCompare(b.properties.kind),
      border: (a, b) => (a.properties.border_distance_km ?? 1e9) - (b.properties.border_distance_km ?? 1e9),
    }[order];
    const list = $('list');
    list.replaceChildren();
    for (const f of [...this.listed].sort(by)) {
      const p = f.properties;
      const li = el('li');
      li.tabIndex = 0;
      li.dataset.id = f.id;
      li.append(this.badge(p.status), el('strong', p.kind), ' ');
      li.append(el('span', p.observed_from.slice(0, 16).replace('T', ' '), 'muted'));
      const place = [p.location_text, p.province].filter(Boolean).join(', ');
      if (place) li.append(el('div', place, 'muted'));
      li.append(el('div', p.description.length > 140 ? `${p.description.slice(0, 140)}…` : p.description));
      const go = () => {
        this.map.flyTo({ center: f.geometry.coordinates, zoom: Math.max(this.map.getZoom(), 10) });
        this.open(f.id, f.geometry.coordinates);
      };
      li.addEventListener('click', go);
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
      list.append(li);
    }
  }
}
