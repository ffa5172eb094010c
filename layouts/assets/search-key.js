// search-key.js: the keys that open the search, on every page. / and Ctrl+K
// (Cmd+K on a Mac) put the cursor in the search field of the header; on the
// search page, search.js gives them its own field. Loaded by base.mustache.

// Whether the key goes to a field the reader is typing in.
function isEditable(node) {
  if (!(node instanceof HTMLElement)) return false;
  if (node.isContentEditable || node.tagName === 'TEXTAREA' || node.tagName === 'SELECT') return true;
  return node.tagName === 'INPUT' && !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(node.type);
}

/** Whether a keydown is / (outside a field) or Ctrl+K / Cmd+K (anywhere). */
export function isSearchKey(event) {
  const slash = event.key === '/' && !event.ctrlKey && !event.metaKey && !event.altKey && !isEditable(event.target);
  const ctrlK = (event.key === 'k' || event.key === 'K') && (event.ctrlKey || event.metaKey) && !event.altKey;
  return slash || ctrlK;
}

/** Focuses and selects input when a search key is pressed. */
export function focusOnSearchKey(input) {
  document.addEventListener('keydown', event => {
    if (!isSearchKey(event)) return;
    event.preventDefault();
    input.focus();
    input.select();
  });
}

const header = document.getElementById('kopzoekveld');
if (header && !document.querySelector('form[data-index]')) focusOnSearchKey(header);
