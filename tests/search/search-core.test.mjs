// Unit tests of the search page's pure part (layouts/assets/search-core.js)
// against a small hand-written index in fixture/ (format 2 of
// doc/search-index.md), and checks that the indexes the generator writes for
// the test sites and the real handbook agree with the page on every word.
// Run: node --test tests/search/  (REAL_INDEX=dir/zoekindex adds the real one)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createSearch, decodeFile, evaluate, facetCounts, filterResults, fold, makeSnippet, matcher, pickSection,
  planQuery, planWord, queryWords, rank, safeUrl, shardOf, splitWords, unpackDocuments, unpackNumbers,
  unpackPostings, ALL_IN_TITLE_BOOST, INDEX_FORMAT, MAX_PREFIX_TERMS, MAX_QUERY_WORDS, PREFIX_WEIGHT, SYNONYM_WEIGHT,
} from '../../layouts/assets/search-core.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, 'fixture');

// A loader like search.js's fetch: null for a missing file; counts its reads.
function fixtureSearch(dir = fixture) {
  const reads = [];
  const search = createSearch(async p => {
    reads.push(p);
    try {
      return await fs.readFile(path.join(dir, p));
    } catch (err) {
      if (err.code === 'ENOENT') return null;
      throw err;
    }
  });
  return { search, reads };
}

const docsOf = r => r.results.map(x => x.doc);
const triples = p => Array.from(p.docs, (doc, i) => [doc, p.scores[i], p.sections[i]]);
const words = text => splitWords(text).map(w => w.word);
const folded = text => splitWords(text).map(w => fold(w.word));

test('folding: case, diacritics, compatibility forms', () => {
  assert.equal(fold('Één'), 'een');
  assert.equal(fold('geïnteresseerd'), 'geinteresseerd');
  assert.equal(fold('CAFÉ'), 'cafe');
  assert.equal(fold('coördinator'), 'coordinator');
  assert.equal(fold('Ĳsselmeer'), 'ijsselmeer');
  assert.equal(fold('ﬁets'), 'fiets');
  assert.equal(fold('Straße'), 'strasse');
  assert.equal(fold('ΟΔΟΣ'), 'οδοσ'); // case folding has no final sigma
  assert.deepEqual(folded("IB'er"), ['iber']);
});

test('splitting: the same words as words_split in src/words.c', () => {
  assert.deepEqual(words('De IB\'er van Zuid-Limburg: één auto’s, 3,5 jaar (cluster 3).'),
    ['De', 'IBer', 'van', 'Zuid', 'Limburg', 'één', 'autos', '3', '5', 'jaar', 'cluster', '3']);
  assert.deepEqual(words("'los' eind' ''x"), ['los', 'eind', 'x']);
  assert.deepEqual(splitWords('ab cd').map(w => [w.start, w.end]), [[0, 2], [3, 5]]);
  assert.deepEqual(words('doelgroep\u00ADarrangement'), ['doelgroep', 'arrangement']); // soft hyphen splits
  assert.deepEqual(words('e\u0301en'), ['e\u0301en']); // a combining mark stays in the word
});

test('a query: folded words, the last a prefix while it is being typed', () => {
  assert.deepEqual(queryWords('Één arrang'), { words: ['een', 'arrang'], prefix: true });
  assert.deepEqual(queryWords('arrangement '), { words: ['arrangement'], prefix: false });
  assert.deepEqual(queryWords('"dga"'), { words: ['dga'], prefix: false });
  assert.deepEqual(queryWords('  '), { words: [], prefix: false });
  assert.equal(queryWords('a '.repeat(100)).words.length, MAX_QUERY_WORDS);
  assert.equal(queryWords('a '.repeat(100) + 'b').prefix, false); // b was cut off
});

test('shard names', () => {
  assert.equal(shardOf('arrangement'), 'ar');
  assert.equal(shardOf('een'), 'ee');
  assert.equal(shardOf('2e'), '2e');
  assert.equal(shardOf('a'), 'a');
  assert.equal(shardOf('7'), '7');
  assert.equal(shardOf('ñu'), '_');
  assert.equal(shardOf('aé'), '_');
  assert.equal(shardOf('中文'), '_');
  assert.equal(shardOf('中'), '_');
  assert.equal(shardOf(''), '_');
});

