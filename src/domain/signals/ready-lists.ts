/**
 * Armed signals whose rule holds but that no event has fired yet — a signal armed (after its
 * cooldown) while its rule is true fires at the next event on one of its fields. Each such signal
 * is listed under every field it reads, so an event visits only the ready signals it touches.
 * Removal is O(fields): each signal knows its position in each list (swap with the last).
 */
import type { EvalSignal } from "./eval-signal.ts";
import { FIELD_COUNT } from "./fields.ts";

export class ReadyLists {
  readonly lists: EvalSignal[][] = Array.from({ length: FIELD_COUNT }, () => []);

  add(s: EvalSignal): void {
    if (s.inReady) return;
    s.inReady = true;
    for (let j = 0; j < s.ufields.length; j++) {
      const list = this.lists[s.ufields[j]!]!;
      s.readyAt[j] = list.length;
      list.push(s);
    }
  }

  remove(s: EvalSignal): void {
    if (!s.inReady) return;
    s.inReady = false;
    for (let j = 0; j < s.ufields.length; j++) {
      const f = s.ufields[j]!;
      const list = this.lists[f]!;
      const at = s.readyAt[j]!;
      const last = list.pop()!;
      if (last !== s) {
        list[at] = last;
        last.readyAt[last.slotOf(f)] = at;
      }
    }
  }
}
