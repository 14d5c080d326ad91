import { describe, expect, it } from 'vitest';
import { Queue } from './commands.svelte';

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every settled promise run its callbacks. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('Queue', () => {
  it('starts each job only once the one before has settled, in the order they were queued', async () => {
    const queue = new Queue();
    const log: string[] = [];
    const first = deferred<string>();
    const second = deferred<string>();
    const a = queue.run(() => (log.push('a starts'), first.promise));
    const b = queue.run(() => (log.push('b starts'), second.promise));
    const c = queue.run(async () => (log.push('c starts'), 'c'));
    await settle();
    expect(log).toEqual(['a starts']);
    // The second job answering first changes nothing: it has not started yet.
    second.resolve('b');
    await settle();
    expect(log).toEqual(['a starts']);
    first.resolve('a');
    await expect(Promise.all([a, b, c])).resolves.toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a starts', 'b starts', 'c starts']);
  });

  it('rejects only the failed job: the jobs after it still run, in order', async () => {
    const queue = new Queue();
    const log: string[] = [];
    const failing = queue.run(async () => {
      log.push('a');
      throw new Error('refused');
    });
    const throwing = queue.run((): Promise<never> => {
      log.push('b');
      throw new Error('thrown before any promise');
    });
    const after = queue.run(async () => (log.push('c'), 'still runs'));
    await expect(failing).rejects.toThrow('refused');
    await expect(throwing).rejects.toThrow('thrown before any promise');
    await expect(after).resolves.toBe('still runs');
    expect(log).toEqual(['a', 'b', 'c']);
  });

  it('runs a job queued after a failed one has settled', async () => {
    const queue = new Queue();
    await expect(queue.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    await expect(queue.run(async () => 'runs')).resolves.toBe('runs');
  });
});
