// The map's tools. One `mode` says what a click on the map does: 'browse' (open a report,
// expand a cluster), 'radius' (pick a search centre) or 'point' (pick a new report's point).

import { getJson } from './api.js';
import { $, el } from './dom.js';
import { drawRadius } from './map.js';
import { filterParams } from './state.js';

/** A geodesic circle on the sphere, near enough to draw. */
function circle(lon, lat, metres) {
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

/** The tools over one map and list; `onAdded` runs after a report is added. */
export class Tools {
  constructor(map, list, vocab, onAdded) {
    this.map = map;
    this.list = list;
    this.onAdded = onAdded;
    /** What a click on the map does. */
    this.mode = 'browse';
    this.centre = null;
    this.point = null;
    this.setUpClicks();
    this.setUpRadius();
    this.setUpSearch();
    this.refreshExport();
    this.setUpAdd(vocab);
  }

  setMode(mode) {
    this.mode = mode;
    this.map.getCanvas().classList.toggle('picking', mode !== 'browse');
  }

  setUpClicks() {
    const map = this.map;
    map.on('click', (e) => {
      const at = [e.lngLat.lng, e.lngLat.lat];
      if (this.mode === 'radius') {
        this.setMode('browse');
        this.centre = at;
        $('radius-tool').textContent = 'Clear the radius';
        this.runRadius();
      } else if (this.mode === 'point') {
        this.setMode('browse');
        this.point = at;
        $('picked').textContent = `${at[1].toFixed(5)}, ${at[0].toFixed(5)}`;
      }
    });
    map.on('click', 'points', (e) => {
      if (this.mode !== 'browse') return;
      const f = e.features[0];
      this.list.open(f.properties.id, f.geometry.coordinates.slice());
    });
    map.on('click', 'clusters', async (e) => {
      if (this.mode !== 'browse') return;
      const f = e.features[0];
      const zoom = await map.getSource('reports').getClusterExpansionZoom(f.properties.cluster_id);
      map.easeTo({ center: f.geometry.coordinates, zoom });
    });
    for (const layer of ['points', 'clusters']) {
      map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
    }
  }

  // ---- Radius: click a centre, list what lies within the radius. ----

  setUpRadius() {
    const button = $('radius-tool');
    button.addEventListener('click', () => {
      if (this.centre) {
        this.centre = null;
        drawRadius(this.map, null);
        button.textContent = 'Pick a centre';
        button.setAttribute('aria-pressed', 'false');
        this.onAdded.refreshList();
        return;
      }
      this.setMode('radius');
      button.textContent = 'Click the map…';
      button.setAttribute('aria-pressed', 'true');
    });
    $('radius-km').addEventListener('change', () => { if (this.centre) this.runRadius(); });
  }

  /** Whether a radius search holds the list. */
  hasRadius() {
    return this.centre !== null;
  }

  runRadius() {
    const [lon, lat] = this.centre;
    const kmValue = Math.min(500, Math.max(1, Number($('radius-km').value) || 25));
    drawRadius(this.map, circle(lon, lat, kmValue * 1000));
    const p = filterParams();
    p.set('lat', lat.toFixed(6));
    p.set('lon', lon.toFixed(6));
    p.set('radius_km', String(kmValue));
    p.set('limit', '500');
    this.list.show(p, `Within ${kmValue} km`);
  }

  // ---- Place search. ----

  setUpSearch() {
    const choices = $('search-choices');
    const goTo = (feature) => {
      choices.hidden = true;
      const [lon, lat] = feature.geometry.coordinates;
      const zoom = { exact: 12, place: 11, near: 10, region: 8, province: 7, country: 5 }[feature.properties.precision] || 10;
      this.map.flyTo({ center: [lon, lat], zoom });
    };
    $('search').addEventListener('submit', async (e) => {
      e.preventDefault();
      const q = $('search-input').value.trim();
      if (!q) return;
      const { ok, body } = await getJson(`/api/geocode?q=${encodeURIComponent(q)}&limit=5`);
      choices.replaceChildren();
      if (!ok || !body.features || body.features.length === 0) {
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
        goTo(body.features[0]);
        choices.hidden = false;
        return;
      }
      goTo(body.features[0]);
    });
  }

  // ---- Export what is shown: every report matching the filters, streamed by the server. ----

  /** Points the export link at `/api/export` with the current filters. */
  refreshExport() {
    const p = filterParams();
    p.set('format', 'geojson');
    $('export').href = `/api/export?${p}`;
  }

  // ---- Adding a report. ----

  /** Shows the stored reports a new one may duplicate, before it is sent. */
  showDuplicates(list) {
    const box = $('duplicates');
    box.replaceChildren(el('strong', 'These may be the same report:'));
    const items = el('ul');
    for (const d of list) {
      const li = el('li');
      li.append(`${d.kind}, ${d.status}, ${d.distance_km} km away${d.shares_origin ? ', same source' : ''}: `, el('span', d.description.length > 100 ? `${d.description.slice(0, 100)}…` : d.description));
      li.dataset.id = d.id;
      items.append(li);
    }
    box.append(items, el('div', 'Send again to add it anyway.', 'muted'));
    box.hidden = false;
  }

  setUpAdd(vocab) {
    const form = $('add-form');
    for (const k of vocab.kinds) form.kind.append(el('option', k));
    for (const t of vocab.sourceTypes) form.source_type.append(el('option', t));
    for (const s of vocab.stances) form.stance.append(el('option', s));
    // The levels a location may be shown at to the public, after "the exact point".
    const shownAs = { place: 'only the nearest town' };
    for (const level of vocab.publicPrecisions) {
      const option = el('option', shownAs[level] || `only the ${level}`);
      option.value = level;
      form.public_precision.append(option);
    }
    $('pick-point').addEventListener('click', () => this.setMode('point'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const report = {
        kind: form.kind.value,
        description: form.description.value,
        observed: { from: new Date(form.from.value).toISOString() },
        sources: [{ name: form.source.value, type: form.source_type.value, stance: form.stance.value }],
      };
      if (form.to.value) report.observed.to = new Date(form.to.value).toISOString();
      if (form.public_precision.value) report.public_precision = form.public_precision.value;
      if (this.point) {
        report.lon = this.point[0];
        report.lat = this.point[1];
        if (form.place.value) report.location_text = form.place.value;
      } else {
        report.location = { text: form.place.value };
      }
      const headers = { 'Content-Type': 'application/json' };
      if (form.token.value) headers.Authorization = `Bearer ${form.token.value}`;
      // Before the first send, the reports it may duplicate are shown; sending again is
      // allowed.
      const text = JSON.stringify(report);
      if (this.checked !== text) {
        const check = await getJson('/api/possible-duplicates', { method: 'POST', headers, body: text }, true);
        if (check.ok && check.body.possible_duplicates.length) {
          this.checked = text;
          this.showDuplicates(check.body.possible_duplicates);
          return;
        }
      }
      this.checked = null;
      $('duplicates').hidden = true;
      // A refusal is said beside the form, with the field to fix, not on the error line.
      const { ok, status, body } = await getJson('/api/reports', { method: 'POST', headers, body: JSON.stringify(report) }, true);
      if (ok) {
        $('add-result').textContent = `Added: ${body.properties.status} ${body.properties.kind}.`;
        this.point = null;
        $('picked').textContent = '';
        this.onAdded.refreshReports();
      } else {
        $('add-result').textContent = body.detail || `Refused (${status}).`;
      }
    });
  }
}