test('prefix expansion against a small vocabulary', () => {
  const vocab = { arrangement: 'arrangement', arrangementen: 'arrangement', arrangeren: 'arrangeer', arts: 'arts' };
  const unit = planWord('arrangement', true, vocab, {});
  assert.deepEqual(unit.alts, [[{ term: 'arrangement', weight: 1 }]]); // the exact word outweighs its expansion
  const typed = planWord('arrange', true, vocab, {});
  // Shorter words first, and the more a completion adds, the less it counts.
  assert.deepEqual(typed.alts, [[{ term: 'arrangeer', weight: PREFIX_WEIGHT * (7 / 10) ** 2 }],
    [{ term: 'arrangement', weight: PREFIX_WEIGHT * (7 / 11) ** 2 }]]);
  assert.deepEqual([...typed.words].sort(), ['arrange', 'arrangement', 'arrangementen', 'arrangeren']);
  assert.deepEqual(planWord('arrange', false, vocab, {}).alts, []); // a whole word that is not there
  assert.deepEqual(planWord('a', true, { a: 'a' }, {}).alts, [[{ term: 'a', weight: 1 }]]);
  for (const word of ['constructor', '__proto__', 'tostring'])
    assert.deepEqual(planWord(word, false, vocab, {}).alts, [], word);
  // A short prefix in a large vocabulary takes only its shortest words.
  const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`ab${'x'.repeat(i % 7)}${i}`, `t${i}`]));
  const short = planWord('ab', true, many, {});
  assert.equal(short.alts.length, MAX_PREFIX_TERMS);
  assert.ok([...short.words].every(w => w === 'ab' || w.length <= 5), [...short.words].join(' '));
});

test('packed numbers, document lists and postings', async () => {
  assert.deepEqual(unpackNumbers('09V'), [0, 9, 31]);
  assert.deepEqual(unpackNumbers('X0Y1'), [32, 65]); // 1*32+0, 2*32+1
  assert.deepEqual(unpackNumbers('_V'), [1023]);
  assert.deepEqual(unpackNumbers('12!3'), [1, 2]); // an unknown character ends the list
  assert.deepEqual(unpackDocuments('1203'), [0, 2, 3, 4, 5]); // gap 1, gap 2, then a run of 3
  assert.deepEqual(unpackDocuments('05'), [0, 1, 2, 3, 4]);
  assert.deepEqual(unpackDocuments(''), []);
  assert.deepEqual(triples(unpackPostings('1V02A3', 0.5)), [[0, 15.5, 0], [2, 5, 1]]); // section 1: 2 * 1 + title
  assert.deepEqual([...unpackPostings('1V02A3', 0.5).titles], [0, 1]);
  assert.deepEqual(triples(unpackPostings('1V', 1)), []); // a cut-off posting is left out
  assert.deepEqual(triples(unpackPostings('1V0!2A1', 1)), [[0, 31, 0]]); // a bad character ends the list
  assert.equal(await decodeFile('x.txt', Buffer.from(' 12\n')), '12');
  assert.deepEqual(await decodeFile('x.json.gz', gzipSync('{"a":1}')), { a: 1 });
  assert.deepEqual(await decodeFile('x.json.gz', Buffer.from('{"a":1}')), { a: 1 }); // a server unzipped it already
  assert.equal(await decodeFile('x.json', null), null);
});

test('AND across words, synonyms at a lower weight, ranked', () => {
  const postings = {
    dga: [[1, 2, 0]],
    doelgroeparrangement: [[0, 3, 1], [2, 1, 0]],
    parkstad: [[0, 1, 0], [1, 1, 2]],
  };
  const vocab = { dga: 'dga', parkstad: 'parkstad', doelgroeparrangement: 'doelgroeparrangement' };
  const synonyms = { dga: [['doelgroeparrangement']] };
  const run = q => {
    const { words, prefix } = queryWords(q);
    return rank(evaluate(planQuery(words, prefix, () => vocab, synonyms), t => postings[t]));
  };
  assert.deepEqual(run('dga'), [
    { doc: 1, score: 2, section: 0 },
    { doc: 0, score: 3 * SYNONYM_WEIGHT, section: 1 },
    { doc: 2, score: 1 * SYNONYM_WEIGHT, section: 0 },
  ]);
  assert.deepEqual(run('dga parkstad').map(r => r.doc), [1, 0]); // doc 2 lacks parkstad
  assert.deepEqual(run('dga onbekend'), []); // a word with no vocabulary entry
  // Every query word in the title (the fourth number) counts one and a half times.
  postings.parkstad = [[0, 1, 0], [1, 1, 2, 1]];
  postings.dga = [[1, 2, 0, 1]];
  assert.deepEqual(run('dga parkstad').map(r => [r.doc, r.score]), [[1, 3 * ALL_IN_TITLE_BOOST], [0, 3 * SYNONYM_WEIGHT + 1]]);
});

