import { describe, expect, it } from 'vitest';
import { buildPidf, readPidf } from '../../src/phone/presence_doc';

// Documents as sip/presence.cpp builds them.
function server(basic: string, tupleNote: string, person = ''): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf"' +
    ' xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"' +
    ` entity="sip:1002@example.com">\n  <tuple id="phone">\n    <status><basic>${basic}</basic></status>\n` +
    `    <contact>sip:1002@example.com</contact>\n    <note>${tupleNote}</note>\n  </tuple>\n${person}</presence>\n`
  );
}

describe('readPidf', () => {
  it('reads the combined states the server sends', () => {
    expect(readPidf(server('open', 'Available'))).toEqual({ state: 'available', label: 'Available', note: '' });
    expect(readPidf(server('closed', 'Offline'))?.state).toBe('offline');
    expect(readPidf(server('closed', 'Do not disturb'))?.state).toBe('dnd');
    expect(readPidf(server('open', 'Ringing'))?.state).toBe('ringing');
    expect(
      readPidf(server('open', 'On the phone', '<dm:person id="user"><rpid:activities><rpid:on-the-phone/></rpid:activities></dm:person>'))
        ?.state,
    ).toBe('on-the-phone');
    expect(
      readPidf(server('open', 'Busy', '<dm:person id="user"><rpid:activities><rpid:busy/></rpid:activities></dm:person>')),
    ).toEqual({ state: 'busy', label: 'Busy', note: '' });
  });

  it('tells the user note from the words', () => {
    const xml = server(
      'open',
      'Lunch &amp; errands &lt;3',
      '<dm:person id="user"><rpid:activities><rpid:away/></rpid:activities><dm:note>Away</dm:note></dm:person>',
    );
    expect(readPidf(xml)).toEqual({ state: 'away', label: 'Away', note: 'Lunch & errands <3' });
  });

  it('refuses what is not PIDF', () => {
    expect(readPidf('')).toBeNull();
    expect(readPidf('<presence><tuple><status><basic>maybe</basic></status></tuple></presence>')).toBeNull();
  });
});

describe('buildPidf', () => {
  it('writes what the server reads', () => {
    const away = buildPidf('sip:1001@example.com', 'away', ' Back at <3> & "soon" ');
    expect(away).toContain('<basic>open</basic>');
    expect(away).toContain('<rpid:activities><rpid:away/></rpid:activities>');
    expect(away).toContain('<dm:note>Back at &lt;3&gt; &amp; &quot;soon&quot;</dm:note>');
    expect(buildPidf('sip:1001@example.com', 'offline', '')).toContain('<basic>closed</basic>');
    expect(buildPidf('sip:1001@example.com', 'available', '')).not.toContain('dm:person');
  });
});
