/**
 * The in-memory buffer of one kind: a FIFO of batches ("chunks") of at most `batchRows` rows.
 * Appending fills the tail chunk, so the hot path is one `push` and, once per `batchRows` rows,
 * one new array: no copying, and a full batch is ready to write the moment it fills.
 */

/** A batch taken out of the queue, with the byte estimate it was charged. */
export interface Chunk<R> {
  rows: R[];
  bytes: number;
}

export class BatchQueue<R> {
  /** Oldest first; only the last chunk may be partial (except after `restore`). */
  private chunks: Chunk<R>[] = [];
  /** Rows and estimated bytes held. */
  rows = 0;
  bytes = 0;

  constructor(private readonly batchRows: number) {}

  /** Appends one row; true when it completed a batch (the caller then wakes the writer). */
  push(row: R, bytes: number): boolean {
    let tail = this.chunks[this.chunks.length - 1];
    if (tail === undefined || tail.rows.length >= this.batchRows) {
      tail = { rows: [], bytes: 0 };
      this.chunks.push(tail);
    }
    tail.rows.push(row);
    tail.bytes += bytes;
    this.rows += 1;
    this.bytes += bytes;
    return tail.rows.length === this.batchRows;
  }

  /** True when a full batch waits (a partial one only counts when `partial`). */
  ready(partial: boolean): boolean {
    const head = this.chunks[0];
    if (head === undefined) return false;
    return partial || this.chunks.length > 1 || head.rows.length >= this.batchRows;
  }

  /** Removes and returns the oldest batch if `ready(partial)`. */
  take(partial: boolean): Chunk<R> | undefined {
    if (!this.ready(partial)) return undefined;
    const head = this.chunks.shift();
    if (head === undefined) return undefined;
    this.rows -= head.rows.length;
    this.bytes -= head.bytes;
    return head;
  }

  /**
   * Puts batches back at the front, in their original order (a store write or a spill failed).
   * They are older than everything still queued, so the front is the only place that keeps order.
   */
  restore(chunks: readonly Chunk<R>[]): void {
    for (let i = chunks.length - 1; i >= 0; i--) {
      const c = chunks[i];
      if (c === undefined) continue;
      this.chunks.unshift(c);
      this.rows += c.rows.length;
      this.bytes += c.bytes;
    }
  }
}
