// search-core.js: the part of the search page that needs no browser. It reads
// the index that the generator writes (format 2, doc/search-index.md) through
// a loader it is given, so `node --test` runs it on a fixture index and
// search.js runs it on fetch. Nothing here touches the DOM.

export const INDEX_FORMAT = 2; // meta.json's version; INDEX_FORMAT in src/index.h
export const PAGE_SIZE = 10; // results shown at once, and per "Meer resultaten"
export const MAX_PREFIX_TERMS = 16; // a short prefix expands to its shortest words only
export const PREFIX_WEIGHT = 0.5; // a completion of the typed prefix counts at most half
export const SYNONYM_WEIGHT = 0.6; // a glossary synonym counts a little more
export const SNIPPET_WORDS = 25; // words in a snippet
export const MAX_QUERY_WORDS = 12; // more words would only fetch more shards
export const COMPOUND_MIN_PART = 4; // COMPOUND_MIN_HEAD in src/index.c
export const ALL_IN_TITLE_BOOST = 1.5; // every query word in the title: "gemeente groningen"
const RANK_POSITIONS = 2 ** 24; // more matches than documents any site has

// A word as the generator's words_split sees it: letters, digits and
// combining marks, an apostrophe (' or ’) between them dropped and joined.
const WORD = /[\p{L}\p{Mn}\p{Mc}\p{N}]+(?:['\u2019][\p{L}\p{Mn}\p{Mc}\p{N}]+)*/gu;

const isObject = v => v !== null && typeof v === 'object' && !Array.isArray(v);

// The value of an own property only: a query for "constructor" or
// "__proto__" must not find what every JavaScript object inherits.
export function own(object, key) {
  return object !== null && typeof object === 'object' && Object.hasOwn(object, key)
    ? object[key] : undefined;
}

/** Words of text in order: [{word, start, end}], word unfolded, offsets in text. */
export function splitWords(text) {
  const out = [];
  for (const m of String(text).matchAll(WORD))
    out.push({ word: m[0].replace(/['\u2019]/g, ''), start: m.index, end: m.index + m[0].length });
  return out;
}

/** Folds a word like utf8proc does for the index: compatibility forms, case
 *  (with ß → ss and ς → σ, which lowercasing alone misses) and marks removed. */
export function fold(word) {
  return word.normalize('NFKD').toLowerCase().replace(/ß/g, 'ss').replace(/ς/g, 'σ')
    .normalize('NFKD').replace(/\p{M}/gu, '').normalize('NFC');
}

/** The folded words of a query, and whether the last one is still being
 *  typed (the query ends inside it): then it is a prefix. */
export function queryWords(query) {
  const words = splitWords(query).slice(0, MAX_QUERY_WORDS);
  const last = words[words.length - 1];
  return {
    words: words.map(w => fold(w.word)),
    prefix: last !== undefined && last.end === query.length,
  };
}

/** The shard of a folded word or term: its first two characters when both
 *  are a-z or 0-9, a one-character word's character alone, otherwise "_". */
export function shardOf(word) {
  const chars = Array.from(word).slice(0, 2);
  return chars.length > 0 && chars.every(c => /^[a-z0-9]$/.test(c)) ? chars.join('') : '_';
}

// Packed numbers (see pack_number in src/index.c): base-64 digits of five
// bits, most significant first; a digit with 32 added is not a number's last.
const PACK_DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_';
const DIGIT_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < PACK_DIGITS.length; i++) DIGIT_VALUE[PACK_DIGITS.charCodeAt(i)] = i;

// Calls take(n) for each number of a packed string; an unknown character ends it.
function eachNumber(packed, take) {
  const text = String(packed);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? DIGIT_VALUE[c] : -1;
    if (v < 0) return;
    n = n * 32 + (v & 31);
    if (v < 32) {
      take(n);
      n = 0;
    }
  }
}

/** The numbers in a packed string; an unknown character ends it. */
export function unpackNumbers(packed) {
  const out = [];
  eachNumber(packed, n => out.push(n));
  return out;
}

/** A packed sorted list of documents: gaps from the previous one (the first
 *  from -1); a 0 is followed by the length of a run of consecutive ones. */
export function unpackDocuments(packed) {
  const numbers = unpackNumbers(packed);
  const docs = [];
  let previous = -1;
  for (let i = 0; i < numbers.length; i++) {
    if (numbers[i] > 0) docs.push((previous += numbers[i]));
    else for (let run = numbers[++i] ?? 0; run > 0; run--) docs.push(++previous);
  }
  return docs;
}

/** Packed postings (gap, score in steps of scale, section * 2 + title bit)
 *  as columns {docs, scores, sections, titles}; a cut-off posting is left out. */
export function unpackPostings(packed, scale) {
  const size = String(packed).length; // at least one character a number
  const docs = new Int32Array(size), scores = new Float64Array(size);
  const sections = new Int32Array(size), titles = new Uint8Array(size);
  let count = 0, field = 0, doc = -1;
  eachNumber(packed, n => {
    if (field === 0) doc += n;
    else if (field === 1) scores[count] = n * scale;
    else {
      docs[count] = doc;
      titles[count] = n & 1;
      sections[count++] = Math.floor(n / 2);
    }
    field = (field + 1) % 3;
  });
  const cut = a => a.subarray(0, count);
  return { docs: cut(docs), scores: cut(scores), sections: cut(sections), titles: cut(titles) };
}

// A synonym value is a list of alternatives, each the terms of one other
// form of the glossary term, all of them needed: [["speciaal", "basisonderwijs"]].
function synonymAlternatives(value) {
  if (!Array.isArray(value)) return [];
  return value.filter(Array.isArray)
    .map(list => list.filter(t => typeof t === 'string').map(term => ({ term, weight: SYNONYM_WEIGHT })))
    .filter(alt => alt.length > 0);
}

/** What one query word matches. vocab is the vocabulary shard of the word.
 *  Returns {word, words: Set of folded words it matches, alts}: alts is a
 *  list of alternatives, each a list of {term, weight} that must all occur. */
export function planWord(word, isPrefix, vocab, synonyms) {
  const terms = new Map(); // term -> weight
  const words = new Set([word]);
  const exact = own(vocab, word);
  if (typeof exact === 'string') terms.set(exact, 1);
  // A one-character prefix has a shard of its own with only that word in it.
  const prefix = isPrefix && Array.from(word).length > 1 && isObject(vocab);
  if (prefix) {
    const longer = Object.entries(vocab)
      .filter(([w, term]) => w !== word && w.startsWith(word) && typeof term === 'string')
      .sort(([a], [b]) => a.length - b.length || (a < b ? -1 : 1));
    for (const [w, term] of longer) {
      if (!terms.has(term) && terms.size >= MAX_PREFIX_TERMS) continue;
      words.add(w);
      // The more the completion adds, the less it counts: "jeugdhulp" is
      // about jeugdhulp before it is about jeugdhulpaanbieders.
      const weight = PREFIX_WEIGHT * (word.length / w.length) ** 2;
      if (!terms.has(term) || terms.get(term) < weight) terms.set(term, weight);
    }
  }
  const alts = [...terms].map(([term, weight]) => [{ term, weight }]);
  return { word, prefix, words, alts: alts.concat(synonymAlternatives(own(synonyms, word))) };
}

/** The plan of a query: one unit per word (AND across units). Consecutive
 *  words that together are a synonym key ("speciaal basisonderwijs") become
 *  one unit: all those words, or the synonym. */
export function planQuery(words, prefix, vocabOf, synonyms) {
  const units = words.map((w, i) => planWord(w, prefix && i === words.length - 1, vocabOf(w), synonyms));
  const phrases = Object.keys(synonyms ?? {}).filter(k => k.includes(' '))
    .map(k => k.split(' ')).sort((a, b) => b.length - a.length);
  const plan = [];
  for (let i = 0; i < units.length;) {
    const p = phrases.find(p => p.length <= units.length - i && p.every((w, j) => w === words[i + j]));
    if (p === undefined) {
      plan.push(units[i++]);
      continue;
    }
    const key = p.join(' ');
    const group = units.slice(i, i + p.length);
    plan.push({ word: key, words: new Set(group.flatMap(u => [...u.words])), group,
      alts: synonymAlternatives(own(synonyms, key)) });
    i += p.length;
  }
  return plan;
}

/** Every term a plan looks up. */
export function planTerms(plan) {
  const out = new Set();
  for (const unit of plan) {
    for (const alt of unit.alts) for (const { term } of alt) out.add(term);
    if (unit.group) for (const t of planTerms(unit.group)) out.add(t);
  }
  return out;
}

// Matches are columns sorted by document: docs, scores, sections, best (the
// largest single weighted posting, whose section the result links to) and
// titles (1 when the words matched so far are all in the title).
// Typed arrays rather than a Map per posting: a common word has a posting in
// nearly every one of 10,000 documents.
function emptyMatches(size) {
  return { docs: new Int32Array(size), scores: new Float64Array(size), sections: new Int32Array(size),
    best: new Float64Array(size), titles: new Uint8Array(size), length: 0 };
}

// Postings as unpackPostings gives them, or as [[doc, score, section], ...].
function postingMatches(postings, weight) {
  if (postings && postings.docs instanceof Int32Array) {
    const m = emptyMatches(postings.docs.length);
    m.docs.set(postings.docs);
    m.sections.set(postings.sections);
    if (postings.titles) m.titles.set(postings.titles);
    for (let i = 0; i < postings.docs.length; i++) m.scores[i] = m.best[i] = postings.scores[i] * weight;
    m.length = postings.docs.length;
    return m;
  }
  const list = Array.isArray(postings)
    ? postings.filter(p => Array.isArray(p) && Number.isInteger(p[0]) && Number.isFinite(p[1])) : [];
  const m = emptyMatches(list.length);
  for (const p of list) {
    const i = m.length++;
    m.docs[i] = p[0];
    m.scores[i] = m.best[i] = p[1] * weight;
    m.sections[i] = Number.isInteger(p[2]) ? p[2] : 0;
    m.titles[i] = p[3] ? 1 : 0;
  }
  return m;
}

/** Documents in every list, their scores added up; the section of the best posting. */
export function intersect(lists) {
  if (lists.length === 0) return emptyMatches(0);
  if (lists.length === 1) return lists[0];
  const [smallest, ...rest] = [...lists].sort((a, b) => a.length - b.length);
  const out = emptyMatches(smallest.length);
  const at = rest.map(() => 0);
  outer: for (let i = 0; i < smallest.length; i++) {
    const doc = smallest.docs[i];
    let score = smallest.scores[i], best = smallest.best[i], section = smallest.sections[i];
    let title = smallest.titles[i];
    for (let k = 0; k < rest.length; k++) {
      const m = rest[k];
      let j = at[k];
      while (j < m.length && m.docs[j] < doc) j++;
      at[k] = j;
      if (j === m.length || m.docs[j] !== doc) continue outer;
      score += m.scores[j];
      title &= m.titles[j];
      if (m.best[j] > best) {
        best = m.best[j];
        section = m.sections[j];
      }
    }
    const o = out.length++;
    out.docs[o] = doc;
    out.scores[o] = score;
    out.best[o] = best;
    out.sections[o] = section;
    out.titles[o] = title;
  }
  return out;
}

/** Documents in any list, with their best score. */
export function union(lists) {
  const nonEmpty = lists.filter(m => m.length > 0);
  if (nonEmpty.length === 0) return emptyMatches(0);
  return nonEmpty.reduce((a, b) => {
    const out = emptyMatches(a.length + b.length);
    let i = 0, j = 0;
    const take = (m, k) => {
      const o = out.length++;
      out.docs[o] = m.docs[k];
      out.scores[o] = m.scores[k];
      out.best[o] = m.best[k];
      out.sections[o] = m.sections[k];
      out.titles[o] = m.titles[k];
    };
    while (i < a.length || j < b.length) {
      if (j === b.length || (i < a.length && a.docs[i] < b.docs[j])) take(a, i++);
      else if (i === a.length || b.docs[j] < a.docs[i]) take(b, j++);
      else {
        take(a.scores[i] >= b.scores[j] ? a : b, a.scores[i] >= b.scores[j] ? i : j);
        out.titles[out.length - 1] = a.titles[i] | b.titles[j];
        i++, j++;
      }
    }
    return out;
  });
}

function unitMatches(unit, postingsOf) {
  const lists = unit.alts.map(alt => intersect(alt.map(({ term, weight }) => postingMatches(postingsOf(term), weight))));
  if (unit.group) lists.push(evaluate(unit.group, postingsOf));
  return union(lists);
}

/** The documents that match every unit of a plan. postingsOf(term) returns
 *  the term's postings (unpackPostings' columns, or [[doc, score, section],
 *  ...]) or undefined. */
export function evaluate(plan, postingsOf) {
  return intersect(plan.map(unit => unitMatches(unit, postingsOf)));
}

/** Matches ranked: [{doc, score, section}], best first, then in document
 *  order; a document with every query word in its title counts more. */
export function rank(matches) {
  const { docs, scores, titles, sections } = matches;
  const n = matches.length;
  const final = new Float64Array(n);
  // One number per match, sorted natively (a comparator takes 12 ms for
  // 10,000 matches): the score in millionths, negated, above the position,
  // which is in document order. Exact below 2^53 for scores under 500.
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    final[i] = scores[i] * (titles[i] ? ALL_IN_TITLE_BOOST : 1);
    keys[i] = -Math.round(final[i] * 1e6) * RANK_POSITIONS + i;
  }
  keys.sort();
  return Array.from(keys, key => {
    const i = key - Math.floor(key / RANK_POSITIONS) * RANK_POSITIONS;
    return { doc: docs[i], score: final[i], section: sections[i] };
  });
}

function selectedDocs(facetLists, name, values) {
  const lists = own(facetLists, name);
  const docs = new Set();
  for (const v of values) for (const d of (Array.isArray(lists) ? own(lists, v) : undefined) ?? []) docs.add(d);
  return docs;
}

/** Results that have a checked value of every facet with checked values
 *  (OR within a facet, AND across). selected: Map facet name -> Set of value
 *  positions; except names a facet to leave out. */
export function filterResults(results, facetLists, selected, except = null) {
  let out = results;
  for (const [name, values] of selected) {
    if (name === except || values.size === 0) continue;
    const docs = selectedDocs(facetLists, name, values);
    out = out.filter(r => docs.has(r.doc));
  }
  return out;
}

/** The filters: each facet of meta.facets with its values and how many
 *  results each would give, counting the other facets' checked values. */
export function facetCounts(results, facets, facetLists, selected) {
  return (Array.isArray(facets) ? facets : []).map(f => {
    const docs = new Set(filterResults(results, facetLists, selected, f.name).map(r => r.doc));
    const lists = own(facetLists, f.name);
    const checked = selected.get(f.name) ?? new Set();
    const values = (Array.isArray(f.values) ? f.values : []).map((title, value) => {
      const list = Array.isArray(lists) ? own(lists, value) : undefined;
      const count = Array.isArray(list) ? list.reduce((n, d) => n + (docs.has(d) ? 1 : 0), 0) : 0;
      return { value, title: String(title), count, checked: checked.has(value) };
    });
    return { name: String(f.name), title: String(f.title ?? f.name), values };
  });
}

/** A test for folded words that a result highlights: the query's words and
 *  their prefix expansions, and every word whose vocabulary term matched.
 *  termOf(folded) returns the term from the loaded vocabulary, if known. */
export function matcher(plan, termOf) {
  const units = plan.flatMap(u => (u.group ? [u, ...u.group] : [u]));
  const words = new Set(units.flatMap(u => [...u.words]));
  const terms = planTerms(plan);
  const prefixes = units.filter(u => u.prefix).map(u => u.word);
  // The index counts a compound for its parts (split_compounds in
  // src/index.c): "subsidie" also marks "subsidieregeling".
  const parts = [...new Set([...units.filter(u => !u.group).map(u => u.word), ...terms])]
    .filter(p => p.length >= COMPOUND_MIN_PART);
  return folded => words.has(folded) || prefixes.some(p => folded.startsWith(p)) ||
    terms.has(termOf(folded)) ||
    parts.some(p => folded.length > p.length && (folded.startsWith(p) || folded.endsWith(p)));
}

/** Of a document's sections, the one to show: the posting's section if it
 *  has a highlighted word, else the first that has, else that section. */
export function pickSection(sections, index, isMatch) {
  if (!Array.isArray(sections) || sections.length === 0) return null;
  const has = s => s && splitWords(String(s.text ?? '')).some(w => isMatch(fold(w.word)));
  const at = sections[index] ?? sections[0];
  return has(at) ? at : sections.find(has) ?? at;
}

/** About SNIPPET_WORDS words of text around its first highlighted word, as
 *  parts [{text, mark}] to be inserted as text; whitespace and control
 *  characters become single spaces; "…" marks text left out. */
export function makeSnippet(text, isMatch, size = SNIPPET_WORDS) {
  text = String(text ?? '').replace(/[\s\p{Cc}]+/gu, ' ').trim();
  const words = splitWords(text);
  if (words.length === 0) return text ? [{ text, mark: false }] : [];
  const first = words.findIndex(w => isMatch(fold(w.word)));
  const from = Math.max(0, Math.min(first - Math.floor(size / 3), words.length - size));
  const to = Math.min(words.length, from + size);
  const parts = [];
  const plain = s => {
    if (s === '') return;
    const prev = parts[parts.length - 1];
    if (prev && !prev.mark) prev.text += s;
    else parts.push({ text: s, mark: false });
  };
  plain(from > 0 ? '… ' : text.slice(0, words[0].start));
  for (let i = from, pos = words[from].start; i < to; i++) {
    const w = words[i];
    plain(text.slice(pos, w.start));
    if (isMatch(fold(w.word))) parts.push({ text: text.slice(w.start, w.end), mark: true });
    else plain(text.slice(w.start, w.end));
    pos = w.end;
  }
  plain(to < words.length ? ' …' : text.slice(words[to - 1].end));
  return parts;
}

/** Accepts only addresses on this site or http(s): never javascript: */
export function safeUrl(url) {
  url = String(url ?? '');
  return (url.startsWith('/') && !url.startsWith('//')) || /^https?:\/\//i.test(url) ? url : null;
}

const GZIP_MAGIC = [0x1f, 0x8b];

async function gunzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}

/** The content of an index file from what the loader gave: bytes (gzipped
 *  or not: a server may already have unzipped a .gz) or text. .txt files are
 *  text, the others JSON. */
export async function decodeFile(path, data) {
  if (data === null || data === undefined) return null;
  let text;
  if (typeof data === 'string') {
    text = data;
  } else {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    text = bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]
      ? await gunzip(bytes) : new TextDecoder().decode(bytes);
  }
  return path.endsWith('.txt') ? text.trim() : JSON.parse(text);
}

/** The search over an index. load(path) returns a Promise of the bytes
 *  (ArrayBuffer or Uint8Array) or text of zoekindex/PATH, or of null when the
 *  file does not exist (a shard with no words). Every file is loaded once. */
export function createSearch(load) {
  const files = new Map(); // path -> Promise of the decoded content
  const vocabularies = new Map(); // shard -> object, once loaded
  const postingLists = new Map(); // term -> [[doc, score, section]], once unpacked
  function get(path) {
    if (!files.has(path)) {
      files.set(path, Promise.resolve().then(() => load(path)).then(data => decodeFile(path, data))
        .catch(err => {
          files.delete(path); // try again next time
          throw err;
        }));
    }
    return files.get(path);
  }
  async function shard(kind, name) {
    const value = await get(`${kind}/${name}.json`);
    return isObject(value) ? value : {};
  }
  async function vocabulary(name) {
    const v = await shard('vocabulary', name);
    vocabularies.set(name, v);
    return v;
  }
  async function meta() {
    const m = await get('meta.json');
    if (!isObject(m) || m.version !== INDEX_FORMAT) throw new Error('zoekindex: unknown format');
    return m;
  }
  // Unpacks a term's postings, from its shard or its own file.
  async function postings(term) {
    if (postingLists.has(term)) return;
    const entry = own(await shard('terms', shardOf(term)), term);
    if (!Array.isArray(entry) || !Number.isFinite(entry[0])) return;
    const packed = Number.isInteger(entry[1]) && entry[1] >= 0 ? await get(`postings/${entry[1]}.txt`) : entry[1];
    if (typeof packed === 'string') postingLists.set(term, unpackPostings(packed, entry[0]));
  }
  async function documentFile(doc) {
    const d = Number.isInteger(doc) && doc >= 0 ? await get(`docs/${doc}.json.gz`) : null;
    return isObject(d) ? d : null;
  }
  const termOf = folded => own(vocabularies.get(shardOf(folded)), folded);

  return {
    meta,
    /** For each facet name, for each value, its sorted documents. */
    async facets() {
      const f = await get('facets.json');
      const out = {};
      if (!isObject(f)) return out;
      for (const [name, values] of Object.entries(f))
        if (Array.isArray(values)) out[name] = values.map(v => (typeof v === 'string' ? unpackDocuments(v) : []));
      return out;
    },
    /** {words, plan, results}: results ranked, every match, not only a page. */
    async search(query) {
      const m = await meta();
      const { words, prefix } = queryWords(String(query));
      if (words.length === 0) return { words, plan: [], results: [] };
      const vocabs = new Map();
      // A word's term nearly always starts like the word: fetch its terms
      // shard alongside, rather than after, the vocabulary.
      await Promise.all([...new Set(words.map(shardOf))]
        .flatMap(s => [vocabulary(s).then(v => vocabs.set(s, v)), shard('terms', s)]));
      const synonyms = isObject(m.synonyms) ? m.synonyms : {};
      const plan = planQuery(words, prefix, w => vocabs.get(shardOf(w)), synonyms);
      await Promise.all([...planTerms(plan)].map(postings));
      const results = rank(evaluate(plan, term => postingLists.get(term)));
      return { words, plan, results };
    },
    /** The highlight test for a plan, once the vocabularies of its synonyms are in. */
    async matcher(plan) {
      await Promise.all([...new Set([...planTerms(plan)].map(shardOf))].map(vocabulary));
      return matcher(plan, termOf);
    },
    /** {url, title} of a document, or null. */
    async document(doc) {
      const d = await documentFile(doc);
      return d && { url: d.url, title: d.title };
    },
    /** The sections [{anchor, heading, text}] of a document. */
    async text(doc) {
      const d = await documentFile(doc);
      return Array.isArray(d?.sections) ? d.sections.filter(isObject) : [];
    },
  };
}
