// The API client: every request of the page goes through here, and a request that fails is
// said on the page's error line, never ignored.

import { $ } from './dom.js';
import { setCatalogue } from './messages.js';

/** Shows a failure on the error line; an empty message hides the line. */
export function showError(message) {
  const line = $('error-line');
  if (!line) return;
  line.textContent = message || '';
  line.hidden = !message;
}

/**
 * Fetches JSON. Resolves to `{ ok, status, body }`; a network failure or an answer that is not
 * JSON is `{ ok: false, status: 0, body: {} }`. Unless `quiet`, a failure is shown on the
 * error line with the server's problem title and detail, and a success clears the line (a
 * quiet request leaves the line as it is either way).
 */
export async function getJson(url, options = {}, quiet = false) {
  let reply;
  try {
    reply = await fetch(url, options);
  } catch (e) {
    if (!quiet) showError(`Cannot reach the server (${e.message}).`);
    return { ok: false, status: 0, body: {} };
  }
  let body = {};
  try {
    body = await reply.json();
  } catch {
    body = {};
  }
  if (!reply.ok && !quiet) {
    showError(`${body.title || `Error ${reply.status}`}${body.detail ? `: ${body.detail}` : ''}`);
  } else if (reply.ok && !quiet) {
    showError('');
  }
  return { ok: reply.ok, status: reply.status, body };
}

/** The URL of a layer with its parameters. */
export function layerUrl(id, params) {
  return `/api/layers/${id}?${params || ''}`;
}

/**
 * The model's vocabularies with the map's colours and marks, the suggested grades with their
 * words and colours, the region (home country, focus neighbour, initial view), fetched once; the message
 * catalogue is handed to messages.js.
 */
export async function vocabulary() {
  const { ok, body } = await getJson('/api/vocabulary');
  if (!ok) throw new Error('the vocabularies could not be read');
  setCatalogue(body.messages);
  return {
    kinds: body.kinds.map((k) => k.id),
    kindMarks: Object.fromEntries(body.kinds.map((k) => [k.id, k.mark])),
    statuses: body.statuses.map((s) => s.id),
    statusColours: Object.fromEntries(body.statuses.map((s) => [s.id, s.colour])),
    sourceTypes: body.source_types,
    stances: body.stances,
    precisions: body.precisions,
    publicPrecisions: body.public_precisions,
    grades: body.grades.map((g) => g.id),
    gradeColours: Object.fromEntries(body.grades.map((g) => [g.id, g.colour])),
    gradeLabels: Object.fromEntries(body.grades.map((g) => [g.id, g.label || g.id])),
    homeCountry: body.region.home_country,
    focusNeighbour: body.region.focus_neighbour,
    initialView: body.region.initial_view,
  };
}
