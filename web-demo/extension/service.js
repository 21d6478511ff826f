// The extension's calls to a Baton service: the settings (chrome.storage.sync), and each call
// answered as data or as an error that says what failed in words a rep can act on.

/** The API version this extension speaks (the service's `/v1/status` says its own). */
export const API_VERSION = 1;

/** The saved settings `{service, token}`, or null outside an extension or when unset. */
export async function settings() {
  if (!globalThis.chrome?.storage?.sync) return null;
  const { service, token, actor } = await chrome.storage.sync.get(['service', 'token', 'actor']);
  return service && token ? { service, token, actor: actor || 'crm-side-panel' } : null;
}

/** The `baton.toml` the service runs (text), or null from a service without `/v1/config`. */
export async function serviceConfig({ service, token }) {
  try {
    const r = await fetch(`${service.replace(/\/$/, '')}/v1/config`, { headers: { authorization: `Bearer ${token}` } });
    return r.ok ? r.text() : null;
  } catch {
    return null;
  }
}

/** A call that failed, with the sentence the panel and the options page show. */
export class ServiceError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

/** `GET`s or `POST`s `path` on the service with the token; the JSON answer. */
export async function call({ service, token }, path, { method = 'GET', body } = {}) {
  const url = `${service.replace(/\/$/, '')}${path}`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ServiceError('unreachable', `The Baton service at ${service} is unreachable. Is it running, and is the URL right?`);
  }
  const answer = await response.json().catch(() => ({}));
  if (response.ok) return answer;
  const why = answer.message ? `: ${answer.message}` : '';
  if (response.status === 401) {
    throw new ServiceError('token', `The service refused the token (401)${why}. Set a rep token in the options (baton serve token create WORKSPACE --scope rep).`);
  }
  if (response.status === 403) {
    throw new ServiceError('scope', `The token may not do this (403)${why}. A rep token reads cards and accepts or rejects leads.`);
  }
  if (response.status === 404) throw new ServiceError('missing', answer.message ?? 'Not found.');
  throw new ServiceError('failed', `The service answered ${response.status}${why}.`);
}

/** Checks a service: reachable, the token accepted, the API this extension speaks. */
export async function testConnection(s) {
  const status = await call(s, '/v1/status');
  if (status.service !== 'baton' || status.api !== API_VERSION) {
    throw new ServiceError('version', `Wrong version: this extension speaks Baton API ${API_VERSION}, the service at ${s.service} answers API ${status.api ?? 'none'} (Baton ${status.baton_version ?? 'unknown'}). Update the one that is older.`);
  }
  return status;
}
