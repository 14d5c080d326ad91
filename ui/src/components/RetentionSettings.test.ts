import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';

vi.mock('../lib/ipc', async () => (await import('../test/fake-ipc')).fakeIpc());

import * as ipc from '../lib/ipc';
import { IpcError } from '../lib/ipc';
import type { PurgeReport, Retention } from '../lib/ipc';
import { resetEachTest } from '../test/fake-ipc';
import { locale } from '../lib/locale.svelte';
import RetentionSettings from './RetentionSettings.svelte';

const m = vi.mocked(ipc);

const report: PurgeReport = {
  keep_days: 30,
  cutoff: '2025-02-01',
  marks: 12,
  changes: 15,
  outbox_items: 13,
  server_records: 20,
  kept_unconfirmed: 2,
};
const kept30: Retention = { keep_days: 30, last_purge: null };

function field(): HTMLInputElement {
  return screen.getByLabelText('Days to keep (empty: keep everything)') as HTMLInputElement;
}

async function shown(r: Retention) {
  m.retention.mockResolvedValue(r);
  render(RetentionSettings);
  await waitFor(() => expect(field().value).toBe(r.keep_days === null ? '' : String(r.keep_days)));
}

resetEachTest();

describe('keeping records on this computer', () => {
  it('shows that everything is kept by default, and offers no purge', async () => {
    await shown({ keep_days: null, last_purge: null });
    expect(screen.getByTestId('retention-state')).toHaveTextContent('Everything is kept. No purge yet.');
    expect(screen.getByRole('button', { name: 'Preview' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Purge now' })).toBeDisabled();
  });

  it('shows the days kept and the last purge', async () => {
    await shown({ keep_days: 30, last_purge: { ...report, id: 4, ran_at: '2025-03-03T07:00:00Z' } });
    const state = screen.getByTestId('retention-state');
    expect(state).toHaveTextContent('Records are kept for 30 days.');
    expect(state).toHaveTextContent('60 removed, dated before February 1, 2025.');
  });

  it('saves the days as typed and empty as keep everything', async () => {
    await shown(kept30);
    m.saveRetention.mockResolvedValueOnce({ keep_days: 45, last_purge: null });
    await fireEvent.input(field(), { target: { value: ' 45 ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(m.saveRetention).toHaveBeenCalledWith('45'));
    expect(await screen.findByText('Saved')).toBeInTheDocument();
    expect(field().value).toBe('45');

    m.saveRetention.mockResolvedValueOnce({ keep_days: null, last_purge: null });
    await fireEvent.input(field(), { target: { value: '' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(m.saveRetention).toHaveBeenLastCalledWith(''));
    expect(await screen.findByText(/Everything is kept/)).toBeInTheDocument();
    expect(m.purgeNow).not.toHaveBeenCalled();
  });

  it("shows the core's reason for a refused number", async () => {
    await shown(kept30);
    m.saveRetention.mockRejectedValue(
      new IpcError('invalid', '0 is not a number of days to keep: expected 1 to 36500'),
    );
    await fireEvent.input(field(), { target: { value: '0' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('0 is not a number of days to keep');
  });

  it('previews what would be removed without removing it', async () => {
    await shown(kept30);
    m.previewPurge.mockResolvedValue(report);
    await fireEvent.click(screen.getByRole('button', { name: 'Preview' }));
    await waitFor(() => expect(m.previewPurge).toHaveBeenCalledWith('30'));
    const result = screen.getByTestId('purge-result');
    expect(await within(result).findByText('Dated before February 1, 2025, a purge would remove:')).toBeInTheDocument();
    expect(result.querySelector('[data-count="marks"]')).toHaveTextContent('12');
    expect(result.querySelector('[data-count="server_records"]')).toHaveTextContent('20');
    expect(within(result).getByTestId('purge-kept')).toHaveTextContent(
      '2 older marks the server has not confirmed yet are kept.',
    );
    expect(m.purgeNow).not.toHaveBeenCalled();
  });

  it('asks before purging, and a cancel removes nothing', async () => {
    await shown(kept30);
    m.previewPurge.mockResolvedValue(report);
    await fireEvent.click(screen.getByRole('button', { name: 'Purge now' }));
    const dialog = await screen.findByTestId('confirm-dialog');
    expect(dialog).toHaveTextContent('60 records dated before February 1, 2025 will be deleted from this computer.');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByTestId('confirm-dialog')).toBeNull());
    expect(m.purgeNow).not.toHaveBeenCalled();
  });

  it('purges once confirmed and shows what went and the new last purge', async () => {
    await shown(kept30);
    m.previewPurge.mockResolvedValue(report);
    m.purgeNow.mockResolvedValue({ keep_days: 30, last_purge: { ...report, id: 1, ran_at: '2025-03-03T07:00:00Z' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Purge now' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Remove them' }));
    await waitFor(() => expect(m.purgeNow).toHaveBeenCalledWith('30'));
    expect(await screen.findByText('Removed the records dated before February 1, 2025.')).toBeInTheDocument();
    expect(screen.getByTestId('retention-state')).toHaveTextContent('60 removed');
    expect(screen.queryByTestId('confirm-dialog')).toBeNull();
  });

  it('says when nothing is old enough, without asking', async () => {
    await shown(kept30);
    m.previewPurge.mockResolvedValue({ ...report, marks: 0, changes: 0, outbox_items: 0, server_records: 0, kept_unconfirmed: 0 });
    await fireEvent.click(screen.getByRole('button', { name: 'Purge now' }));
    expect(await screen.findByText('Nothing is old enough to remove.')).toBeInTheDocument();
    expect(screen.queryByTestId('confirm-dialog')).toBeNull();
    expect(m.purgeNow).not.toHaveBeenCalled();
  });

  it('speaks Spanish', async () => {
    locale.current = 'es';
    m.retention.mockResolvedValue(kept30);
    render(RetentionSettings);
    expect(await screen.findByLabelText('Días que se conservan (vacío: conservar todo)')).toBeInTheDocument();
    expect(await screen.findByText(/Los registros se conservan 30 días/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Depurar ahora' })).toBeInTheDocument();
  });

  it('says one record removed in the singular, in Spanish too', async () => {
    locale.current = 'es';
    const one = { ...report, marks: 1, changes: 0, outbox_items: 0, server_records: 0 };
    m.retention.mockResolvedValue({ keep_days: 30, last_purge: { ...one, id: 5, ran_at: '2025-03-03T07:00:00Z' } });
    render(RetentionSettings);
    await waitFor(() => expect(screen.getByTestId('retention-state')).toHaveTextContent('1 eliminado, anterior al'));
  });
});
