// The web map in a real browser (Debian's Chromium, driven by playwright-core), against a
// running sightmap: `node tests/web/map.mjs http://127.0.0.1:PORT ARTIFACT_DIR`.
// tests/web_map.rs starts the server and runs this; it exits non-zero on the first failure.

import { launch } from './browser.mjs';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';

const base = process.argv[2];
const artifacts = process.argv[3] || 'target/web-artifacts';
mkdirSync(artifacts, { recursive: true });

const XSS = '<img src=x onerror="window.__x=1">';

async function post(report) {
  const reply = await fetch(`${base}/api/reports`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(report),
  });
  const text = await reply.text();
  assert.equal(reply.status, 201, text);
  return JSON.parse(text);
}

const source = [{ name: 'a resident', type: 'civilian', stance: 'asserts' }];
// Known reports: Rasht (disputed strike), Astara (Iran, a drone with hostile text), Lahijan
// (sound), and a province-precision claim for Ardabil.
const rasht = await post({ kind: 'strike', description: 'a strike in the city of Rasht', lat: 37.27611, lon: 49.58862, precision: 'place', status: 'disputed', observed: { from: '2025-06-14T01:00:00Z' }, sources: source });
const astara = await post({ kind: 'drone', description: XSS, lat: 38.43084, lon: 48.86994, precision: 'place', observed: { from: '2025-06-15T21:00:00Z' }, sources: source });
await post({ kind: 'sound', description: 'loud jets over Lahijan', lat: 37.2071, lon: 50.0041, observed: { from: '2025-06-16T22:00:00Z' }, sources: source });
await post({ kind: 'drone', description: 'drones behind the mountains', location: { text: 'Ardabil province' }, observed: { from: '2025-06-20T10:00:00Z' }, sources: source });

const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
const errors = [];
const outside = [];
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
page.on('pageerror', (e) => errors.push(String(e)));
page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
page.on('request', (r) => {
  const u = new URL(r.url());
  if (!['blob:', 'data:'].includes(u.protocol) && u.hostname !== '127.0.0.1') outside.push(r.url());
});

async function idle() {
  await page.waitForFunction(() => window.sightmap && window.sightmap.map.loaded() && !window.sightmap.map.isMoving(), null, { timeout: 30000 });
  await page.evaluate(() => new Promise((resolve) => {
    const m = window.sightmap.map;
    if (m.areTilesLoaded()) m.once('idle', resolve); else m.once('idle', resolve);
    m.triggerRepaint();
  }));
}

async function rendered(layers) {
  return page.evaluate((ls) => window.sightmap.map.queryRenderedFeatures({ layers: ls }).map((f) => ({ props: f.properties, coords: f.geometry.coordinates })), layers);
}

