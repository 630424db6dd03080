/**
 * The token is kept in this tab's session storage only: it is gone when the tab closes, is not
 * shared with other tabs, and is never written into a URL.
 */
const KEY = 'ccsync.token';

export function storedToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
