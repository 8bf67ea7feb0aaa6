import { describe, expect, it } from 'vitest';
import { parseMembers, readCallFeatures, readRingGroup, ringGroupChangeBody } from '../../src/lib/call_features';

describe('readRingGroup', () => {
  it('reads the API document', () => {
    expect(readRingGroup({
      number: '600', name: 'Sales', strategy: 'hunt', member_timeout_seconds: 10,
      members: ['1002', '1001'], final_destination: 'voicemail:1003', created_at: 1,
    })).toEqual({
      number: '600', name: 'Sales', strategy: 'hunt', memberTimeoutSeconds: 10,
      members: ['1002', '1001'], finalDestination: 'voicemail:1003',
    });
  });
  it('survives missing and wrong members and refuses a group without a number', () => {
    expect(readRingGroup({ number: '601', members: ['1001', 7, null], strategy: 'odd' })).toEqual({
      number: '601', name: '', strategy: 'ring-all', memberTimeoutSeconds: 0,
      members: ['1001'], finalDestination: 'hangup',
    });
    expect(readRingGroup({ name: 'x' })).toBeNull();
    expect(readRingGroup('600')).toBeNull();
  });
});

describe('readCallFeatures', () => {
  it('keeps known conditions only', () => {
    expect(readCallFeatures({
      number: '1002', dnd: true,
      forwards: [
        { condition: 'no-answer', destination: '1003', no_answer_seconds: 12 },
        { condition: 'sometimes', destination: '1003' },
        { condition: 'busy', destination: 5 },
        { condition: 'always', destination: '+4930123' },
      ],
    })).toEqual({
      number: '1002', dnd: true,
      forwards: [
        { condition: 'no-answer', destination: '1003', noAnswerSeconds: 12 },
        { condition: 'always', destination: '+4930123', noAnswerSeconds: null },
      ],
    });
    expect(readCallFeatures({ number: '1002', dnd: 'yes' })).toEqual({ number: '1002', dnd: false, forwards: [] });
    expect(readCallFeatures(null)).toBeNull();
  });
});

describe('parseMembers', () => {
  it('splits on commas and spaces, keeping the order', () => {
    expect(parseMembers(' 1002, 1001;1003  1004 ')).toEqual(['1002', '1001', '1003', '1004']);
    expect(parseMembers('  ')).toEqual([]);
  });
});

describe('ringGroupChangeBody', () => {
  it('sends every setting of the group, so the server changes it whole', () => {
    expect(ringGroupChangeBody({
      name: ' Support ', strategy: 'hunt', memberTimeoutSeconds: 25, members: ['1003', '1002'], finalDestination: ' 1001 ',
    })).toEqual({
      name: 'Support', strategy: 'hunt', member_timeout_seconds: 25, members: ['1003', '1002'], final_destination: '1001',
    });
    expect(ringGroupChangeBody({ name: '', strategy: 'ring-all', memberTimeoutSeconds: null, members: [], finalDestination: '' }))
      .toEqual({ name: '', strategy: 'ring-all', members: [], final_destination: 'hangup' });
  });
});
