// measure.mjs - the browser half of the search benchmark (bench/run-search-bench).
//
//   node bench/search/measure.mjs --repo build/bench/repo --gen bench/gen_repo.c \
//       --handbook build/bench/search/out-handbook [--pagefind build/bench/search/out-pagefind] \
//       [--runs 5] [--verbose]
//
// Picks a common and a rare word from the generated practice pages (not from
// either index), serves each output folder with a small static server (no
// compression, 404 for missing files), opens its harness page
// bench-zoeken/index.html in headless Chromium and, in the same page, searches
// the common word and then the rare word. For each it measures
//   - the time from the fill of the search field (one input event, as a user
//     pasting) to the first result WITH its snippet in the results list, and
//   - the bytes the server sent from the fill until the network was idle for
//     500 ms (response bodies; the lazily loaded scripts and wasm count too).
// Both times include the UI's debounce (handbook's search.js: DEBOUNCE_MS,
// 120 ms; Pagefind UI: debounceTimeoutMs, 300 ms by default), read from the
// scripts and shown in the output. Every run uses a fresh browser context
// (cold cache); the figures are the medians of --runs runs. The scripts and
// styles the harness page loads before the first query are reported apart.
// Output: lines starting with "search:". Exit status 1 when a tool's page does
// not show results.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const IDLE_MS = 500; // the network counts as idle after this long without a request
const NEXT_QUERY_PAUSE_MS = 1000; // between emptying the field and the next query
const RESULT_TIMEOUT_MS = 30000; // a query that shows nothing for this long failed
const HARNESS = '/bench-zoeken/';

const say = (...parts) => console.log(`search: ${parts.join(' ')}`);
const epoch = () => performance.timeOrigin + performance.now(); // ms, comparable with the page's

// ---- arguments -------------------------------------------------------------

function parseArgs(argv) {
  const args = { runs: 5, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--verbose') args.verbose = true;
    else if (['--repo', '--gen', '--handbook', '--pagefind', '--runs'].includes(a) && i + 1 < argv.length)
      args[a.slice(2)] = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  args.runs = Number(args.runs);
  if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error('--runs must be a number >= 1');
  if (!args.repo || !args.gen || !args.handbook) throw new Error('--repo, --gen and --handbook are needed');
  return args;
}

// ---- the queries -------------------------------------------------------------

// The words of gen_repo.c's string literals, lower case: its vocabulary
// (and the words of its layouts, which no practice page contains).
function vocabulary(genSource) {
  const words = new Set();
  for (const m of genSource.matchAll(/"((?:[^"\\\n]|\\.)*)"/g))
    for (const w of m[1].toLowerCase().matchAll(/\p{L}+/gu)) words.add(w[0]);
  return words;
}

// In how many practice pages each word occurs: the front matter's values and
// the body, without link destinations, in lower case. Words of at least five
// ASCII letters only, so that no tool's folding or splitting differs.
function pageCounts(repo, vocab) {
  const dir = path.join(repo, 'practices');
  const files = fs.readdirSync(dir).filter(f => f.endsWith('.md')).sort();
  const counts = new Map(); // word -> pages
  const uses = new Map(); // word -> occurrences in all pages
  for (const file of files) {
    let text = fs.readFileSync(path.join(dir, file), 'utf8');
    const end = text.startsWith('---\n') ? text.indexOf('\n---\n', 4) : -1;
    if (end > 0) { // keys out, values in
      const front = text.slice(4, end).split('\n').map(l => l.replace(/^\s*[\w-]+:/, '')).join('\n');
      text = front + text.slice(end + 5);
    }
    text = text.replace(/\]\([^)]*\)/g, '] ').toLowerCase();
    const seen = new Set();
    for (const m of text.matchAll(/\p{L}+/gu)) {
      const w = m[0];
      if (/^[a-z]{5,}$/.test(w) && vocab.has(w)) {
        seen.add(w);
        uses.set(w, (uses.get(w) ?? 0) + 1);
      }
    }
    for (const w of seen) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return { pages: files.length, counts, uses };
}

// common: of the words in more than half of the pages, the one used most
// often (then alphabetical). rare: a word in 2-10 pages (the fewest, then
// alphabetical); when no word is that rare (bench/gen_repo.c draws every word
// of its vocabulary often, so at 10,000 pages none is), the word in the fewest
// pages (at least 2), said so.
function pickWords(repo, genFile) {
  const { pages, counts, uses } = pageCounts(repo, vocabulary(fs.readFileSync(genFile, 'utf8')));
  const all = [...counts];
  const common = all.filter(([, n]) => n > pages / 2)
    .sort((a, b) => uses.get(b[0]) - uses.get(a[0]) || (a[0] < b[0] ? -1 : 1))[0];
  const byFew = all.filter(([, n]) => n >= 2).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  const rare = byFew.find(([, n]) => n <= 10) ?? byFew[0];
  if (!common || !rare) throw new Error(`no common or rare word in the ${pages} practice pages of ${repo}`);
  return { pages, common: { word: common[0], pages: common[1] }, rare: { word: rare[0], pages: rare[1] } };
}