test('snippets: about 25 words around the first match, matches marked', () => {
  const text = Array.from({ length: 60 }, (_, i) => `woord${i}`).join(' ') + ' Arrangementen tot slot.';
  const isMatch = w => ['woord40', 'woord50', 'arrangementen'].includes(w);
  const parts = makeSnippet(text, isMatch);
  const marked = parts.filter(p => p.mark).map(p => p.text);
  assert.deepEqual(marked, ['woord40', 'woord50']); // Arrangementen is past the 25 words
  const whole = parts.map(p => p.text).join('');
  assert.ok(whole.startsWith('… woord32 ') && whole.endsWith(' woord56 …'), whole);
  // Near the end the window moves back so that it still has 25 words.
  const end = makeSnippet(text, w => w === 'slot').map(p => p.text).join('');
  assert.ok(end.endsWith('Arrangementen tot slot.'), end);
  assert.equal(splitWords(end).length, 25);
  assert.equal(splitWords(whole).length, 25);
  assert.deepEqual(makeSnippet('Kort: geen treffer.', () => false), [{ text: 'Kort: geen treffer.', mark: false }]);
  assert.deepEqual(makeSnippet('', () => true), []);
  // Marks keep the text as written, apostrophes and all; plain parts are merged.
  assert.deepEqual(makeSnippet("De IB'er belt.", w => w === 'iber'),
    [{ text: 'De ', mark: false }, { text: "IB'er", mark: true }, { text: ' belt.', mark: false }]);
});

test('the fixture: prefix, exact and accented words', async () => {
  const { search } = fixtureSearch();
  assert.deepEqual(docsOf(await search.search('arrangement ')), [0, 4, 1]);
  assert.deepEqual(docsOf(await search.search('arrang')).sort(), [0, 1, 4]);
  assert.deepEqual(docsOf(await search.search('Geïnteresseerde')), [3]);
  assert.deepEqual(docsOf(await search.search('geinteresseerde')), [3]);
  const een = await search.search('één keer');
  assert.deepEqual(een.results.map(r => [r.doc, r.section]), [[2, 1]]);
  assert.deepEqual(docsOf(await search.search('startklas')).slice(0, 1), [2]); // in the title
  for (const q of ['xyzzy', 'jeugdhulp xyzzy', 'constructor', '__proto__', 'toString', 'hasOwnProperty'])
    assert.deepEqual(docsOf(await search.search(q)), [], q);
});

test('the fixture: AND across words and glossary synonyms both ways', async () => {
  const { search } = fixtureSearch();
  assert.deepEqual(docsOf(await search.search('jeugdhulp parkstad ')), [2]);
  assert.deepEqual(docsOf(await search.search('dga ')).sort(), [1, 2]);
  assert.deepEqual(docsOf(await search.search('doelgroeparrangement ')).sort(), [1, 2]);
  // SBO stands for speciaal basisonderwijs, both words needed: not doc 0, which has speciaal onderwijs.
  assert.deepEqual(docsOf(await search.search('SBO ')).sort(), [1, 3]);
  assert.deepEqual(docsOf(await search.search('speciaal basisonderwijs ')).sort(), [1, 3]);
  const iber = await search.search("IB'er ");
  assert.deepEqual(iber.results.map(r => [r.doc, r.section]).sort(), [[2, 1], [3, 1]]);
});

