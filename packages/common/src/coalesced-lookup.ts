/**
 * Lookups by id that concurrent requests of one process make in the same turn of the event loop,
 * sent as one call. In a claim rush a hundred claims are in flight and each asks the member
 * directory for its member (one call each paid an HTTP exchange, a token check and a log line on
 * both sides per member), and once the pool is empty each refusal asks PostgreSQL whether it still
 * is. Nothing is cached: every answer is read after the lookup was asked for.
 */
export class CoalescedLookup<T extends { id: string }> {
  private open: { ids: Set<string>; answer: Promise<Map<string, T>> } | null = null;
  /** Lookups asked for, and calls sent (read by /metrics: their ratio is what coalescing saves). */
  asked = 0;
  calls = 0;

  constructor(
    private readonly fetch: (ids: string[], requestId?: string) => Promise<T[]>,
    /** The most ids one call carries (what the callee accepts). */
    private readonly maxIds: number,
  ) {}

  /** The answers for `ids` (absent: unknown). `requestId` names the call in the callee's log when it opens the batch. */
  get(ids: readonly string[], requestId?: string): Promise<Map<string, T>> {
    this.asked += 1;
    if (!this.open || this.open.ids.size + ids.length > this.maxIds) this.open = this.openBatch(requestId);
    for (const id of ids) this.open.ids.add(id);
    return this.open.answer;
  }

  private openBatch(requestId?: string): { ids: Set<string>; answer: Promise<Map<string, T>> } {
    const ids = new Set<string>();
    const answer = new Promise<Map<string, T>>((resolve, reject) => {
      setImmediate(() => {
        if (this.open?.ids === ids) this.open = null;
        this.calls += 1;
        this.fetch([...ids], requestId).then((found) => resolve(new Map(found.map((item) => [item.id, item]))), reject);
      });
    });
    return { ids, answer };
  }
}
