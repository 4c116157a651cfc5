/**
 * Where a provider account's credentials may be sent. Credentials stored for one origin (scheme, host,
 * port) are never sent to another: changing the origin of `base_url` drops them unless new ones come
 * with the change, and with an allowlist set only its hosts are accepted.
 */

/** The origin of an http(s) URL (`https://api.tdata.cl:8443`), or null when it is not one. */
export function originOf(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  return u.origin;
}

/** True when credentials stored for `before` would reach another party at `after`. */
export function originChanged(before: string, after: string): boolean {
  return originOf(before) !== originOf(after);
}

/**
 * Whether `url`'s host is allowed: every host when there is no allowlist; otherwise the host, or
 * `host:port`, must be listed (case-insensitive, exact: no subdomains).
 */
export function hostAllowed(url: string, allowlist: readonly string[] | undefined): boolean {
  if (!allowlist) return true;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const host = u.hostname.toLowerCase();
  return allowlist.includes(host) || (u.port !== '' && allowlist.includes(`${host}:${u.port}`));
}