// The base map draws before the reports and the layer catalogue arrive: with both held back,
// the countries, the sea and the borders are on the map and the reports' layers are not yet.
// The grade colours come from the vocabulary: one changed there is the one the page draws.
{
  const early = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  early.on('pageerror', (e) => errors.push(String(e)));
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const hold = async (route) => { await held; await route.continue(); };
  await early.route('**/api/layers', hold);
  await early.route('**/api/layers/points?*', hold);
  await early.route('**/api/reports?*', hold);
  await early.route('**/api/vocabulary', async (route) => {
    const reply = await route.fetch();
    const body = await reply.json();
    body.grades.find((g) => g.id === 'asserted_and_denied').colour = '#123456';
    await route.fulfill({ response: reply, json: body });
  });
  await early.goto(`${base}/?lat=38.2&lon=48.9&z=6`);
  await early.waitForFunction(() => {
    const m = window.sightmap && window.sightmap.map;
    return m && m.getLayer('countries-fill') && m.isSourceLoaded('countries') && m.isSourceLoaded('sea') && m.isSourceLoaded('border')
      && m.queryRenderedFeatures({ layers: ['countries-fill', 'sea-fill', 'border-line'] }).length > 0;
  }, null, { timeout: 30000 });
  const before = await early.evaluate(() => {
    const m = window.sightmap.map;
    const layers = (ids) => [...new Set(m.queryRenderedFeatures({ layers: ids }).map((f) => f.layer.id))].sort();
    return { base: layers(['countries-fill', 'sea-fill', 'border-line']), reports: Boolean(m.getSource('reports')), ready: document.body.dataset.ready };
  });
  assert.deepEqual(before.base, ['border-line', 'countries-fill', 'sea-fill'], JSON.stringify(before));
  assert.equal(before.reports, false, 'the reports are not drawn before they arrive');
  assert.notEqual(before.ready, '1');
  await early.screenshot({ path: `${artifacts}/0-base-first.png` });
  release();
  await early.waitForFunction(() => document.body.dataset.ready === '1' && window.sightmap.map.getSource('reports'), null, { timeout: 30000 });
  // The colour changed in the vocabulary is the map's, the legend's and nothing else's.
  const fill = await early.evaluate(() => JSON.stringify(window.sightmap.map.getPaintProperty('events-fill', 'fill-color')));
  assert.ok(fill.includes('"asserted_and_denied","#123456"'), fill);
  const swatch = await early.evaluate(() => getComputedStyle(document.querySelector('#legend .swatch[data-grade="asserted_and_denied"]')).backgroundColor);
  assert.equal(swatch, 'rgb(18, 52, 86)');
  // The legend names each grade in its words, which are no report status's.
  const legend = await early.textContent('#legend');
  for (const words of ['several origins', 'several origins, placed vaguely', 'one origin', 'asserted and denied', 'no assertion']) {
    assert.ok(legend.includes(words), `${words} in the legend`);
  }
  // The form's stances and public levels are the vocabulary's.
  const stances = await early.$$eval('#add-form [name=stance] option', (os) => os.map((o) => o.value));
  assert.deepEqual(stances, ['asserts', 'denies', 'investigating']);
  const levels = await early.$$eval('#add-form [name=public_precision] option', (os) => os.map((o) => o.value));
  assert.deepEqual(levels, ['', 'place', 'province', 'country']);
  await early.close();
}

const started = Date.now();
await page.goto(`${base}/?lat=37.8&lon=49.2&z=6.5`);
await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 30000 });
await idle();
console.log(`first render in ${Date.now() - started} ms`);
await page.screenshot({ path: `${artifacts}/1-overview.png` });

// Clusters or points render for the known reports.
const drawn = await rendered(['clusters', 'points']);
const count = drawn.reduce((n, f) => n + (f.props.point_count || 1), 0);
assert.ok(count >= 4, `expected the 4 known reports (and the sample) drawn, got ${count}`);

// Zoom to Rasht: the report is a point; a click opens its popup with its sources.
await page.evaluate(() => window.sightmap.map.jumpTo({ center: [49.58862, 37.27611], zoom: 11 }));
await idle();
const points = await rendered(['points']);
const rashtPoint = points.find((f) => f.props.id === rasht.id);
assert.ok(rashtPoint, `Rasht report not drawn: ${JSON.stringify(points.map((p) => p.props.id))}`);
const xy = await page.evaluate((c) => window.sightmap.map.project(c), rashtPoint.coords);
const box = await page.locator('#map').boundingBox();
await page.mouse.click(box.x + xy.x, box.y + xy.y);
await page.waitForSelector('.maplibregl-popup .popup', { timeout: 10000 });
const popupText = await page.textContent('.maplibregl-popup .popup');
assert.match(popupText, /a strike in the city of Rasht/);
assert.match(popupText, /disputed/);
assert.match(popupText, /a resident/);
assert.match(popupText, /Border \(AZ\)/);
await page.screenshot({ path: `${artifacts}/2-popup.png` });

