// Events: groups of reports that may describe one occurrence. The map draws their footprints,
// coloured by the *suggested* grade, with the number of independent asserting origins; the
// panel lists an event's members, each source with its stance, grouped by origin. Every
// figure is the geometry of claims ("if these accounts are accurate"), never a finding.

import { getJson } from './api.js';
import { $, el } from './dom.js';
import { say } from './messages.js';
import { asOfQuery } from './state.js';

/** A MapLibre expression colouring features by their `suggested_grade` (colours from the vocabulary). */
export function gradeColour(vocab) {
  return ['match', ['get', 'suggested_grade'], ...vocab.grades.flatMap((g) => [g, vocab.gradeColours[g]]), '#868e96'];
}

/** The badge of a suggested grade, in its words (its id for a grade the page does not know). */
function gradeBadge(grade, vocab) {
  const b = el('span', `suggested: ${vocab.gradeLabels[grade] || grade}`, 'badge grade');
  b.dataset.grade = grade;
  b.style.background = vocab.gradeColours[grade] || '#868e96';
  return b;
}

/** The event panel, beside the list. */
export class EventPanel {
  /** `openReport(id)` opens a member's popup. */
  constructor(openReport, vocab) {
    this.openReport = openReport;
    this.vocab = vocab;
    $('event-close').addEventListener('click', () => this.close());
  }

  close() {
    $('event-panel').hidden = true;
  }

  /** Shows event `id`. */
  async open(id) {
    const { ok, body } = await getJson(`/api/events/${encodeURIComponent(id)}${asOfQuery()}`);
    if (!ok) return;
    const p = body.properties;
    const box = $('event-body');
    box.replaceChildren();
    const title = el('h3');
    title.append(gradeBadge(p.suggested_grade, this.vocab), `${p.kinds.join(', ')}`);
    box.append(title);
    // The server's sentences, from their codes and parameters (their text if a code is new).
    box.append(el('p', say(p.grade_note_message) || p.grade_note, 'muted note'));
    const reasons = el('ul', null, 'reasons');
    const coded = p.grade_reason_messages || p.grade_reasons.map((text) => ({ text }));
    for (const r of coded) {
      const li = el('li', say(r));
      if (r.code) li.dataset.code = r.code;
      reasons.append(li);
    }
    box.append(reasons);
    box.append(el('p', `${p.reports} report${p.reports === 1 ? '' : 's'} (${p.core_reports} placed precisely, ${p.supporting_reports} vaguer${p.private_reports ? `, ${p.private_reports} with a private location` : ''}) · ${p.asserting_origins} independent asserting, ${p.denying_origins} denying, ${p.investigating_origins} investigating origin(s) · ${p.outlets} outlet(s)`, 'muted counts'));
    const when = p.observed_from === p.observed_to ? p.observed_from : `${p.observed_from} – ${p.observed_to}`;
    box.append(el('p', `Observed ${when}`, 'muted'));
    box.append(el('p', 'Sources, by origin:', 'muted'));
    const origins = el('ul', null, 'origins');
    for (const group of p.origins) {
      const li = el('li', null, 'origin');
      li.append(el('strong', group.origin));
      if (group.relays_only) li.append(' ', el('span', '(an outlet relaying the accounts above in these reports, not an origin in them)', 'muted'));
      const sources = el('ul');
      for (const s of group.sources) {
        const item = el('li', null, 'source');
        item.append(el('span', s.stance, `stance stance-${s.stance}`), ` ${s.name} (${s.type})${s.via ? ` via ${s.via}` : ''} `);
        const link = el('button', 'report', 'link');
        link.type = 'button';
        link.addEventListener('click', () => this.openReport(s.report));
        item.append(link);
        if (s.statement) item.append(el('div', `“${s.statement}”`, 'muted'));
        sources.append(item);
      }
      li.append(sources);
      origins.append(li);
    }
    box.append(origins);
    $('event-panel').hidden = false;
    $('event-panel').dataset.id = id;
  }
}
