// Every limit announces its refusals as `rate_limited` events (metrics count them), and only its refusals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/errors.js';
import { createEvents, type LimitName } from '../../src/events/events.js';
import { createMemoryLimits } from '../../src/limits/limits.js';

describe('limits in memory', () => {
  it('announce each refusal with the limit that refused, and nothing while they allow', async () => {
    const events = createEvents();
    const refused: LimitName[] = [];
    events.on('rate_limited', ({ limit }) => refused.push(limit));
    const limits = createMemoryLimits({ rateLimitPerMinute: 1, failedAuthPerMinute: 1, apiTokenExchangesPerMinute: 1 }, events);
    for (const limiter of [limits.requests, limits.failedAuth, limits.apiTokenExchanges]) assert.equal((await limiter.consume('k')).allowed, true);
    await limits.passcodeGuard('p');
    assert.deepEqual(refused, []);

    for (const limiter of [limits.requests, limits.failedAuth, limits.apiTokenExchanges]) assert.equal((await limiter.consume('k')).allowed, false);
    await assert.rejects(limits.passcodeGuard('p'), (error: unknown) => error instanceof ApiError && error.code === 'rate_limited');
    assert.deepEqual(refused, ['requests', 'failed_auth', 'api_token_exchanges', 'passcodes']);
  });
});