// Hostile text shows as text and runs nothing, in the popup and the list.
await page.evaluate(() => window.sightmap.map.jumpTo({ center: [48.86994, 38.43084], zoom: 11 }));
await idle();
const astaraPoint = (await rendered(['points'])).find((f) => f.props.id === astara.id);
assert.ok(astaraPoint, 'Astara report not drawn');
const axy = await page.evaluate((c) => window.sightmap.map.project(c), astaraPoint.coords);
await page.mouse.click(box.x + axy.x, box.y + axy.y);
await page.waitForFunction((t) => document.querySelector('.maplibregl-popup .popup')?.textContent.includes(t), XSS, { timeout: 10000 });
await page.waitForFunction((t) => document.getElementById('list').textContent.includes(t), XSS, { timeout: 10000 });
assert.equal(await page.evaluate(() => window.__x), undefined, 'the description ran as code');
assert.equal(await page.locator('#map img[src="x"], #list img, .maplibregl-popup img').count(), 0);

// A filter changes what shows: only disputed reports remain.
await page.evaluate(() => window.sightmap.map.jumpTo({ center: [49.2, 37.8], zoom: 6.5 }));
await idle();
await page.check('#status input[value=disputed]');
await page.waitForFunction(() => new URL(location.href).searchParams.get('status') === 'disputed');
await page.waitForTimeout(500);
await idle();
const filtered = await page.evaluate(async () => {
  const m = window.sightmap.map;
  const src = m.getSource('reports');
  const all = await src.getData();
  return all.features.map((f) => f.properties.status);
});
assert.ok(filtered.length >= 1 && filtered.every((s) => s === 'disputed'), `filtered: ${filtered}`);
await page.waitForFunction(() => [...document.querySelectorAll('#list li')].every((li) => li.textContent.startsWith('disputed')));
await page.screenshot({ path: `${artifacts}/3-filtered.png` });
await page.uncheck('#status input[value=disputed]');
await page.waitForFunction(() => !new URL(location.href).searchParams.get('status'));

// The radius tool lists the reports within the circle: 40 km around a point between Rasht
// and Lahijan holds both but not Astara, exactly as the API's radius query does.
await page.evaluate(() => { document.querySelectorAll('details').forEach((d) => { d.open = true; }); });
await page.fill('#radius-km', '40');
await page.click('#radius-tool');
await page.evaluate(() => window.sightmap.map.jumpTo({ center: [49.7, 37.25], zoom: 8 }));
await idle();
const centre = await page.evaluate(() => window.sightmap.map.project([49.7, 37.25]));
await page.mouse.click(box.x + centre.x, box.y + centre.y);
await page.waitForFunction(() => document.getElementById('list-title').textContent.startsWith('Within 40 km'));
const within = await page.$$eval('#list li', (lis) => lis.map((li) => li.dataset.id));
assert.ok(within.includes(rasht.id), 'Rasht within 40 km');
assert.ok(!within.includes(astara.id), 'Astara is 150 km away');
const reference = await (await fetch(`${base}/api/reports?lat=37.25&lon=49.7&radius_km=40`)).json();
assert.deepEqual([...within].sort(), reference.features.map((f) => f.id).sort());
await page.screenshot({ path: `${artifacts}/4-radius.png` });
await page.click('#radius-tool');

// Search moves the map and the URL.
await page.fill('#search-input', 'Bandar-e Anzali');
await page.press('#search-input', 'Enter');
await page.waitForFunction(() => {
  const c = window.sightmap.map.getCenter();
  return Math.abs(c.lng - 49.46) < 0.05 && Math.abs(c.lat - 37.47) < 0.05 && !window.sightmap.map.isMoving();
}, null, { timeout: 15000 });
await page.waitForFunction(() => Math.abs(Number(new URL(location.href).searchParams.get('lat')) - 37.47) < 0.05);
// An ambiguous name offers a choice.
await page.fill('#search-input', 'Astara');
await page.press('#search-input', 'Enter');
await page.waitForFunction(() => document.querySelectorAll('#search-choices button').length >= 2);
await page.screenshot({ path: `${artifacts}/5-search.png` });

// The URL reproduces the view: a new page at the same address opens at the same place.
const shared = page.url();
const again = await browser.newPage();
await again.goto(shared);
await again.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 30000 });
const c2 = await again.evaluate(() => window.sightmap.map.getCenter());
assert.ok(Math.abs(c2.lat - 37.47) < 0.05, `shared view at ${JSON.stringify(c2)}`);
await again.close();