// ---- the server ----------------------------------------------------------------

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon',
};

// The server runs in a worker thread of its own, so that Playwright's work in
// this thread (it gets an event for every request) does not delay the
// responses. It counts open requests and the time of the last activity in
// shared memory and sends each response's path, status, body length and start
// and end times (epoch ms) here.
function serverThread({ root, shared }) {
  const inflight = new Int32Array(shared, 0, 1);
  const last = new Float64Array(shared, 8, 1);
  const server = http.createServer((req, res) => {
    Atomics.add(inflight, 0, 1);
    last[0] = epoch();
    const entry = { path: '', status: 0, bytes: 0, at: epoch(), end: 0 };
    res.on('close', () => {
      entry.end = last[0] = epoch();
      parentPort.postMessage({ entry });
      Atomics.sub(inflight, 0, 1);
    });
    let file;
    try {
      entry.path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      file = path.join(root, path.normalize(entry.path));
      if (!file.startsWith(root)) throw new Error('outside');
      if (fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
      const body = fs.readFileSync(file);
      entry.status = 200;
      entry.bytes = body.length;
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': body.length,
        'Cache-Control': 'max-age=600', // as GitHub Pages; every run's context starts cold
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      const body = Buffer.from('404 Not Found\n');
      entry.status = 404;
      entry.bytes = body.length;
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
      res.end(body);
    }
  });
  parentPort.on('message', m => {
    if (m === 'flush') parentPort.postMessage({ flushed: true }); // after every entry before it
    else if (m === 'close') server.close(() => process.exit(0));
  });
  server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
}

// Serves root on 127.0.0.1 (in a worker thread). state.log holds every
// response once flush() has returned; inflight and last tell when the network
// is idle.
function serve(root) {
  const shared = new SharedArrayBuffer(16);
  const inflight = new Int32Array(shared, 0, 1);
  const last = new Float64Array(shared, 8, 1);
  last[0] = epoch();
  const worker = new Worker(new URL(import.meta.url), { workerData: { root, shared } });
  const waiting = [];
  const state = {
    log: [],
    get inflight() { return Atomics.load(inflight, 0); },
    get last() { return last[0]; },
    flush: () => new Promise(resolve => { waiting.push(resolve); worker.postMessage('flush'); }),
    close: () => new Promise(resolve => { worker.once('exit', resolve); worker.postMessage('close'); }),
  };
  return new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', m => {
      if (m.entry) state.log.push(m.entry);
      else if (m.flushed) waiting.shift()();
      else if (m.port) {
        state.url = `http://127.0.0.1:${m.port}`;
        resolve(state);
      }
    });
  });
}

// Waits until neither the server nor the browser has had a request open or
// finished for IDLE_MS, then until every response is in server.log.
// browser: {inflight, last} kept by the context's events.
async function networkIdle(server, browser) {
  for (;;) {
    const last = Math.max(server.last, browser.last);
    if (server.inflight === 0 && browser.inflight === 0 && epoch() - last >= IDLE_MS) break;
    await new Promise(r => setTimeout(r, 25));
  }
  await server.flush();
}

// ---- the tools -------------------------------------------------------------------

// input: the search field; done: true once the first result shows its snippet;
// empty: true when no result is shown; ready: the page can be searched.
const TOOLS = {
  handbook: {
    name: 'handbook',
    input: '#zoekveld',
    ready: () => { const f = document.querySelector('form[data-index]'); return f !== null && !f.hidden; },
    done: () => {
      const s = document.querySelector('#zoekresultaten li .search-result-snippet');
      return s !== null && s.textContent.trim() !== '';
    },
    empty: () => document.querySelector('#zoekresultaten li') === null,
    shown: () => document.querySelectorAll('#zoekresultaten li').length,
  },
  pagefind: {
    name: 'pagefind',
    input: '.pagefind-ui__search-input',
    ready: () => document.querySelector('.pagefind-ui__search-input') !== null,
    done: () => {
      const first = document.querySelector('.pagefind-ui__result');
      const e = first?.querySelector('.pagefind-ui__result-excerpt:not(.pagefind-ui__loading)');
      return e != null && e.textContent.trim() !== '';
    },
    empty: () => document.querySelector('.pagefind-ui__result') === null,
    shown: () => document.querySelectorAll('.pagefind-ui__result').length,
  },
};

