// The registry guard's policy, route by route: reads and registrations for anyone, every other
// mutation for the admin only, and paths that could be normalised around the policy refused.
import { describe, expect, it } from 'vitest';
import { authenticate, classify } from '../../stack/registry-guard.js';

const C = '/apis/ccompat/v7';
const V3 = '/apis/registry/v3';

describe('registry guard policy', () => {
  it.each([
    ['GET', `${C}/subjects`, 'read'],
    ['GET', `${C}/schemas/ids/12`, 'read'],
    ['GET', `${C}/config/t-1.reviews-value?defaultToGlobal=true`, 'read'],
    ['HEAD', `${V3}/groups/default/artifacts`, 'read'],
    ['POST', `${C}/subjects/t-1.reviews-value`, 'read'],
    ['POST', `${C}/compatibility/subjects/t-1.reviews-value/versions/latest`, 'read'],
    ['POST', `${V3}/search/artifacts`, 'read'],
    ['POST', `${C}/subjects/t-1.reviews-value/versions`, 'register'],
    ['PUT', `${C}/config`, 'admin'],
    ['PUT', `${C}/config/t-1.reviews-value`, 'admin'],
    ['DELETE', `${C}/config/t-1.reviews-value`, 'admin'],
    ['PUT', `${C}/mode`, 'admin'],
    ['DELETE', `${C}/subjects/t-1.reviews-value`, 'admin'],
    ['DELETE', `${C}/subjects/t-1.reviews-value/versions/1`, 'admin'],
    ['POST', `${V3}/admin/rules`, 'admin'],
    ['GET', `${V3}/admin/export`, 'admin'],
    ['POST', `${V3}/groups/default/artifacts/x/rules`, 'admin'],
    ['PUT', `${V3}/groups/default/artifacts/x/rules/COMPATIBILITY`, 'admin'],
    ['PUT', `${V3}/groups/default/artifacts/x/versions/1/state`, 'admin'],
    ['POST', `${V3}/groups/default/artifacts`, 'admin'],
    ['DELETE', `${V3}/groups/default`, 'admin'],
    ['PUT', '/apis/registry/v2/admin/rules/COMPATIBILITY', 'admin'],
    ['PATCH', `${C}/subjects/x`, 'admin'],
    ['PUT', `${C}/subjects/x-value/versions/../../../config`, 'bad'],
    ['PUT', `${C}/subjects/x-value/versions/%2e%2e/%2E%2E/config`, 'bad'],
    ['GET', `${C}/subjects/a%2Fb`, 'bad'],
    ['POST', `${C}/subjects/x;v=1/versions`, 'bad'],
    ['PUT', `${C}//config`, 'bad'],
    ['GET', `${C}/subjects/%zz`, 'bad'],
  ])('%s %s is %s', (method, url, access) => {
    expect(classify(method, url)).toBe(access);
  });

  it('authenticates HTTP basic against the identities, in constant time per call', () => {
    const ids = [
      { username: 'ulasan-admin', password: 'pa:ss' },
      { username: 'ulasan-scoring', password: 'x' },
    ];
    const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;
    expect(authenticate(undefined, ids)).toBe('anonymous');
    expect(authenticate(basic('ulasan-admin:pa:ss'), ids)).toBe('ulasan-admin');
    expect(authenticate(basic('ulasan-scoring:x'), ids)).toBe('ulasan-scoring');
    expect(authenticate(basic('ulasan-admin:wrong'), ids)).toBe('invalid');
    expect(authenticate(basic('nobody:x'), ids)).toBe('invalid');
    expect(authenticate('Bearer abc', ids)).toBe('invalid');
    expect(authenticate(basic('no-colon'), ids)).toBe('invalid');
  });
});