// Buffers and links draw.
await page.check('input[name=border_buffer][value="25"]');
await page.check('input[name=links]');
await page.evaluate(() => window.sightmap.map.jumpTo({ center: [48.5, 38.8], zoom: 7 }));
await page.waitForTimeout(1500);
await idle();
assert.ok((await rendered(['border-buffer-fill'])).length > 0, 'border buffer drawn');
assert.ok((await rendered(['links-line'])).length > 0, 'links drawn');
await page.screenshot({ path: `${artifacts}/6-buffers.png` });

// Export downloads exactly the reports matching the filters.
await page.check('#kind input[value=drone]');
await page.waitForFunction(() => new URL(location.href).searchParams.get('kind') === 'drone');
// The export link is the server's streaming export with the filters.
const exportHref = new URL(await page.getAttribute('#export', 'href'), base);
assert.equal(exportHref.pathname, '/api/export');
assert.equal(exportHref.searchParams.get('kind'), 'drone');
assert.equal(exportHref.searchParams.get('format'), 'geojson');
const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
const exported = JSON.parse(await (await import('node:fs/promises')).readFile(await download.path(), 'utf8'));
const drones = await (await fetch(`${base}/api/reports?kind=drone&limit=10000`)).json();
assert.deepEqual(exported.features.map((f) => f.id).sort(), drones.features.map((f) => f.id).sort());
assert.ok(exported.features.length >= 2 && exported.features.every((f) => f.properties.kind === 'drone'));
await page.uncheck('#kind input[value=drone]');

// The sample claims (the server here starts without them), for the duplicate warning and the
// events below.
const sample = JSON.parse(await (await import('node:fs/promises')).readFile(new URL('../../data/sample-reports.geojson', import.meta.url), 'utf8'));
for (const feature of sample.features) await post(feature);

// Adding a report from the form, with place text the server geocodes.
await page.fill('#add-form [name=place]', 'eastern Gilan');
await page.selectOption('#add-form [name=kind]', 'light');
await page.fill('#add-form [name=description]', 'lights over the hills, seen from the road');
await page.fill('#add-form [name=from]', '2025-06-18T21:30');
await page.fill('#add-form [name=source]', 'a driver');
await page.click('#add-form button[type=submit]');
// The sample's sound heard in eastern Gilan over the same days may be the same report: the
// form says so before sending, and sending again adds it.
await page.waitForFunction(() => !document.getElementById('duplicates').hidden, null, { timeout: 10000 });
const warning = await page.textContent('#duplicates');
assert.match(warning, /may be the same report/);
assert.match(warning, /sound/);
assert.equal((await (await fetch(`${base}/api/reports?kind=light&q=hills`)).json()).numberMatched, 0, 'nothing is stored before the reporter confirms');
await page.screenshot({ path: `${artifacts}/7-duplicates.png` });
await page.click('#add-form button[type=submit]');
await page.waitForFunction(() => document.getElementById('add-result').textContent.startsWith('Added'), null, { timeout: 10000 });
assert.ok(await page.locator('#duplicates').isHidden());
const lights = await (await fetch(`${base}/api/reports?kind=light&q=hills`)).json();
assert.equal(lights.numberMatched, 1);
assert.equal(lights.features[0].properties.province, 'Gilan');
assert.equal(lights.features[0].properties.location_text, 'eastern Gilan');

// Events: footprints drawn, coloured by suggested grade with their origins; a report's popup
// links to its event, whose panel lists each source with its stance, grouped by origin. The
// panel of the sample's strike in Rasht shows what the API says of its event.
await page.check('input[name=events]');
await page.evaluate(() => window.sightmap.map.jumpTo({ center: [49.6, 37.3], zoom: 8 }));
await page.waitForTimeout(800);
await idle();
const footprints = await rendered(['events-fill']);
assert.ok(footprints.length > 0, 'event footprints drawn');
assert.ok(footprints.every((f) => f.props.suggested_grade), 'each footprint has a suggested grade');
const sampleRasht = (await (await fetch(`${base}/api/reports?q=struck&limit=10`)).json()).features
  .find((f) => f.properties.location_text && f.properties.location_text.startsWith('Rasht'));
