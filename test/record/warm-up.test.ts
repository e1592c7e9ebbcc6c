// The recorder's warm-up (src/record/recorder.ts warmRecorder): a synthetic recording on a chunk pool of its own,
// which must end (its two small chunks fill and are freed in turn) and take each branch of the hot path it names.
import { describe, expect, it } from 'vitest';
import { recordWarmUp } from '../../src/record/recorder.js';
import { EventDecoder } from '../../src/trace/events.js';

describe('the recorder warm-up', () => {
  it('fills its chunks several times and records delta events of each width, repeat events and timed calls', () => {
    const pieces: { bytes: Uint8Array; n: number }[] = [];
    const filled = recordWarmUp((bytes, n) => { if (n > 0) pieces.push({ bytes: bytes.slice(), n }); });
    expect(filled).toBeGreaterThanOrEqual(3);
    // every event, in order, as a writer would have them: the call in full, then 12 rounds of its 8 repeats
    const events = pieces.flatMap((p) => new EventDecoder().decodeFrame(p.bytes, p.n));
    expect(events).toHaveLength(1 + 12 * 8);
    expect(events.filter((e) => e.gap > 0 || e.dur > 0).length).toBe(6); // the timed calls (every other round)
    // what each event starts with (EventDecoder reads it as a call): a call in full (timed or not), a repeat event,
    // delta events of a fixint, uint 8, uint 16, a negative fixint, uint 32 and int 32
    const heads = new Set<string>();
    for (const p of pieces) {
      const d = new EventDecoder();
      d.load(p.bytes, p.n);
      while (d.nextCall()) {
        const b = p.bytes[d.eventStart]!;
        heads.add(b < 0x80 ? 'fixint' : b >= 0xe0 ? 'negative fixint' : b.toString(16));
        d.readCall();
      }
    }
    expect([...heads].sort()).toEqual(['95', '97', 'c4', 'cc', 'cd', 'ce', 'd2', 'fixint', 'negative fixint'].sort());
  });
});
