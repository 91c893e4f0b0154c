// The server's sentences, rendered from their code and parameters: every sentence the API
// sends comes as `{ code, params, text }`, and `/api/vocabulary` gives each code's template (in
// English today; a translated page swaps the templates and the plural rules). Templates are a
// small subset of ICU MessageFormat: `{name}`, and `{name, plural, =0 {…} one {…} other {…}}`
// with `#` for the number.

let templates = {};
let plurals = new Intl.PluralRules('en');

/** Sets the templates by code, and the language whose plural rules they follow. */
export function setCatalogue(catalogue, language = 'en') {
  templates = catalogue || {};
  plurals = new Intl.PluralRules(language);
}

/** The index of the `}` closing the `{` at `open`. */
function closing(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return text.length;
}

/** The branch of a plural choice for `n`: `=n`, else its plural category, else `other`. */
function choose(branches, n) {
  const found = {};
  let rest = branches;
  for (let open = rest.indexOf('{'); open >= 0; open = rest.indexOf('{')) {
    const selector = rest.slice(0, open).trim();
    const close = closing(rest, open);
    if (!(selector in found)) found[selector] = rest.slice(open + 1, close);
    rest = rest.slice(close + 1);
  }
  return found[`=${n}`] ?? found[plurals.select(n)] ?? found.other ?? '';
}

/** A parameter as text: a list (such as a field error's allowed words) joined by ", ". */
function show(value) {
  if (Array.isArray(value)) return value.map(show).join(', ');
  return value === null || value === undefined ? '' : String(value);
}

/** Renders `template` with `params`, `#` standing for `number`. */
export function render(template, params = {}, number = undefined) {
  let out = '';
  let rest = template;
  for (let i = rest.search(/[{#]/); i >= 0; i = rest.search(/[{#]/)) {
    out += rest.slice(0, i);
    if (rest[i] === '#') {
      out += number === undefined ? '#' : show(number);
      rest = rest.slice(i + 1);
      continue;
    }
    const close = closing(rest, i);
    const [name, kind, ...branches] = rest.slice(i + 1, close).split(',');
    const value = params[name.trim()];
    out += kind && kind.trim() === 'plural'
      ? render(choose(branches.join(','), Number(value) || 0), params, value)
      : show(value);
    rest = rest.slice(close + 1);
  }
  return out + rest;
}

/** A server sentence in the page's language: from its code's template, else its own text. */
export function say(message) {
  if (!message) return '';
  const template = templates[message.code];
  return template === undefined ? message.text : render(template, message.params || {});
}
