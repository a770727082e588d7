// WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL
// past 1,000 pages, on the committing connection: for the server that meant copying the pages (also those of
// a `users import` in another process) into the database file and two fsyncs, on the event loop, in the
// middle of a request. The writer connection runs `wal_autocheckpoint = 0` instead, and this checkpointer
// asks a worker thread's connection (sqlite-worker.ts) for a PASSIVE checkpoint shortly after commits: the
// same work, done where it holds nobody up. Durability is unchanged: a checkpoint under synchronous=NORMAL
// syncs the WAL before it copies from it and the database file after, whichever connection runs it.

/** How soon after a commit the WAL is checkpointed: commits within this window share one checkpoint. */
export const CHECKPOINT_DELAY_MS = 250;

export interface CheckpointResult {
  /** 1 when a reader or writer of another connection kept the checkpoint from finishing. */
  busy: number;
  /** Frames in the WAL, and how many of them are now in the database file. */
  log: number;
  checkpointed: number;
}

export class BackgroundCheckpointer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private commitsSinceStart = 0;
  private closed = false;
  /** Checkpoints run, and the last one's result: for tests and the bench. */
  checkpoints = 0;
  last: CheckpointResult | undefined;

  constructor(
    private readonly checkpoint: () => Promise<CheckpointResult>,
    private readonly delayMs = CHECKPOINT_DELAY_MS,
  ) {}

  /** Called after each commit of this process; a checkpoint follows within `delayMs`. Costs a comparison when one is already due. */
  noteCommit(): void {
    this.commitsSinceStart++;
    if (this.timer || this.running || this.closed) return;
    this.timer = setTimeout(() => this.run(), this.delayMs);
    this.timer.unref(); // a pending checkpoint never keeps a process alive (closing the store checkpoints anyway)
  }

  /** Runs a checkpoint now (the next one if one runs), then resolves. */
  async flush(): Promise<void> {
    if (this.running) await this.running;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.run();
  }

  /** Stops scheduling; waits for a checkpoint in progress, so that the worker is not stopped in the middle of one. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private run(): Promise<void> {
    this.timer = undefined;
    this.commitsSinceStart = 0;
    this.running = this.checkpoint()
      .then((result) => {
        this.checkpoints++;
        this.last = result;
      })
      .catch(() => {
        // A failed checkpoint (the worker could not open the file, I/O error) is tried again after the next
        // commit; the WAL keeps every frame meanwhile, so nothing is lost, the WAL only grows.
      })
      .finally(() => {
        this.running = undefined;
        // Commits made while it ran may have frames it did not copy: one more after them.
        if (this.commitsSinceStart > 0) {
          this.commitsSinceStart--;
          this.noteCommit();
        }
      });
    return this.running;
  }
}