assert.ok(sampleRasht, 'the sample strike in Rasht');
await page.evaluate((id) => window.sightmap.events.open(id), sampleRasht.properties.event_id);
await page.waitForSelector('#event-panel:not([hidden]) .origin', { timeout: 10000 });
const panel = await page.textContent('#event-panel');
const shown = (await (await fetch(`${base}/api/events/${sampleRasht.properties.event_id}`)).json()).properties;
// The grade in its words, as the vocabulary gives them for the event's grade id.
const grades = (await (await fetch(`${base}/api/vocabulary`)).json()).grades;
// Dated only "during the war", the sample's strike supports the event of the precise strike
// in Rasht this script stored before it: one origin places it precisely, the sample's others
// only vaguely.
assert.equal(shown.suggested_grade, 'several_origins_placed_vaguely');
assert.equal(shown.core_reports, 1);
assert.ok(panel.includes(`suggested: ${grades.find((g) => g.id === shown.suggested_grade).label}`), panel);
assert.ok(panel.includes('Tehran Times'), panel);
const oneOutlet = shown.grade_reason_messages.find((m) => m.code === 'grade.reason.one_outlet');
if (oneOutlet) assert.ok(panel.includes('every asserting origin reached us through one outlet (Tehran Times)'), panel);
assert.match(panel, /if these accounts are accurate/);
assert.ok(panel.includes(`${shown.asserting_origins} independent asserting`), panel);
// The grade's reasons and note are rendered from their codes and parameters, and say what
// the server's English text says.
for (const reason of shown.grade_reasons) assert.ok(panel.includes(reason), `${reason} in the panel`);
const codes = await page.$$eval('#event-panel .reasons li', (lis) => lis.map((li) => li.dataset.code));
assert.deepEqual(codes, shown.grade_reason_messages.map((m) => m.code));
assert.ok(panel.includes(shown.grade_note), 'the grade note');
// Each origin is listed once, with its sources and their stances.
for (const group of shown.origins) assert.ok(panel.includes(group.origin), `${group.origin} in the panel`);
assert.equal(await page.locator('#event-panel .origin').count(), shown.origins.length);
assert.match(panel, /A resident of eastern Gilan/);
assert.match(panel, /Tehran Times/);
assert.match(panel, /relaying the accounts above/);
await page.screenshot({ path: `${artifacts}/8-event.png` });
// From a report's popup to its event.
await page.click('#event-close');
await page.evaluate((id) => window.sightmap.map.jumpTo({ center: [49.58862, 37.27611], zoom: 11 }), null);
await idle();
const rp = (await rendered(['points'])).find((f) => f.props.id === rasht.id);
const rxy = await page.evaluate((c) => window.sightmap.map.project(c), rp.coords);
await page.mouse.click(box.x + rxy.x, box.y + rxy.y);
await page.waitForSelector('.maplibregl-popup .event-link', { timeout: 10000 });
await page.click('.maplibregl-popup .event-link');
await page.waitForSelector('#event-panel:not([hidden]) .origin', { timeout: 10000 });
assert.match(await page.textContent('#event-panel'), /a resident/);

assert.deepEqual(outside, [], `requests left 127.0.0.1: ${outside}`);
assert.deepEqual(errors, [], `console errors: ${errors.join('\n')}`);

// A request that fails is said on the page's error line, with the server's problem, not
// ignored (checked last: the failure below is on purpose).
await page.route('**/api/reports?*', (route) => route.fulfill({
  status: 503,
  contentType: 'application/problem+json',
  body: JSON.stringify({ type: '/problems/unavailable', title: 'Service unavailable', status: 503, detail: 'the store cannot be reached' }),
}));
await page.evaluate(() => window.sightmap.map.jumpTo({ center: [49.1, 37.4], zoom: 7.3 }));
await page.waitForFunction(() => {
  const line = document.getElementById('error-line');
  return line && !line.hidden && line.textContent.includes('the store cannot be reached');
}, null, { timeout: 10000 });
await page.unroute('**/api/reports?*');
await browser.close();
console.log('web map: all checks passed');
