// Audit rows in bulk for the benches: one principal's long history (one event a second, nearly all
// AUTHENTICATION_WITHOUT_MFA as an API token writes them, one MFA_DISABLE per 50,000) and other rows.
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';

export type AuditRow = [userId: string, username: string, action: string, deviceName: string | null, eventDate: number];

/** Inserts rows in one transaction per call, straight through one prepared statement. */
export function auditInserter(sqlite: Database.Database): (rows: AuditRow[]) => void {
  const insert = sqlite.prepare(
    'insert into audit_events (event_id, user_id, username, action, device_name, modified_by, event_date) values (?, ?, ?, ?, ?, ?, ?)',
  );
  return sqlite.transaction((rows: AuditRow[]) => {
    for (const [userId, username, action, device, date] of rows) insert.run(randomUUID(), userId, username, action, device, username, date);
  });
}

/** `events` events of one principal, one a second up to `nowMs`, in transactions of 50,000. */
export function seedAuditHistory(sqlite: Database.Database, user: { id: string; username: string }, events: number, nowMs: number): void {
  const insertMany = auditInserter(sqlite);
  for (let from = 0; from < events; from += 50_000) {
    const rows: AuditRow[] = [];
    for (let i = from; i < Math.min(events, from + 50_000); i++) {
      const rare = i % 50_000 === 25_000;
      rows.push([user.id, user.username, rare ? 'MFA_DISABLE' : 'AUTHENTICATION_WITHOUT_MFA', rare ? 'phone' : null, nowMs - (events - i) * 1000]);
    }
    insertMany(rows);
  }
}
