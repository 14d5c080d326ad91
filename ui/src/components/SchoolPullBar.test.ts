import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';

vi.mock('../lib/ipc', async () => (await import('../test/fake-ipc')).fakeIpc());

import * as ipc from '../lib/ipc';
import { IpcError } from '../lib/ipc';
import { emitSchoolPull, resetEachTest } from '../test/fake-ipc';
import { locale } from '../lib/locale.svelte';
import SchoolPullBar from './SchoolPullBar.svelte';

const m = vi.mocked(ipc);

resetEachTest();

const report = {
  offerings: 200,
  pulled: 200,
  failed: [],
  records: 1_080_000,
  new_records: 0,
  cancelled: false,
  error: null,
  as_of: '2025-03-03T08:12:00Z',
};

describe('refresh all classes', () => {
  it('says when the school was last pulled', async () => {
    m.schoolPullState.mockResolvedValue({ as_of: '2025-03-03T08:12:00Z', running: false });
    render(SchoolPullBar);
    const time = new Intl.DateTimeFormat('en', { timeStyle: 'short' }).format(
      new Date('2025-03-03T08:12:00Z'),
    );
    await waitFor(() =>
      expect(screen.getByTestId('school-pull-as-of')).toHaveTextContent(`Records as of ${time}`),
    );
  });

  it('shows the progress with Cancel, then the classes that failed', async () => {
    render(SchoolPullBar);
    await waitFor(() => expect(screen.getByTestId('school-pull-as-of')).toHaveTextContent('Not pulled'));
    await fireEvent.click(screen.getByRole('button', { name: 'Refresh all classes' }));
    expect(m.pullAllClasses).toHaveBeenCalledOnce();
    emitSchoolPull({ kind: 'progress', done: 12, total: 200, records: 64_800, failed: 0 });
    await waitFor(() =>
      expect(screen.getByTestId('school-pull-progress')).toHaveTextContent(
        '12 of 200 classes · 64,800 records',
      ),
    );
    const bar = screen.getByRole('progressbar') as HTMLProgressElement;
    expect(bar.value).toBe(12);
    expect(bar.max).toBe(200);
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(m.cancelPullAllClasses).toHaveBeenCalledOnce();

    emitSchoolPull({
      kind: 'done',
      ...report,
      pulled: 199,
      failed: [{ offering_id: 'o-1', name: 'Matemáticas 7A', reason: 'HTTP 502 Bad Gateway' }],
    });
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
    const failed = screen.getByTestId('school-pull-failed');
    expect(failed).toHaveTextContent('1 class could not be refreshed (left as it was):');
    expect(failed).toHaveTextContent('Matemáticas 7A: HTTP 502 Bad Gateway');
    expect(screen.getByTestId('school-pull-as-of')).toHaveTextContent('Records as of');
  });

  it('shows why it could not start, in Spanish too', async () => {
    locale.current = 'es';
    m.pullAllClasses.mockRejectedValue(new IpcError('conflict', 'ya se están actualizando'));
    render(SchoolPullBar);
    await fireEvent.click(
      await screen.findByRole('button', { name: 'Actualizar todos los cursos' }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent('ya se están actualizando');
  });
});
