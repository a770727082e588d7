// "Has any connection committed since I last looked?", asked once per request by the hot-row cache
// (sqlite-read-cache.ts), as cheaply as SQLite itself asks it.
//
// In WAL mode every commit, by any connection of any process, rewrites the WAL-index header at the start of
// the `-shm` file (both 48-byte copies: `iChange` and `mxFrame` grow, a restarted WAL gets new salts) before
// the commit returns. SQLite's readers detect change by comparing that header with the copy they saw last;
// `PRAGMA data_version` does the same, but inside a read transaction: a lock and an unlock of the `-shm`
// (two fcntl calls) and a stat of the file, ~4 µs alone and ~10 % of a status request's CPU under load. Reading
// the 96 bytes with one pread and comparing them is ~1 µs. Same guarantee: a commit that has returned (the
// admin CLI's disable) has already rewritten the header, so the very next request sees a difference and
// empties the cache. A read torn by a commit in progress only ever differs from the saved copy (the cache is
// emptied once more than needed), never the other way.
//
// POSIX drops every fcntl lock a process holds on a file when the process closes ANY descriptor of that file,
// and SQLite keeps its `-shm` locks (among them the one that tells other processes the index is in use) for
// as long as a connection is open. So a descriptor of ours is shared by every watch of the same file in this
// process and closed only when the last of them closes, which the store does after closing its connections.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The two copies of the WAL-index header (WalIndexHdr, 48 bytes each) at the start of the `-shm` file. */
const HEADER_BYTES = 96;

export interface ChangeWatch {
  /** True when a commit may have happened since the previous call (always true on the first call). */
  changed(): boolean;
  close(): void;
}

/** Descriptors of one `-shm` file, shared by every watch of it in this process; reads use the first. */
interface SharedDescriptors {
  fds: number[];
  users: number;
}

/** By file identity (device and inode), so that a file replaced under the same name is a file of its own. */
const descriptors = new Map<string, SharedDescriptors>();

function acquire(shmPath: string): { key: string; shared: SharedDescriptors } | undefined {
  let fd: number;
  try {
    fd = openSync(shmPath, 'r');
  } catch {
    return undefined; // no WAL index to read (not in WAL mode): the caller falls back to the pragma
  }
  const { dev, ino } = fstatSync(fd);
  const key = `${dev}:${ino}`;
  let shared = descriptors.get(key);
  if (shared) {
    // The new descriptor cannot be closed before the others either (it would drop SQLite's locks): kept with them.
    shared.fds.push(fd);
    shared.users++;
  } else {
    shared = { fds: [fd], users: 1 };
    descriptors.set(key, shared);
  }
  return { key, shared };
}

function release(key: string, shared: SharedDescriptors): void {
  if (--shared.users > 0) return;
  descriptors.delete(key);
  for (const fd of shared.fds) closeSync(fd);
}

/**
 * A watch on the WAL index of the database at `path`, or undefined when it has none (no `-shm`: not in WAL
 * mode). Call it after a connection in WAL mode has opened the file, so that the `-shm` exists.
 */
export function openWalIndexWatch(path: string): ChangeWatch | undefined {
  const held = acquire(`${path}-shm`);
  if (!held) return undefined;
  const current = Buffer.alloc(HEADER_BYTES);
  const seen = Buffer.alloc(HEADER_BYTES);
  let first = true;
  let open = true;
  return {
    changed() {
      const read = readSync(held.shared.fds[0] as number, current, 0, HEADER_BYTES, 0);
      // A short read (an index being created) is "changed": the next read tells.
      if (!first && read === HEADER_BYTES && current.equals(seen)) return false;
      first = false;
      current.copy(seen);
      if (read < HEADER_BYTES) seen.fill(0xff); // never equal to a whole header read next time
      return true;
    },
    close() {
      if (!open) return;
      open = false;
      release(held.key, held.shared);
    },
  };
}
