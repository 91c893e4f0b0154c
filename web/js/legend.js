// The legend: what the colours, rings, marks and lines mean.

import { $, el } from './dom.js';

/** Fills `#legend` from the vocabularies. */
export function drawLegend(vocab) {
  const box = $('legend');
  box.append(el('strong', 'Status'));
  for (const s of vocab.statuses) {
    const row = el('div');
    const sw = el('span', null, 'swatch');
    sw.style.background = vocab.statusColours[s];
    row.append(sw, s);
    box.append(row);
  }
  const ring = el('div');
  ring.append(el('span', null, 'swatch ring'), 'province or country precision (not a fix)');
  box.append(ring);
  box.append(el('div', `Kinds: ${vocab.kinds.map((k) => `${vocab.kindMarks[k]} ${k}`).join(', ')}`, 'muted'));
  box.append(el('div', 'Thick lines: land borders (orange: the focus neighbour); blue: the coast.', 'muted'));
  box.append(el('strong', 'Events: suggested grade (how the claims are sourced)'));
  for (const grade of vocab.grades) {
    const row = el('div');
    const sw = el('span', null, 'swatch');
    sw.style.background = vocab.gradeColours[grade];
    sw.dataset.grade = grade;
    row.append(sw, vocab.gradeLabels[grade] || grade);
    box.append(row);
  }
  box.append(el('div', 'The number on an event: its independent asserting origins. A suggestion from the sources, not a finding.', 'muted'));
}
