// Running core commands from a component: one at a time with its error kept, the latest of
// overlapping loads, or in order through one queue.
import { toIpcError } from './ipc';
import type { IpcError } from './ipc';

/** A component's commands, one at a time: `busy` while one runs, `error` from the last one. */
export class Commands {
  busy = $state(false);
  error = $state<IpcError | null>(null);

  /** Runs `command`; answers its result, or null once its error is kept. */
  async run<T>(command: () => Promise<T>): Promise<T | null> {
    this.busy = true;
    try {
      const answer = await command();
      this.error = null;
      return answer;
    } catch (raw) {
      this.error = toIpcError(raw);
      return null;
    } finally {
      this.busy = false;
    }
  }
}

/** Hands each load's answer to `answer` (or its error to `fail`) unless a newer load started
 *  meanwhile: a slow answer for an old date or range never replaces a newer one. */
export function latestOnly<T>(
  answer: (value: T) => void,
  fail: (error: IpcError) => void,
): (pending: Promise<T>) => Promise<void> {
  let loads = 0;
  return (pending) => {
    const mine = ++loads;
    return pending.then(
      (value) => {
        if (mine === loads) answer(value);
      },
      (raw: unknown) => {
        if (mine === loads) fail(toIpcError(raw));
      },
    );
  };
}

/** Runs jobs one at a time, in the order they were queued, each once the one before has settled:
 *  the roll call's marks land in the order the teacher made them. A job that fails rejects only
 *  its own promise; the jobs after it still run. */
export class Queue {
  private last: Promise<unknown> = Promise.resolve();

  /** Queues `job`; answers what it answers (or rejects as it rejects) once it has run. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const mine = this.last.then(job, job);
    this.last = mine.catch(() => undefined);
    return mine;
  }
}