test('the fixture: highlighting and the section a result links to', async () => {
  const { search } = fixtureSearch();
  const r = await search.search('dga');
  const isMatch = await search.matcher(r.plan);
  const sections = await search.text(2);
  const section = pickSection(sections, r.results.find(x => x.doc === 2).section, isMatch);
  assert.equal(section.anchor, 'aanpak');
  assert.deepEqual(makeSnippet(section.text, isMatch).filter(p => p.mark).map(p => p.text), ['DGA']);
  // A synonym's words are marked as well: "doelgroeparrangement" in doc 1.
  const doc1 = await search.text(1);
  assert.deepEqual(makeSnippet(pickSection(doc1, 0, isMatch).text, isMatch).filter(p => p.mark).map(p => p.text),
    ['doelgroeparrangement', 'DGA']);
  // Every word of a matched term is marked: arrangement for arrangementen.
  const s = await search.search('arrangementen ');
  const m = await search.matcher(s.plan);
  assert.ok(m('arrangementen') && m('arrangement') && !m('arrangeren'));
  assert.ok(matcher(s.plan, () => undefined)('arrangementen'));
  assert.ok(!matcher(s.plan, () => undefined)('arrangement'));
  // A compound is marked for its parts, as the index counts it for them.
  assert.ok(m('doelgroeparrangement'));
  const part = matcher(planQuery(['subsidie'], false, () => ({ subsidie: 'subsidie' }), {}), () => undefined);
  assert.ok(part('subsidieregeling') && part('rijkssubsidie') && !part('subsid') && !part('regeling'));
});

test('strange content survives as text: </script>, U+2028, control characters', async () => {
  const { search } = fixtureSearch();
  const doc = await search.document(4);
  assert.equal(doc.title, 'Vreemde tekens </script><b>vet</b>\u2028regel');
  const r = await search.search('belletje');
  assert.deepEqual(docsOf(r), [4]);
  const isMatch = await search.matcher(r.plan);
  const [top] = await search.text(4);
  const parts = makeSnippet(top.text, isMatch);
  const whole = parts.map(p => p.text).join('');
  assert.ok(whole.includes('</script><img src=x onerror=alert(1)>'), whole);
  assert.ok(whole.includes('regel scheiding'), whole); // U+2028 shown as a space
  assert.ok(!/[\u0000-\u001f\u2028\u2029]/.test(whole), whole);
  assert.deepEqual(parts.filter(p => p.mark).map(p => p.text), ['belletje']);
  const sections = await search.text(4);
  assert.equal(sections[1].anchor, 'kop-"<&>');
  assert.equal(sections[1].heading, 'Kop </script>\u2029');
});

test('filters: counts follow the query, OR within a facet, AND across', async () => {
  const { search } = fixtureSearch();
  const meta = await search.meta();
  const lists = await search.facets();
  const { results } = await search.search('jeugdhulp ');
  assert.deepEqual(results.map(r => r.doc).sort(), [0, 2, 3]);
  const counts = sel => facetCounts(results, meta.facets, lists, sel)
    .map(f => [f.name, f.values.map(v => `${v.title} ${v.count}${v.checked ? ' x' : ''}`)]);
  assert.deepEqual(counts(new Map()), [
    ['kind', ["Pagina's 1", 'Modellen 0', 'Praktijkvoorbeelden 2']],
    ['region', ['Parkstad 1', 'Zuid-Limburg 1']],
  ]);
  const parkstad = new Map([['region', new Set([0])]]);
  assert.deepEqual(filterResults(results, lists, parkstad).map(r => r.doc), [2]);
  assert.deepEqual(counts(parkstad), [
    ['kind', ["Pagina's 0", 'Modellen 0', 'Praktijkvoorbeelden 1']],
    ['region', ['Parkstad 1 x', 'Zuid-Limburg 1']], // a facet's own choice does not change its counts
  ]);
  const both = new Map([['region', new Set([0, 1])], ['kind', new Set([0])]]);
  assert.deepEqual(filterResults(results, lists, both), []);
  both.set('kind', new Set([0, 2]));
  assert.deepEqual(filterResults(results, lists, both).map(r => r.doc).sort(), [2, 3]);
});

test('every file is loaded once; a missing shard is no error', async () => {
  const { search, reads } = fixtureSearch();
  await search.search('arrang');
  await search.search('arrangement ');
  await search.search('arrangementen ');
  await search.document(0);
  await search.document(4);
  assert.deepEqual(reads.sort(), ['docs/0.json.gz', 'docs/4.json.gz', 'meta.json', 'postings/0.txt', 'terms/ar.json',
    'vocabulary/ar.json']);
  assert.deepEqual(docsOf(await search.search('qqq')), []);
  assert.ok(reads.includes('vocabulary/qq.json'));
});

