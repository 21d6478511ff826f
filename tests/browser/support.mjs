// What the browser tests share: where the repository, the `baton` binary, Debian's Chromium, the
// assembled demo and the screenshots are, and Chromium's flags for a quiet headless run.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = process.env.BATON_BIN ?? join(root, 'target', 'debug', 'baton');
export const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const demo = join(root, 'target', 'web-demo');
export const artifacts = join(root, 'target', 'screenshots');
export const args = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-sync', '--disable-quic'];
