// serve.mjs - a tiny static web server for the browser tests: serves the
// folder ROOT on 127.0.0.1 and prints its address (http://127.0.0.1:PORT) as
// the first line on stdout once it listens.
//
//   node tests/browser/serve.mjs ROOT [PORT]    PORT 0 (default) picks a free one
//
// A missing file is a 404 (the search page takes a 404 for "no such shard"),
// a folder is its index.html, and a folder without its slash is redirected.
// Set SERVE_LOG=1 to print every request on stderr.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const [rootArg, portArg = '0'] = process.argv.slice(2);
if (!rootArg) {
  console.error('usage: node serve.mjs ROOT [PORT]');
  process.exit(64);
}
const root = resolve(rootArg);

async function fileAt(path) {
  try {
    const s = await stat(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : null;
  } catch {
    return null;
  }
}

async function send(res, status, type, body, head) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(head ? undefined : body);
}

async function notFound(res, head) {
  let body = Buffer.from('Not found\n');
  let type = 'text/plain; charset=utf-8';
  try {
    body = await readFile(join(root, '404.html'));
    type = TYPES['.html'];
  } catch { /* the plain text will do */ }
  await send(res, 404, type, body, head);
}

const server = createServer(async (req, res) => {
  if (process.env.SERVE_LOG) console.error(`${req.method} ${req.url}`);
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.writeHead(405, { Allow: 'GET, HEAD' });
    res.end();
    return;
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  } catch {
    await send(res, 400, 'text/plain; charset=utf-8', Buffer.from('Bad request\n'), head);
    return;
  }
  const path = resolve(root, `.${pathname}`);
  if (pathname.includes('\0') || (path !== root && !path.startsWith(root + sep))) {
    await notFound(res, head);
    return;
  }
  let file = path;
  const kind = await fileAt(path);
  if (kind === 'dir') {
    if (!pathname.endsWith('/')) {
      const url = new URL(req.url, 'http://localhost');
      res.writeHead(301, { Location: `${url.pathname}/${url.search}` });
      res.end();
      return;
    }
    file = join(path, 'index.html');
    if ((await fileAt(file)) !== 'file') {
      await notFound(res, head);
      return;
    }
  } else if (kind !== 'file') {
    await notFound(res, head);
    return;
  }
  try {
    const body = await readFile(file);
    await send(res, 200, TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', body, head);
  } catch {
    await notFound(res, head);
  }
});

server.listen(Number(portArg), '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
