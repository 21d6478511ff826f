// On a HubSpot or Salesforce record page: which record is open, told to the extension whenever it
// changes (both CRMs are single-page apps: a new record does not reload the page). Reads the URL,
// and the page where the URL is not enough (Salesforce's short /lightning/r/{id}/view form names
// no object: the id's prefix does, 00Q a Lead, 003 a Contact, 006 an Opportunity).
(() => {
  const SALESFORCE_PREFIX = { '00Q': 'lead', '003': 'contact', '006': 'deal' };
  const SALESFORCE_OBJECT = { Lead: 'lead', Contact: 'contact', Opportunity: 'deal' };

  /** The record a CRM URL shows: `{crm, object, id}` (object: contact, lead or deal), or null. */
  function recordOf(href) {
    const url = new URL(href);
    if (/(^|\.)hubspot\.com$/.test(url.hostname)) {
      // /contacts/{portal}/record/0-1/{id} (contact), /record/0-3/{id} (deal); the older
      // /contacts/{portal}/contact/{id} and /deal/{id}.
      const m = url.pathname.match(/^\/contacts\/\d+\/(?:record\/(0-1|0-3)|(contact|deal))\/(\d+)/);
      if (!m) return null;
      const object = m[1] === '0-1' || m[2] === 'contact' ? 'contact' : 'deal';
      return { crm: 'hubspot', object, id: m[3] };
    }
    if (url.hostname.endsWith('.lightning.force.com')) {
      const long = url.pathname.match(/^\/lightning\/r\/(Lead|Contact|Opportunity)\/([A-Za-z0-9]{15,18})\/view/);
      if (long) return { crm: 'salesforce', object: SALESFORCE_OBJECT[long[1]], id: long[2] };
      const short = url.pathname.match(/^\/lightning\/r\/([A-Za-z0-9]{15,18})\/view/);
      const object = short && SALESFORCE_PREFIX[short[1].slice(0, 3)];
      if (object) return { crm: 'salesforce', object, id: short[1] };
    }
    return null;
  }

  let last = null;
  function tell() {
    const record = recordOf(location.href);
    const key = JSON.stringify(record);
    if (key === last) return;
    last = key;
    chrome.runtime.sendMessage({ type: 'baton:record', record, title: document.title }).catch(() => {
      // The extension was reloaded: this page's script is orphaned until the page reloads.
    });
  }
  tell();
  setInterval(tell, 1000);
  addEventListener('popstate', tell);
})();
