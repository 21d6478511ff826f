// Opens the side panel when the toolbar button is clicked, and keeps which CRM record the active
// tab shows (told by content.js) in session storage, where the side panel follows it.
chrome.sidePanel.setPanelBehavior({ openPanelOnActionClick: true }).catch((e) => console.error(e));

chrome.runtime.onMessage.addListener((message, sender) => {
  if (message?.type !== 'baton:record' || !sender.tab) return;
  chrome.storage.session.set({ record: { ...message.record, tab: sender.tab.id, title: message.title, at: Date.now() } });
});
