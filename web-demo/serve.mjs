// A static file server for target/web-demo (the pages need http:// for ES modules and wasm).
// The live site's pages (site/live/) get the Baton service's URL and site key written into their
// widget tag: `server.site = {service, siteKey}`, or BATON_SERVICE and BATON_SITE_KEY.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json',
  '.csv': 'text/csv', '.toml': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml', '.md': 'text/plain',
};

/** Serves `root`; resolves to the listening server. */
export function serve(root, port = 0) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (req.method === 'POST') {
      // The widget's optional webhook: echo what was posted so tests can read it back.
      let body = '';
      for await (const chunk of req) body += chunk;
      server.posts.push({ path: url.pathname, body });
      res.writeHead(204).end();
      return;
    }
    let path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
    if (path.endsWith('/')) path += 'index.html';
    try {
      let body = await readFile(join(root, path));
      const headers = { 'content-type': types[extname(path)] ?? 'application/octet-stream' };
      if (extname(path) === '.html') {
        headers['cache-control'] = 'no-store';
        const { service = '', siteKey = '' } = server.site;
        body = body.toString('utf8').replaceAll('{{BATON_SERVICE}}', service).replaceAll('{{BATON_SITE_KEY}}', siteKey);
      }
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  server.posts = [];
  server.site = { service: process.env.BATON_SERVICE ?? '', siteKey: process.env.BATON_SITE_KEY ?? '' };
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'target', 'web-demo');
  serve(root, Number(process.env.PORT ?? 8431)).then((s) =>
    console.log(`web-demo on http://127.0.0.1:${s.address().port}/ (from ${root})`));
}
