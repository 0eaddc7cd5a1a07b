// The feedback route group on its own (gateway root + feedbackPlugin), with inject().
import { describe, expect, it } from 'vitest';
import { feedbackPlugin } from '../../../gateway/plugins/feedback.js';
import { call, fakes, pluginApp } from './harness.js';

describe('feedback route', () => {
  it('accepts feedback to the feedback topic, marked with a pseudonym of the token that gave it', async () => {
    const f = fakes();
    const app = await pluginApp(feedbackPlugin, f.deps);
    const payload = { review_id: 'r1', true_label: 'neutral' };
    expect((await call(app, { method: 'POST', url: '/feedback', payload }, 'feedback')).statusCode).toBe(202);
    expect((await call(app, { method: 'POST', url: '/feedback', payload }, 'admin')).statusCode).toBe(202);
    expect(f.feedback[0]).toMatchObject({ review_id: 'r1', true_label: 'neutral', source: 'gateway' });
    const [a, b] = f.feedback.map((x) => x.user_hash);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(b).not.toBe(a);
    expect(JSON.stringify(f.feedback)).not.toContain('feedback-user');
    const bad = { review_id: 'r1', true_label: 'great' };
    expect((await call(app, { method: 'POST', url: '/feedback', payload: bad }, 'feedback')).statusCode).toBe(400);
  });

  // The probe's finding: {"review_id": 123} was coerced to "123" and answered 202.
  it.each([
    ['a numeric review_id', { review_id: 123, true_label: 'neutral' }, 'body/review_id must be string'],
    ['an array review_id', { review_id: ['r1'], true_label: 'neutral' }, 'body/review_id must be string'],
    ['a numeric comment', { review_id: 'r1', true_label: 'neutral', comment: 5 }, 'body/comment must be string'],
    ['an unknown field', { review_id: 'r1', true_label: 'neutral', user: 'x' }, 'body/user is not a known field'],
  ])('refuses %s with 400 VALIDATION_FAILED naming the field, and sends nothing', async (_, payload, message) => {
    const f = fakes();
    const app = await pluginApp(feedbackPlugin, f.deps);
    const res = await call(app, { method: 'POST', url: '/feedback', payload }, 'feedback');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', message });
    expect(f.feedback).toEqual([]);
  });
});
