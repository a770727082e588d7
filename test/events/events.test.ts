// The domain event bus: typed, synchronous, and a failing listener never reaches the code that announced the fact.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvents, type EventName } from '../../src/events/events.js';

describe('domain events', () => {
  it('calls every listener of an event at once, in the order they subscribed, with the payload', () => {
    const events = createEvents();
    const heard: string[] = [];
    events.on('mfa.activated', ({ userId }) => heard.push(`first ${userId}`));
    events.on('mfa.activated', ({ userId }) => heard.push(`second ${userId}`));
    events.on('passcode.refused', () => heard.push('not this one'));
    events.emit('mfa.activated', { userId: 'u1' });
    assert.deepEqual(heard, ['first u1', 'second u1']);
  });

  it('does nothing for an event nobody listens to', () => {
    assert.doesNotThrow(() => createEvents().emit('rate_limited', { limit: 'requests' }));
  });

  it('reports a failing listener instead of throwing it at the emitter, and still calls the others', () => {
    const reported: [unknown, EventName][] = [];
    const events = createEvents((error, name) => reported.push([error, name]));
    const failure = new Error('listener bug');
    let after = 0;
    events.on('grant.succeeded', () => {
      throw failure;
    });
    events.on('grant.succeeded', () => after++);
    events.emit('grant.succeeded', { grant: 'api_token' });
    assert.deepEqual(reported, [[failure, 'grant.succeeded']]);
    assert.equal(after, 1);
  });
});
