/**
 * Stop strings over streamed text: text is released only once it cannot be the start of a stop string,
 * so a stop string split across tokens is still caught and never printed.
 */
export class StopMatcher {
  private held = '';
  private readonly maxLen: number;

  constructor(private readonly stops: readonly string[]) {
    this.maxLen = Math.max(0, ...stops.map((s) => s.length));
  }

  /**
   * Adds text. Returns the text safe to emit, and whether a stop string was found (then the text up to it
   * is emitted and the rest dropped).
   */
  push(text: string): { emit: string; stopped: boolean } {
    if (this.stops.length === 0) return { emit: text, stopped: false };
    const all = this.held + text;
    let first = -1;
    for (const s of this.stops) {
      if (s.length === 0) continue;
      const i = all.indexOf(s);
      if (i >= 0 && (first < 0 || i < first)) first = i;
    }
    if (first >= 0) {
      this.held = '';
      return { emit: all.slice(0, first), stopped: true };
    }
    // hold back the longest suffix that is a proper prefix of some stop string
    let keep = 0;
    for (let n = Math.min(this.maxLen - 1, all.length); n > 0; n--) {
      const tail = all.slice(all.length - n);
      if (this.stops.some((s) => s.startsWith(tail))) {
        keep = n;
        break;
      }
    }
    this.held = all.slice(all.length - keep);
    return { emit: all.slice(0, all.length - keep), stopped: false };
  }

  /** End of generation: whatever is held back is ordinary text. */
  flush(): string {
    const h = this.held;
    this.held = '';
    return h;
  }
}
