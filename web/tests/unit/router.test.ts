import { describe, expect, it } from 'vitest';
import { routeOf } from '../../src/router';

describe('routeOf', () => {
  it('maps /admin and below to the admin entry, everything else to the softphone', () => {
    expect(routeOf('/')).toBe('softphone');
    expect(routeOf('/admin')).toBe('admin');
    expect(routeOf('/admin/tenants')).toBe('admin');
    expect(routeOf('/administrator')).toBe('softphone');
  });
});
