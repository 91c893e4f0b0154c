// Small DOM helpers. Report text is untrusted: it only ever reaches the page through
// textContent, never as HTML.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** Creates an element with text (never HTML) and an optional class. */
export function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}