const median = xs => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// One run: a fresh context, the harness page, query 1, the field emptied, query 2.
async function runOnce(browser, tool, server, words) {
  const context = await browser.newContext();
  const net = { inflight: 0, last: epoch() };
  const started = () => { net.inflight++; net.last = epoch(); };
  const ended = () => { net.inflight = Math.max(0, net.inflight - 1); net.last = epoch(); };
  context.on('request', started);
  context.on('requestfinished', ended);
  context.on('requestfailed', ended);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  page.on('console', m => {
    if (m.type() === 'error') errors.push(m.location()?.url ? `${m.text()}: ${m.location().url}` : m.text());
  });
  const out = { load: null, queries: [] };
  // Waits for what, or fails saying what it waited for and what the page reported.
  const step = async (what, promise) => {
    try {
      return await promise;
    } catch {
      throw new Error(`waited ${RESULT_TIMEOUT_MS / 1000} s in vain for ${what}` +
        (errors.length ? `; page errors: ${errors.slice(0, 3).join(' | ')}` : ''));
    }
  };
  try {
    let mark = server.log.length;
    await page.goto(server.url + HARNESS, { waitUntil: 'load' });
    await step('the search field to appear', page.waitForFunction(tool.ready, null, { timeout: RESULT_TIMEOUT_MS }));
    await networkIdle(server, net);
    out.load = server.log.slice(mark).filter(e => e.path !== HARNESS);
    for (const word of words) {
      await page.evaluate(done => {
        const b = window.__bench = { t0: null, t1: null };
        const check = new Function(`return (${done})()`);
        window.addEventListener('input', () => { if (b.t0 === null) b.t0 = performance.now(); },
          { capture: true, once: true });
        const observer = new MutationObserver(() => {
          if (b.t0 !== null && b.t1 === null && check()) {
            b.t1 = performance.now();
            observer.disconnect();
          }
        });
        observer.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
      }, tool.done.toString());
      mark = server.log.length;
      await page.fill(tool.input, word);
      await step(`a result with a snippet for '${word}'`,
        page.waitForFunction(() => window.__bench.t1 !== null, null, { timeout: RESULT_TIMEOUT_MS }));
      await networkIdle(server, net);
      const { t0, t1, origin } = await page.evaluate(() => ({ ...window.__bench, origin: performance.timeOrigin }));
      const shown = await page.evaluate(tool.shown);
      const input = origin + t0; // the input event, as epoch ms like the server's log
      const requests = server.log.slice(mark).map(e => ({ ...e, at: e.at - input, end: e.end - input }));
      out.queries.push({ word, ms: t1 - t0, shown, requests, bytes: requests.reduce((n, e) => n + e.bytes, 0) });
      // Empty the field and let the page settle, so the next query starts
      // from an empty results list.
      await page.fill(tool.input, '');
      await step(`the results of '${word}' to go when the field is emptied`,
        page.waitForFunction(tool.empty, null, { timeout: RESULT_TIMEOUT_MS }));
      await networkIdle(server, net);
      // A second later, as a reader types the next word: otherwise the next
      // fill can come within a debounce of the emptying and wait for it.
      await page.waitForTimeout(NEXT_QUERY_PAUSE_MS);
    }
  } finally {
    await context.close();
  }
  return out;
}

// ---- reporting ------------------------------------------------------------------------

const kb = n => `${(n / 1024).toFixed(1)} KB`;

// Requests grouped by folder (zoekindex/text/, pagefind/fragment/, ...).
function byFolder(requests) {
  const groups = new Map();
  for (const r of requests) {
    const dir = r.path.replace(/[^/]*$/, '');
    const g = groups.get(dir) ?? { files: 0, bytes: 0, missing: 0 };
    g.files++;
    g.bytes += r.bytes;
    if (r.status === 404) g.missing++;
    groups.set(dir, g);
  }
  return [...groups].sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([dir, g]) => `${dir} ${g.files} file${g.files === 1 ? '' : 's'}${g.missing ? ` (${g.missing} 404)` : ''} ${kb(g.bytes)}`)
    .join(', ');
}

