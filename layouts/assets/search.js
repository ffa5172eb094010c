// search.js: the search page (layouts/search.mustache). It asks
// search-core.js, which reads the index the generator wrote
// (doc/search-index.md), and shows the results. Every string from the index
// or the query goes into the page as text (textContent, append), never as HTML.
import {
  createSearch, facetCounts, filterResults, makeSnippet, pickSection, safeUrl, PAGE_SIZE,
} from './search-core.js';
import { focusOnSearchKey } from './search-key.js';

// The first key searches at once; keys that follow within this time wait
// until the typing pauses, so that a fast typist does not fetch every prefix.
const DEBOUNCE_MS = 120;
const WIDE = matchMedia('(min-width: 52em)'); // where style.css puts the filters beside the results

const form = document.querySelector('form[data-index]');
if (form) start(form);

// An element with properties (or attributes) and children; strings become text nodes.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

// Snippet parts as nodes: text, and <mark> elements around matched words.
function marked(parts) {
  return parts.map(p => (p.mark ? el('mark', {}, p.text) : p.text));
}

function start(form) {
  const input = form.querySelector('input[type="search"]');
  const status = document.getElementById('zoekstatus');
  const filters = document.getElementById('zoekfilters');
  const list = document.getElementById('zoekresultaten');
  const more = document.getElementById('zoekmeer');
  if (!input || !status || !filters || !list || !more) return;

  const base = new URL(form.dataset.index || 'zoekindex/', location.href);
  const index = createSearch(async path => {
    const response = await fetch(new URL(path, base));
    if (response.status === 404) return null; // a shard nobody's words fall in
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.arrayBuffer(); // search-core.js unzips and parses
  });

  let query = null; // the query the results are for
  let found = null; // {results, plan, isMatch, meta, facetLists}
  let visible = []; // the results that pass the filters
  let shown = 0; // how many of them are in the list
  let run = 0; // bumped by every search and redraw: older ones stop
  let timer = 0;
  const selected = new Map(); // facet name -> Set of checked value positions

  form.hidden = false;
  index.meta().catch(() => {}); // small, and needed by the first search; errors show then

  async function search() {
    clearTimeout(timer);
    const q = input.value;
    if (q === query) return;
    query = q;
    history.replaceState(null, '', q.trim() ? `?q=${encodeURIComponent(q)}` : location.pathname);
    const mine = ++run;
    try {
      // The filters' lists come with the first search, so that results and
      // filters appear together.
      const [r, meta, facetLists] = await Promise.all([index.search(q), index.meta(), index.facets()]);
      const isMatch = await index.matcher(r.plan);
      if (mine !== run) return;
      found = { ...r, isMatch, meta, facetLists };
      await draw(mine);
    } catch (err) {
      if (mine !== run) return;
      console.error(err);
      query = null; // the same query may try again
      found = null;
      list.replaceChildren();
      filters.hidden = more.hidden = true;
      status.textContent = 'Zoeken lukt nu niet: de zoekindex kon niet worden geladen. Probeer het later opnieuw.';
    }
  }

  // Shows the first page of the results that pass the filters, replacing
  // the list only once its items are ready, so typing does not flicker.
  async function draw(mine) {
    const { results, facetLists } = found;
    visible = facetLists ? filterResults(results, facetLists, selected) : results;
    shown = 0;
    await showMore(mine, false);
    if (mine !== run) return;
    drawFilters();
    if (query.trim() === '') status.textContent = '';
    else if (visible.length > 0) status.textContent = visible.length === 1 ? '1 resultaat' : `${visible.length} resultaten`;
    else if (results.length > 0) status.textContent = 'Geen resultaten met deze filters';
    else status.textContent = `Geen resultaten voor „${query.trim()}”`;
  }

  async function showMore(mine, focusFirst) {
    const from = shown;
    const page = visible.slice(from, from + PAGE_SIZE);
    shown += page.length; // at once, so that a second click takes the next page
    const items = (await Promise.all(page.map(r => resultItem(r, found.isMatch)))).filter(Boolean);
    if (mine !== run) return;
    if (from === 0) list.replaceChildren(...items);
    else list.append(...items);
    more.hidden = shown >= visible.length;
    if (focusFirst && items.length > 0) items[0].querySelector('a').focus();
  }

  async function resultItem(result, isMatch) {
    const [doc, sections] = await Promise.all([index.document(result.doc), index.text(result.doc)]);
    const url = doc && safeUrl(doc.url);
    if (!url) return null;
    const section = pickSection(sections, result.section, isMatch);
    const anchor = typeof section?.anchor === 'string' && section.anchor !== '' ? `#${encodeURIComponent(section.anchor)}` : '';
    const title = typeof doc.title === 'string' && doc.title.trim() !== '' ? doc.title : url;
    const item = el('li', { class: 'search-result' }, el('h2', { class: 'search-result-title' },
      el('a', { href: url.split('#')[0] + anchor }, ...marked(makeSnippet(title, isMatch, Infinity)))));
    if (typeof section?.heading === 'string' && section.heading !== '')
      item.append(el('p', { class: 'search-result-section' }, section.heading));
    const parts = makeSnippet(section?.text, isMatch);
    if (parts.length > 0) item.append(el('p', { class: 'search-result-snippet' }, ...marked(parts)));
    return item;
  }

  function drawFilters() {
    const focused = document.activeElement?.id ?? '';
    if (!found?.facetLists || found.results.length === 0) {
      filters.hidden = true;
      filters.replaceChildren();
      return;
    }
    const facets = facetCounts(found.results, found.meta.facets, found.facetLists, selected);
    const groups = facets.map((facet, f) => {
      const values = facet.values.filter(v => v.count > 0 || v.checked);
      if (values.length === 0) return null;
      return el('fieldset', { class: 'search-filter' }, el('legend', {}, facet.title), ...values.map(v => {
        const id = `zoekfilter-${f}-${v.value}`;
        const box = el('input', { type: 'checkbox', id, checked: v.checked });
        box.addEventListener('change', () => toggle(facet.name, v.value, box.checked));
        return el('div', { class: 'search-filter-value' }, box,
          el('label', { htmlFor: id }, `${v.title} `, el('span', { class: 'count' }, `(${v.count})`)));
      }));
    }).filter(Boolean);
    // Folded away on a phone, where the filters would push the results two
    // screens down; open beside the results on a wide screen. A redraw keeps
    // what the reader chose.
    const open = filters.querySelector('details')?.open ?? WIDE.matches;
    filters.replaceChildren(el('details', { class: 'filters-details', open },
      el('summary', {}, el('h2', { class: 'filters-title' }, 'Filter')), ...groups));
    filters.hidden = groups.length === 0;
    if (focused.startsWith('zoekfilter-')) document.getElementById(focused)?.focus();
  }

  function toggle(name, value, on) {
    if (!selected.has(name)) selected.set(name, new Set());
    if (on) selected.get(name).add(value);
    else selected.get(name).delete(value);
    if (found) draw(++run);
  }

  function onKey(event) {
    const target = event.target;
    const links = [...list.querySelectorAll('.search-result-title a')];
    const at = links.indexOf(target);
    // Arrows move between the field and the results; Escape works anywhere
    // in the search, the filters and "Meer resultaten" too.
    const onResults = target === input || at >= 0;
    if (!onResults && target !== more && !filters.contains(target)) return;
    if (onResults && event.key === 'ArrowDown' && at + 1 < links.length) {
      event.preventDefault();
      links[at + 1].focus();
    } else if (event.key === 'ArrowUp' && at >= 0) {
      event.preventDefault();
      (at === 0 ? input : links[at - 1]).focus();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      input.value = '';
      input.focus();
      search();
    }
  }

  let lastKey = -Infinity;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const now = performance.now();
    if (now - lastKey >= DEBOUNCE_MS) search();
    else timer = setTimeout(search, DEBOUNCE_MS);
    lastKey = now;
  });
  form.addEventListener('submit', event => {
    event.preventDefault();
    search();
  });
  more.addEventListener('click', () => showMore(run, true));
  document.addEventListener('keydown', onKey);
  focusOnSearchKey(input);

  const initial = new URLSearchParams(location.search).get('q');
  if (initial) input.value = initial;
  if (input.value) search();
}
