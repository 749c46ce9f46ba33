/**
 * Runs async jobs one at a time in call order, so a sync cycle, a Track and a send never interleave their
 * reads and writes of the cache. A failing job does not stop the jobs after it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** Runs `job` after every job queued before it; resolves or rejects with its result. */
  run<T>(job: () => Promise<T>): Promise<T> {
    this.pending += 1;
    const result = this.tail.then(job, job);
    this.tail = result.then(
      () => (this.pending -= 1),
      () => (this.pending -= 1),
    );
    return result;
  }

  /** True while a job runs or waits. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Resolves once every job queued so far has settled. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.tail;
  }
}
