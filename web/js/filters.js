// The filter form (observation time, kind, status, source type) and the layer toggles, read
// into the page's state; `onChange` runs after each change.

import { $, el } from './dom.js';
import { state } from './state.js';

function checkboxes(fieldsetId, values) {
  const fieldset = $(fieldsetId);
  const chosen = (state.filters[fieldsetId] || '').split(',').filter(Boolean);
  for (const v of values) {
    const label = el('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = fieldsetId;
    box.value = v;
    box.checked = chosen.includes(v);
    label.append(box, ` ${v}`);
    fieldset.append(label);
  }
}

/** Builds the filter form from the vocabularies and calls `onChange` when it changes. */
export function setUpFilters(vocab, onChange) {
  checkboxes('kind', vocab.kinds);
  checkboxes('status', vocab.statuses);
  checkboxes('source_type', vocab.sourceTypes);
  const form = $('filters');
  // The date inputs show the day of a span brushed on the timeline, which the filters keep
  // to the second while the day shown is unchanged.
  const showDates = () => {
    form.since.value = (state.filters.since || '').slice(0, 10);
    form.until.value = (state.filters.until || '').slice(0, 10);
  };
  showDates();
  const kept = (name) => {
    const day = form[name].value;
    const current = state.filters[name];
    return day && current && current.startsWith(day) ? current : day;
  };
  form.addEventListener('timeline-brush', showDates);
  const read = () => {
    const f = {};
    if (form.since.value) f.since = kept('since');
    if (form.until.value) f.until = kept('until');
    if (state.filters.as_of) f.as_of = state.filters.as_of;
    for (const key of ['kind', 'status', 'source_type']) {
      const picked = [...form.querySelectorAll(`input[name=${key}]:checked`)].map((b) => b.value);
      if (picked.length) f[key] = picked.join(',');
    }
    state.filters = f;
    onChange();
  };
  form.addEventListener('change', read);
  form.addEventListener('reset', () => setTimeout(read));
}

/** Sets the layer toggles from the state and calls `onChange` when they change. */
export function setUpLayerToggles(onChange) {
  const form = $('layers');
  for (const key of ['border_buffer', 'coast_buffer']) {
    for (const r of form.querySelectorAll(`input[name=${key}]`)) r.checked = r.value === state.layers[key];
  }
  form.links.checked = state.layers.links;
  form.choropleth.checked = state.layers.choropleth;
  form.events.checked = state.layers.events;
  form.addEventListener('change', () => {
    state.layers.border_buffer = form.querySelector('input[name=border_buffer]:checked').value;
    state.layers.coast_buffer = form.querySelector('input[name=coast_buffer]:checked').value;
    state.layers.links = form.links.checked;
    state.layers.choropleth = form.choropleth.checked;
    state.layers.events = form.events.checked;
    onChange();
  });
}
