// A small CSV reader for the demo pages (quoted fields, escaped quotes, CRLF), typing values the
// way a page hands them to Baton: numbers as numbers, true/false as booleans, empty as absent.
export function parseCsv(text) {
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  const [header, ...body] = rows.filter((r) => r.length > 1 || r[0] !== '');
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

/** A record with typed values (what `scoreLead` expects), empty values left out. */
export function typed(record) {
  const out = {};
  for (const [k, v] of Object.entries(record)) {
    if (v === '') continue;
    if (v === 'true' || v === 'false') out[k] = v === 'true';
    else if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(v) && k !== 'lead_id') out[k] = Number(v);
    else out[k] = v;
  }
  return out;
}