function debounce(file, pattern) {
  try {
    const m = fs.readFileSync(file, 'utf8').match(pattern);
    return m ? `${m[1]} ms` : '? ms';
  } catch {
    return '? ms';
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const require = createRequire(import.meta.url);
  let chromium;
  try {
    ({ chromium } = require(path.resolve('node_modules/playwright-core')));
  } catch {
    say('not measured: playwright-core is not installed (npm ci at the root; scripts/install-deps bench)');
    return 1;
  }

  const words = pickWords(args.repo, args.gen);
  const pct = n => `${(100 * n / words.pages).toFixed(1)}%`;
  say(`queries, from the ${words.pages} generated practice pages: common '${words.common.word}'`,
    `(in ${words.common.pages} pages, ${pct(words.common.pages)}), rare '${words.rare.word}'`,
    `(in ${words.rare.pages} pages, ${pct(words.rare.pages)})` +
    (words.rare.pages > 10 ? '; no word of the vocabulary is in only 2-10 pages, so the rarest is used' : ''));

  const tools = [{ ...TOOLS.handbook, root: path.resolve(args.handbook) }];
  if (args.pagefind) tools.push({ ...TOOLS.pagefind, root: path.resolve(args.pagefind) });
  const debounceOf = {
    handbook: debounce(path.join(tools[0].root, 'assets/search.js'), /DEBOUNCE_MS\s*=\s*(\d+)/),
    pagefind: args.pagefind
      ? debounce(path.join(tools[1].root, 'pagefind/pagefind-ui.js'), /debounceTimeoutMs\?\?(\d+)/) : '',
  };
  for (const tool of tools) tool.server = await serve(tool.root);

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const results = new Map(tools.map(t => [t.name, []]));
  const failed = new Set();
  try {
    // Warm up Chromium itself (and the disk cache of the files) once, unmeasured.
    for (const tool of tools) {
      try {
        await runOnce(browser, tool, tool.server, [words.common.word]);
      } catch (err) {
        say(`${tool.name}: FAILED: ${err.message}`);
        failed.add(tool.name);
      }
    }
    for (let run = 0; run < args.runs; run++) {
      for (const tool of tools) {
        if (failed.has(tool.name)) continue;
        try {
          results.get(tool.name).push(await runOnce(browser, tool, tool.server,
            [words.common.word, words.rare.word]));
        } catch (err) {
          say(`${tool.name}: FAILED: ${err.message}`);
          failed.add(tool.name);
        }
      }
    }
  } finally {
    await browser.close();
    for (const tool of tools) await tool.server.close();
  }

  say(`browser: headless Chromium, ${args.runs} runs each with a cold cache, medians;`,
    'time = from the fill of the search field to the first result with its snippet, including',
    `the debounce (handbook ${debounceOf.handbook}, Pagefind UI ${debounceOf.pagefind || 'n/a'});`,
    `bytes = response bodies from the fill until the network is idle for ${IDLE_MS} ms`);
  const summary = {};
  for (const tool of tools) {
    const runs = results.get(tool.name);
    if (failed.has(tool.name) || runs.length === 0) continue;
    const load = runs[0].load;
    const loadBytes = median(runs.map(r => r.load.reduce((n, e) => n + e.bytes, 0)));
    say(`${tool.name}: before the first query the page loads ${kb(loadBytes)} in ${load.length} files`,
      `(${load.map(e => `${e.path} ${kb(e.bytes)}`).join(', ')})`);
    summary[tool.name] = [];
    summary[tool.name].load = loadBytes;
    ['common', 'rare'].forEach((kind, q) => {
      const ms = median(runs.map(r => r.queries[q].ms));
      const bytes = median(runs.map(r => r.queries[q].bytes));
      const files = median(runs.map(r => r.queries[q].requests.length));
      summary[tool.name].push({ ms, bytes });
      const first = runs[0].queries[q];
      say(`${tool.name}: query ${q + 1} (${kind}, '${first.word}'${q === 0 ? ', first' : ', second'}):`,
        `${ms.toFixed(0)} ms to results, ${kb(bytes)} in ${files} requests, ${first.shown} results shown`,
        `(min-max ${Math.min(...runs.map(r => r.queries[q].ms)).toFixed(0)}-${Math.max(...runs.map(r => r.queries[q].ms)).toFixed(0)} ms)`);
      say(`${tool.name}:   fetched: ${byFolder(first.requests)}`);
      if (args.verbose)
        for (const r of first.requests)
          say(`${tool.name}:     ${r.status} ${r.path} ${r.bytes} bytes, ${r.at.toFixed(0)}-${r.end.toFixed(0)} ms after the input event`);
    });
  }
  if (summary.handbook && summary.pagefind) {
    ['first (common)', 'second (rare)'].forEach((label, q) => {
      const h = summary.handbook[q], p = summary.pagefind[q];
      say(`handbook/pagefind, ${label} query: bytes ${(h.bytes / p.bytes).toFixed(2)},`,
        `time ${(h.ms / p.ms).toFixed(2)}`);
    });
    const h = summary.handbook, p = summary.pagefind;
    say(`handbook/pagefind, page load + first query: bytes ${((h.load + h[0].bytes) / (p.load + p[0].bytes)).toFixed(2)}`,
      `(${kb(h.load + h[0].bytes)} / ${kb(p.load + p[0].bytes)})`);
    say('aim: bytes <= 0.33 and time <= 0.20 for the first query');
  }
  return failed.size > 0 ? 1 : 0;
}

if (isMainThread) {
  main().then(code => { process.exitCode = code; }, err => {
    say(`FAILED: ${err.stack ?? err}`);
    process.exitCode = 1;
  });
} else {
  serverThread(workerData);
}
