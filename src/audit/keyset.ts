// The memory of where each audit page ended, so that the next page seeks (storage/audit-log.ts) instead of skipping.
import type { AuditFilter, AuditKey } from '../storage/audit-log.js';

export type { AuditKey };

/**
 * Where pages ended: for one principal's request (same dates and filters), 1-based position → the key
 * of the event just before it. A client that pages through with the same request gets every next page
 * by a seek from here; the keys of events are stable, so a page starts right after the previous page's
 * last event even when newer events arrive meanwhile. Bounded, least recently used first out; per process.
 */
export class PageCursors {
  private readonly keys = new Map<string, AuditKey>();

  constructor(private readonly maxEntries = 10_000) {}

  get(userId: string, request: AuditFilter, position: number): AuditKey | undefined {
    const id = cursorId(userId, request, position);
    const key = this.keys.get(id);
    if (key) {
      this.keys.delete(id);
      this.keys.set(id, key);
    }
    return key;
  }

  set(userId: string, request: AuditFilter, position: number, key: AuditKey): void {
    const id = cursorId(userId, request, position);
    this.keys.delete(id);
    if (this.keys.size >= this.maxEntries) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(id, key);
  }
}

function cursorId(userId: string, r: AuditFilter, position: number): string {
  return JSON.stringify([userId, r.startDate, r.endDate, r.actions ?? [], r.deviceNames ?? [], r.eventIds ?? [], position]);
}
