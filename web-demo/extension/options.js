// The options page: the service's URL and a rep token, saved in chrome.storage.sync; saving asks
// the browser for access to that one origin (an optional host permission); "Test connection"
// says what failed: unreachable, the token refused, or another API version.
import { ServiceError, settings, testConnection } from './service.js';

const $ = (id) => document.getElementById(id);

function say(text, kind) {
  $('result').textContent = text;
  $('result').className = kind;
}

function read() {
  return { service: $('service').value.trim().replace(/\/$/, ''), token: $('token').value.trim(), actor: $('actor').value.trim() };
}

/** Asks for the service's origin (needs the click's user gesture); the service also answers
 *  CORS, so a refusal here is said, not fatal. */
async function requestAccess(service) {
  const origins = [`${new URL(service).origin}/*`];
  if (await chrome.permissions.contains({ origins })) return true;
  const asked = chrome.permissions.request({ origins }).catch(() => false);
  const timeout = new Promise((resolve) => setTimeout(() => resolve(false), 3000));
  return Promise.race([asked, timeout]);
}

$('options').addEventListener('submit', async (e) => {
  e.preventDefault();
  const s = read();
  try {
    new URL(s.service);
  } catch {
    say(`"${s.service}" is not a URL: write it as https://baton.example.com`, 'breached');
    return;
  }
  await chrome.storage.sync.set(s);
  const granted = await requestAccess(s.service);
  say(granted ? 'Saved.' : `Saved. Access to ${new URL(s.service).origin} was not granted; the panel relies on the service's CORS answers.`, 'met');
});

$('test').addEventListener('click', async () => {
  say('Testing…', '');
  try {
    const status = await testConnection(read());
    say(`Connected: Baton ${status.baton_version}, API ${status.api}, ${status.store} store.`, 'met');
  } catch (e) {
    say(e instanceof ServiceError ? e.message : `Failed: ${e.message}`, 'breached');
  }
});

settings().then((s) => {
  if (!s) return;
  $('service').value = s.service;
  $('token').value = s.token;
  if (s.actor !== 'crm-side-panel') $('actor').value = s.actor;
});
