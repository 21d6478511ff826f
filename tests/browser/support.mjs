// What the browser tests share: where the repository, the `baton` binary, Debian's Chromium, the
// assembled demo and the screenshots are, Chromium's flags for a quiet headless run, the real
// `baton serve` started and stopped on loopback, and pages that record console errors.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = process.env.BATON_BIN ?? join(root, 'target', 'debug', 'baton');
export const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const demo = join(root, 'target', 'web-demo');
export const artifacts = join(root, 'target', 'screenshots');
export const args = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-sync', '--disable-quic'];

/** A free loopback port (a service restarted on the same one keeps the URL a page was given). */
export function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts `baton serve WORKSPACE` on 127.0.0.1 (`port` 0: any); resolves to `{child, base}`
 *  once it listens. */
export function startService(workspace, { port = 0, args: more = [], env = {} } = {}) {
  const child = spawn(bin, ['serve', workspace, '--listen', `127.0.0.1:${port}`, ...more], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, ...env },
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (line) => {
      const m = String(line).match(/^listening on (\S+)/);
      if (m) resolve({ child, base: m[1] });
      else reject(new Error(`baton serve said: ${line}`));
    });
  });
}

/** Stops a service (SIGTERM) and waits for it to exit. */
export function stopService(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

/** A new page of `context` that records console errors and uncaught exceptions in
 *  `page.errors`; while `page.offline` is set, the browser's own line for a request that failed
 *  on purpose (a stopped service, a refused token) is let through: the page's handling of it is
 *  what a test checks. */
export async function openPage(context, url) {
  const page = await context.newPage();
  page.errors = [];
  page.offline = false;
  page.on('console', (m) => {
    const refused = /ERR_CONNECTION_REFUSED|^Failed to load resource/.test(m.text());
    if (m.type() === 'error' && !(page.offline && refused)) page.errors.push(m.text());
  });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  if (url) await page.goto(url);
  return page;
}