test('an index of another format is refused', async () => {
  const search = createSearch(async p => (p === 'meta.json' ? '{"version": 1}' : null));
  await assert.rejects(search.search('iets'), /format/);
});

test('only addresses on this site or http(s) become links', () => {
  assert.equal(safeUrl('/handboek/x/'), '/handboek/x/');
  assert.equal(safeUrl('https://example.org/'), 'https://example.org/');
  for (const bad of ['javascript:alert(1)', ' javascript:alert(1)', '//evil.example/', 'data:text/html,x', null])
    assert.equal(safeUrl(bad), null, String(bad));
});

// The index the generator writes: its vocabulary has every word the page
// would split and fold out of the titles and texts, in the right shard; every
// term it names has postings, sorted by document, of documents that exist,
// linking to sections that exist. Runs on the fixture, on each expected site
// index under tests/sites and on REAL_INDEX (the real handbook, built by
// tests/test_search_js.sh).
const indexes = [fixture];
const sites = path.join(here, '..', 'sites');
if (existsSync(sites)) {
  for (const site of readdirSync(sites))
    for (const out of readdirSync(path.join(sites, site)).filter(d => d.startsWith('expected')))
      if (existsSync(path.join(sites, site, out, 'zoekindex', 'meta.json')))
        indexes.push(path.join(sites, site, out, 'zoekindex'));
}
if (process.env.REAL_INDEX) indexes.push(path.resolve(process.env.REAL_INDEX));
const MAX_WORD_BYTES = 64; // WORDS_MAX_LENGTH in src/words.h

for (const dir of indexes) {
  test(`index and page agree: ${path.relative(path.join(here, '..', '..'), dir)}`, () => {
    const raw = p => readFileSync(path.join(dir, p));
    const read = p => JSON.parse(raw(p).toString('utf8'));
    const meta = read('meta.json');
    assert.equal(meta.version, INDEX_FORMAT);
    const docs = Array.from({ length: meta.documents }, (_, d) => JSON.parse(gunzipSync(raw(`docs/${d}.json.gz`))));
    const vocab = {};
    for (const file of readdirSync(path.join(dir, 'vocabulary'))) {
      for (const [word, term] of Object.entries(read(`vocabulary/${file}`))) {
        assert.equal(`${shardOf(word)}.json`, file, `word ${word}`);
        vocab[word] = term;
      }
    }
    const terms = {};
    for (const file of readdirSync(path.join(dir, 'terms'))) {
      for (const [term, [scale, packed]] of Object.entries(read(`terms/${file}`))) {
        assert.equal(`${shardOf(term)}.json`, file, `term ${term}`);
        assert.ok(scale > 0, `scale of ${term}`);
        const postings = triples(unpackPostings(typeof packed === 'number' ? raw(`postings/${packed}.txt`).toString() : packed, scale));
        assert.ok(postings.length > 0, `postings of ${term}`);
        for (const [i, [doc, score, section]] of postings.entries()) {
          assert.ok(i === 0 || postings[i - 1][0] < doc, `postings of ${term} in document order`);
          assert.ok(doc < meta.documents && score > 0 && section < docs[doc].sections.length, `posting of ${term}`);
        }
        terms[term] = postings;
      }
    }
    for (const term of new Set(Object.values(vocab))) assert.ok(terms[term], `no postings for ${term}`);
    const missing = new Set();
    for (const doc of docs) {
      const texts = doc.sections.flatMap(s => [s.heading, s.text]);
      texts.push(doc.title);
      for (const w of folded(texts.join('\n')))
        if (!Object.hasOwn(vocab, w) && Buffer.byteLength(w) <= MAX_WORD_BYTES) missing.add(w);
    }
    assert.deepEqual([...missing], [], 'words the page finds in the text but the vocabulary lacks');
    const facets = read('facets.json');
    for (const f of meta.facets) {
      assert.equal(facets[f.name].length, f.values.length, `values of facet ${f.name}`);
      for (const list of facets[f.name].map(unpackDocuments))
        assert.ok(list.length > 0 && list.every((d, i) => d < meta.documents && (i === 0 || list[i - 1] < d)), f.name);
    }
  });
}
