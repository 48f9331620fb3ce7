// DOM helpers: h() builds elements, so no page text is ever parsed as HTML.

// h creates an element: attrs sets properties (on* as listeners, class,
// aria-*, data-*, for, role as attributes), children are nodes or text.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class' || k === 'for' || k === 'role' || k.startsWith('aria-') || k.startsWith('data-')) el.setAttribute(k, v === true ? 'true' : v);
    else el[k] = v;
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace puts children in place of el's content.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// field is a labelled control.
export function field(label, control, hint) {
  const id = control.id || (control.id = `f-${Math.random().toString(36).slice(2, 9)}`);
  const hintEl = hint ? h('small', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

// select builds a <select> from [value, label] pairs.
export function select(attrs, options, selected) {
  const el = h('select', attrs);
  for (const [value, label] of options) el.append(h('option', { value, selected: value === selected }, label));
  return el;
}

// busy runs fn while button shows it is working; an error goes to report.
export async function busy(button, report, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } catch (e) {
    report(e);
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

export const money = (cents) => (cents / 100).toLocaleString('en-US', { style: 'currency', currency: 'USD' });

export const when = (t) => (t ? new Date(t).toLocaleString() : '—');

// later says whether the time a (RFC 3339) is after b, to the nanosecond the
// service writes: Date.parse stops at the millisecond.
export function later(a, b) {
  const [sa, fa] = instant(a);
  const [sb, fb] = instant(b);
  return sa !== sb ? sa > sb : fa > fb;
}

// instant splits an RFC 3339 time into its whole seconds (milliseconds since
// the epoch) and its fraction as nine digits.
function instant(t) {
  const m = /^([^.]+?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i.exec(t);
  return m ? [Date.parse(m[1] + m[3]), (m[2] || '').padEnd(9, '0')] : [Date.parse(t), ''];
}

// words turns an enum value into words: NOT_SENT → Not sent.
export const words = (v) => (v ? v.charAt(0) + v.slice(1).toLowerCase().replaceAll('_', ' ') : '');
