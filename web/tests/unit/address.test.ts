import { describe, expect, it } from 'vitest';
import { accountName, displayUser, domainOf, parseAccount, parseDialTarget } from '../../src/lib/address';

describe('parseAccount', () => {
  it('takes a bare extension for the default tenant', () => {
    expect(parseAccount(' 1001 ')).toEqual({ ok: true, value: { extension: '1001', domain: null } });
  });
  it('takes extension@domain and lower-cases the domain', () => {
    expect(parseAccount('1001@Parley.Local')).toEqual({
      ok: true,
      value: { extension: '1001', domain: 'parley.local' },
    });
  });
  it('refuses empty input, bad extensions and bad domains with a sentence', () => {
    expect(parseAccount('   ')).toEqual({ ok: false, error: 'Enter your extension.' });
    expect(parseAccount('10 01').ok).toBe(false);
    expect(parseAccount('@parley.local').ok).toBe(false);
    const bad = parseAccount('1001@bad..domain');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toContain('bad..domain');
    expect(parseAccount('1001@').ok).toBe(false);
  });
  it('names the account for the API', () => {
    expect(accountName({ extension: '1001', domain: null })).toBe('1001');
    expect(accountName({ extension: '1001', domain: 'a.example' })).toBe('1001@a.example');
  });
});

describe('parseDialTarget', () => {
  it('puts an extension into the tenant domain', () => {
    expect(parseDialTarget('1002', 'parley.local')).toEqual({ ok: true, value: 'sip:1002@parley.local' });
  });
  it('strips phone-number formatting but keeps + * #', () => {
    expect(parseDialTarget('+1 (555) 010-9999', 'p.local')).toEqual({ ok: true, value: 'sip:+15550109999@p.local' });
    expect(parseDialTarget('*97#', 'p.local')).toEqual({ ok: true, value: 'sip:*97#@p.local' });
    expect(parseDialTarget('555.010.9999', 'p.local')).toEqual({ ok: true, value: 'sip:5550109999@p.local' });
  });
  it('keeps a typed domain or sip: URI', () => {
    expect(parseDialTarget('2001@Other.Example', 'p.local')).toEqual({ ok: true, value: 'sip:2001@other.example' });
    expect(parseDialTarget('sip:2001@other.example', 'p.local')).toEqual({ ok: true, value: 'sip:2001@other.example' });
    expect(parseDialTarget('alice', 'p.local')).toEqual({ ok: true, value: 'sip:alice@p.local' });
  });
  it('refuses what cannot be dialled', () => {
    expect(parseDialTarget('', 'p.local').ok).toBe(false);
    expect(parseDialTarget('12<script>', 'p.local').ok).toBe(false);
    expect(parseDialTarget('1002@', 'p.local').ok).toBe(false);
    expect(parseDialTarget('+', 'p.local').ok).toBe(false);
    expect(parseDialTarget('1'.repeat(40), 'p.local').ok).toBe(true); // an extension-like name
    expect(parseDialTarget('a b', 'p.local').ok).toBe(false);
  });
});

describe('displayUser and domainOf', () => {
  it('shows the user part of URIs and name-addrs', () => {
    expect(displayUser('sip:1002@parley.local')).toBe('1002');
    expect(displayUser('"Bob" <sip:1002@parley.local>;tag=x')).toBe('1002');
    expect(displayUser('1003')).toBe('1003');
  });
  it('finds the domain of a user name', () => {
    expect(domainOf('1001@Parley.Local')).toBe('parley.local');
    expect(domainOf('1001')).toBeNull();
    expect(domainOf('1001@not a domain')).toBeNull();
  });
});
