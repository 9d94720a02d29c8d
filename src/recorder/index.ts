/** The durable recorder: buffered, batched, journaled writes of market data to the store. */
export { createRecorder } from "./recorder.ts";
export type { Batch, Recorder, RecorderOptions, RecorderState, RecorderStats, RecordKind, RowsByKind } from "./types.ts";
export { RECORD_KINDS } from "./types.ts";
