// Parsing what people type: the sign-in name ("1001" or "1001@example.com") and a dial target
// ("1002", "+1 (555) 010-9999", "1002@example.com", "sip:1002@example.com"). Pure functions: no
// DOM, no JsSIP, so they are unit-tested in Node.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Account {
  /** The user part: the extension number. */
  extension: string;
  /** The tenant's domain, or null for the server's default tenant. */
  domain: string | null;
}

const EXTENSION = /^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$/;
// A DNS name or an IPv4 address; IPv6 literals are not tenant domains.
const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// What a phone number may contain besides digits, only as formatting.
const NUMBER_FORMATTING = /[\s().\-\u00a0]/g;
const DIALABLE = /^\+?[0-9*#]{1,32}$/;

/** "1001" or "1001@example.com" as typed on the sign-in screen. */
export function parseAccount(text: string): Parsed<Account> {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, error: 'Enter your extension.' };
  const at = trimmed.indexOf('@');
  const user = at < 0 ? trimmed : trimmed.slice(0, at);
  const domain = at < 0 ? null : trimmed.slice(at + 1).toLowerCase();
  if (!EXTENSION.test(user)) {
    return { ok: false, error: 'An extension is letters and digits, like 1001.' };
  }
  if (domain !== null && !DOMAIN.test(domain)) {
    return { ok: false, error: `"${domain}" is not a domain name.` };
  }
  return { ok: true, value: { extension: user, domain } };
}

/** The API user name: "ext@domain", or the bare extension for the default tenant. */
export function accountName(account: Account): string {
  return account.domain ? `${account.extension}@${account.domain}` : account.extension;
}

/**
 * A dial target as a SIP URI in `domain`. Phone-number formatting (spaces, dashes, dots,
 * brackets) is removed; a typed domain or a sip: URI is kept as given.
 */
export function parseDialTarget(text: string, domain: string): Parsed<string> {
  let target = text.trim();
  if (target === '') return { ok: false, error: 'Enter a number or extension to call.' };
  if (/^sips?:/i.test(target)) target = target.replace(/^sips?:/i, '');
  const at = target.indexOf('@');
  let user = at < 0 ? target : target.slice(0, at);
  const host = at < 0 ? domain : target.slice(at + 1).toLowerCase();
  if (!DOMAIN.test(host)) return { ok: false, error: `"${host}" is not a domain name.` };
  const digitsOnly = user.replace(NUMBER_FORMATTING, '');
  if (DIALABLE.test(digitsOnly)) {
    user = digitsOnly;
  } else if (!EXTENSION.test(user)) {
    return { ok: false, error: `"${text.trim()}" is not a number or extension.` };
  }
  return { ok: true, value: `sip:${user}@${host}` };
}

/** The user part of a SIP URI or name-addr, for display ("sip:1002@x" -> "1002"). */
export function displayUser(uri: string): string {
  const match = /^(?:.*<)?(?:sips?:)?([^@>;]+)/i.exec(uri.trim());
  return match ? match[1] : uri;
}

/** The domain of "ext@domain", or null. */
export function domainOf(name: string): string | null {
  const at = name.lastIndexOf('@');
  if (at < 0) return null;
  const domain = name.slice(at + 1).toLowerCase();
  return DOMAIN.test(domain) ? domain : null;
}
