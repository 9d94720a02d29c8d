/**
 * The append-only spill journal: numbered segment files `seg-<16 digits>.jnl` in one directory,
 * each a sequence of CRC-framed records (frame.ts), one batch per record (codec.ts).
 *
 * - Order: records are read back in (segment number, position) order, which is append order.
 *   Only the newest segment is ever appended to; it is sealed (closed) when it reaches
 *   `segmentBytes`, when the reader needs it, or when an append to it fails. Segments found at
 *   start-up are all sealed, so a torn tail left by a killed process is always at the end of a
 *   file nobody appends to again.
 * - Durability: `append` resolves only after its bytes are written and, with `fsync`, after
 *   fdatasync; a new segment's directory entry is fsynced too. Acknowledged = `append` resolved.
 * - Deletion: a segment is unlinked only after every record in it was acknowledged by `ack`
 *   (i.e. written to the store). A crash before that replays the whole segment on the next start;
 *   the store's idempotent writes make the replay harmless.
 * - Concurrency: appends, sealing and closing run one at a time on a promise chain; reading and
 *   deleting only touch sealed files, which the chain never writes.
 */
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { open, readFile, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../lib/log.ts";
import { decodeBatch, encodeBatch } from "./codec.ts";
import { encodeFrames, scanFrames } from "./frame.ts";
import type { Batch } from "./types.ts";

const SEGMENT_RE = /^seg-(\d{16})\.jnl$/;
/** Encoded bytes per `write` call: bounds how long one synchronous encode holds the event loop. */
const WRITE_GROUP_BYTES = 1024 * 1024;

interface Segment {
  seq: number;
  path: string;
  bytes: number;
}

/** A record handed to the store writer; pass it back to `ack` once the store has it. */
export interface JournalRecord {
  batch: Batch;
  seq: number;
  index: number;
}

export interface JournalOptions {
  dir: string;
  segmentBytes: number;
  fsync: boolean;
  log: Logger;
}

export class Journal {
  private readonly sealed: Segment[] = [];
  private openSeg: (Segment & { fh: FileHandle; records: number }) | null = null;
  private reading: (Segment & { payloads: Uint8Array[]; next: number }) | null = null;
  private nextSeq = 1;
  private chain: Promise<unknown> = Promise.resolve();
  private pendingAppends = 0;

  /** Opens the directory (creating it) and lists the segments a previous run left behind. */
  constructor(private readonly opts: JournalOptions) {
    mkdirSync(opts.dir, { recursive: true });
    const found: Segment[] = [];
    for (const name of readdirSync(opts.dir)) {
      const m = SEGMENT_RE.exec(name);
      if (!m?.[1]) continue;
      const path = join(opts.dir, name);
      found.push({ seq: Number(m[1]), path, bytes: statSync(path).size });
    }
    found.sort((a, b) => a.seq - b.seq);
    this.sealed.push(...found);
    this.nextSeq = (found[found.length - 1]?.seq ?? 0) + 1;
    if (found.length > 0) opts.log.info("recorder journal found segments to recover", { segments: found.length });
  }

  /** Files in the journal directory that belong to it. */
  get segments(): number {
    return this.sealed.length + (this.openSeg ? 1 : 0) + (this.reading ? 1 : 0);
  }

  get bytes(): number {
    let total = (this.openSeg?.bytes ?? 0) + (this.reading?.bytes ?? 0);
    for (const s of this.sealed) total += s.bytes;
    return total;
  }

  /** True while anything is on disk or being appended: the store writer must drain it first. */
  hasRecords(): boolean {
    return this.pendingAppends > 0 || this.segments > 0;
  }

  /** Appends the batches in order; resolves once they are durable (see the module comment). */
  append(batches: readonly Batch[]): Promise<number> {
    this.pendingAppends += 1;
    return this.enqueue(async () => {
      try {
        return await this.appendNow(batches);
      } finally {
        this.pendingAppends -= 1;
      }
    });
  }

  /** The oldest record not yet acknowledged, or null when the journal is empty. */
  async next(): Promise<JournalRecord | null> {
    for (;;) {
      const r = this.reading;
      if (r && r.next < r.payloads.length) {
        const index = r.next;
        try {
          return { batch: decodeBatch(r.payloads[index] as Uint8Array), seq: r.seq, index };
        } catch (err) {
          this.opts.log.warn("recorder journal record skipped: undecodable", { segment: r.path, index, err });
          await this.ack({ seq: r.seq, index });
          continue;
        }
      }
      if (r) await this.finishReading();
      if (this.sealed.length === 0) {
        if (this.pendingAppends === 0 && !this.openSeg) return null;
        await this.enqueue(() => this.sealOpen());
        if (this.sealed.length === 0) return null;
      }
      await this.startReading(this.sealed[0] as Segment);
    }
  }

  /** Marks a record as stored; deletes its segment once every record in it is. */
  async ack(rec: Pick<JournalRecord, "seq" | "index">): Promise<void> {
    const r = this.reading;
    if (!r || r.seq !== rec.seq || r.next !== rec.index) throw new Error("journal records must be acknowledged in order");
    r.next += 1;
    if (r.next >= r.payloads.length) await this.finishReading();
  }

  /** Finishes pending appends and closes the open segment (it is recovered on the next start). */
  close(): Promise<void> {
    return this.enqueue(() => this.sealOpen());
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.chain.then(op, op);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async appendNow(batches: readonly Batch[]): Promise<number> {
    let written = 0;
    let i = 0;
    while (i < batches.length) {
      const payloads: Uint8Array[] = [];
      let size = 0;
      while (i < batches.length && size < WRITE_GROUP_BYTES) {
        const p = encodeBatch(batches[i] as Batch);
        payloads.push(p);
        size += p.byteLength;
        i += 1;
      }
      const seg = this.openSeg ?? (await this.createSegment());
      const data = encodeFrames(payloads);
      try {
        await writeFully(seg.fh, data);
        if (this.opts.fsync && (i >= batches.length || seg.bytes + data.byteLength >= this.opts.segmentBytes)) {
          await seg.fh.datasync();
        }
      } catch (err) {
        // The tail of this segment is now unknown: cut it back to the last good frame if we can,
        // and never append to it again, so later records cannot hide behind a torn frame.
        await seg.fh.truncate(seg.bytes).catch(() => undefined);
        await this.sealOpen();
        throw err;
      }
      seg.bytes += data.byteLength;
      seg.records += payloads.length;
      written += data.byteLength;
      if (seg.bytes >= this.opts.segmentBytes) await this.sealOpen();
    }
    return written;
  }

  private async createSegment(): Promise<Segment & { fh: FileHandle; records: number }> {
    const seq = this.nextSeq++;
    const path = join(this.opts.dir, `seg-${String(seq).padStart(16, "0")}.jnl`);
    const fh = await open(path, "wx");
    // Without this a crash could lose the file's directory entry along with everything in it.
    if (this.opts.fsync) await fsyncDir(this.opts.dir);
    this.openSeg = { seq, path, bytes: 0, fh, records: 0 };
    return this.openSeg;
  }

  /** Closes the open segment; an empty one is removed rather than sealed. */
  private async sealOpen(): Promise<void> {
    const seg = this.openSeg;
    if (!seg) return;
    // Moved to `sealed` before the first await, so `hasRecords()` never sees a gap in between.
    this.openSeg = null;
    if (seg.records > 0) this.sealed.push({ seq: seg.seq, path: seg.path, bytes: seg.bytes });
    await seg.fh.close().catch(() => undefined);
    if (seg.records === 0) await unlink(seg.path).catch(() => undefined);
  }

  private async startReading(seg: Segment): Promise<void> {
    const data = new Uint8Array(await readFile(seg.path));
    const scan = scanFrames(data);
    if (scan.defect) {
      this.opts.log.warn("recorder journal tail ignored: torn or corrupt record", {
        segment: seg.path,
        defect: scan.defect.kind,
        offset: scan.defect.offset,
        ignoredBytes: scan.defect.ignoredBytes,
        records: scan.payloads.length,
      });
    }
    // Only now leave `sealed`: a failed read keeps the segment queued for the next attempt.
    this.sealed.shift();
    this.reading = { ...seg, bytes: data.byteLength, payloads: scan.payloads, next: 0 };
  }

  private async finishReading(): Promise<void> {
    const r = this.reading;
    if (!r) return;
    await unlink(r.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
    this.reading = null;
    if (this.opts.fsync) await fsyncDir(this.opts.dir);
  }
}

async function writeFully(fh: FileHandle, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.byteLength) {
    const { bytesWritten } = await fh.write(data, off, data.byteLength - off);
    if (bytesWritten <= 0) throw new Error("journal write made no progress");
    off += bytesWritten;
  }
}

/** Makes created/removed directory entries durable; some file systems cannot, which is not fatal. */
async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r").catch(() => null);
  if (!fh) return;
  try {
    await fh.sync();
  } catch {
    // EINVAL on file systems without directory fsync: the entry is as durable as it can be.
  } finally {
    await fh.close();
  }
}
