/**
 * The admin token: taken once from the address (`#token=…` as the demo prints it, or `?token=…`), then
 * kept in sessionStorage only, so it ends with the tab and never lingers in the address bar or history.
 */

const STORAGE_KEY = 'forewarn.token';

/** Moves a token found in the address into storage and removes it from the address; returns the stored token. */
export function captureToken(): string | null {
  const fromHash = /(?:^#|&)token=([^&]+)/.exec(window.location.hash)?.[1];
  const query = new URLSearchParams(window.location.search);
  const found = fromHash ?? query.get('token');
  if (found) {
    saveToken(decodeURIComponent(found));
    query.delete('token');
    const search = query.toString();
    const hash = fromHash ? '#/' : window.location.hash;
    window.history.replaceState(null, '', `${window.location.pathname}${search ? `?${search}` : ''}${hash}`);
  }
  return storedToken();
}

export function storedToken(): string | null {
  return window.sessionStorage.getItem(STORAGE_KEY);
}

export function saveToken(token: string): void {
  window.sessionStorage.setItem(STORAGE_KEY, token.trim());
}

export function forgetToken(): void {
  window.sessionStorage.removeItem(STORAGE_KEY);
}
