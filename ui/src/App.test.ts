import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';

vi.mock('./lib/ipc', async () => (await import('./test/fake-ipc')).fakeIpc());

import * as ipc from './lib/ipc';
import { IpcError } from './lib/ipc';
import { baseInfo, baseSettings, baseStatus, emitSyncStatus, listenerCount, resetFakeIpc } from './test/fake-ipc';
import App from './App.svelte';

const m = vi.mocked(ipc);

beforeEach(() => {
  resetFakeIpc();
  localStorage.clear();
  location.hash = '';
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['en-US']);
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe('App', () => {
  it('opens on Today with the header, navigation and sync chip', async () => {
    render(App);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Rollbook');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Today' })).toHaveAttribute('aria-current', 'page');
    expect(within(nav).getByRole('link', { name: 'Counselor' })).toBeInTheDocument();
    expect(within(nav).getByRole('link', { name: 'Settings' })).toBeInTheDocument();
    expect(await screen.findByTestId('no-roster')).toHaveTextContent('No roster yet');
    const chip = screen.getByTestId('sync-chip');
    expect(chip).toHaveAttribute('role', 'status');
    expect(chip).toHaveAttribute('aria-live', 'polite');
    await waitFor(() => expect(chip).toHaveTextContent('All sent'));
    expect(screen.queryByTestId('demo-badge')).toBeNull();
  });

  it('tells the app once its first screen is painted, so start-up work waits for it', async () => {
    render(App);
    expect(m.windowShown).not.toHaveBeenCalled();
    await waitFor(() => expect(m.windowShown).toHaveBeenCalledOnce());
    await new Promise((r) => setTimeout(r, 50));
    expect(m.windowShown).toHaveBeenCalledOnce();
  });

  it('reads the sync status once, then follows only the events', async () => {
    render(App);
    const chip = screen.getByTestId('sync-chip');
    await waitFor(() => expect(chip).toHaveTextContent('All sent'));
    expect(m.syncStatus).toHaveBeenCalledOnce();
    expect(listenerCount().sync).toBe(1);

    emitSyncStatus({ pending: 3, online: true });
    await waitFor(() => expect(chip).toHaveTextContent('3 waiting'));
    expect(screen.queryByTestId('sync-chip-refreshed')).toBeNull();
    emitSyncStatus({ pending: 3, online: true, last_refresh_at: new Date().toISOString() });
    await waitFor(() =>
      expect(screen.getByTestId('sync-chip-refreshed')).toHaveTextContent('records as of'),
    );
    emitSyncStatus({ pending: 2, sending: 1, running: true });
    await waitFor(() => expect(chip).toHaveTextContent('Sending…'));
    emitSyncStatus({ pending: 3, online: false });
    await waitFor(() => expect(chip).toHaveTextContent('Offline'));
    emitSyncStatus({ rejected: 1, unknown: 1 });
    await waitFor(() => expect(chip).toHaveTextContent('2 need attention'));
    emitSyncStatus({ blocked: { reason: 'auth', message: 'token refused' } });
    await waitFor(() => expect(chip).toHaveTextContent('Signed out'));
    emitSyncStatus({ blocked: { reason: 'permission', message: '403' } });
    await waitFor(() => expect(chip).toHaveTextContent('Read-only'));
    emitSyncStatus({ synced: 40, last_success_at: new Date(Date.now() - 5 * 60_000).toISOString() });
    await waitFor(() => expect(chip).toHaveTextContent(/All sent\s*·\s*last sent 5 minutes ago/));
    expect(m.syncStatus).toHaveBeenCalledOnce();
  });

  it('does not let a late first read overwrite a newer event', async () => {
    let answer: (s: ipc.SyncStatus) => void = () => {};
    m.syncStatus.mockReturnValue(new Promise((r) => (answer = r)));
    render(App);
    emitSyncStatus({ pending: 4 });
    const chip = screen.getByTestId('sync-chip');
    await waitFor(() => expect(chip).toHaveTextContent('4 waiting'));
    answer({ ...baseStatus });
    await new Promise((r) => setTimeout(r, 10));
    expect(chip).toHaveTextContent('4 waiting');
  });

  it('opens the problems panel from the chip, with retry, send again, discard and sync now', async () => {
    m.syncProblems.mockResolvedValue([
      { id: 7, offering_id: 'o1', offering_name: 'Algebra I', student_id: 's1', student_name: 'Ana Gómez', date: '2025-03-04', status: 'absent', state: 'rejected', reason: 'enrollment is not active' },
      { id: 8, offering_id: 'o1', offering_name: 'Algebra I', student_id: 's2', student_name: 'Beto Ruiz', date: '2025-03-04', status: 'late', state: 'unknown', reason: null },
    ]);
    m.retry.mockResolvedValue(null);
    m.discard.mockResolvedValue(null);
    m.resendUnknown.mockResolvedValue({ resent: 1 });
    render(App);
    emitSyncStatus({ rejected: 1, unknown: 1 });
    const chipButton = within(screen.getByTestId('sync-chip')).getByRole('button');
    await waitFor(() => expect(chipButton).toHaveTextContent('2 need attention'));
    await fireEvent.click(chipButton);
    expect(chipButton).toHaveAttribute('aria-expanded', 'true');
    const panel = await screen.findByTestId('problems-panel');
    const rejected = await within(panel).findByText('Ana Gómez');
    const row = rejected.closest('tr')!;
    expect(row).toHaveTextContent('Algebra I');
    expect(row).toHaveTextContent('Absent');
    expect(row).toHaveTextContent('enrollment is not active');
    expect(row).toHaveTextContent('Refused');

    await fireEvent.click(within(row).getByRole('button', { name: 'Retry: Ana Gómez' }));
    await waitFor(() => expect(m.retry).toHaveBeenCalledWith(7));

    await fireEvent.click(within(panel).getByRole('button', { name: 'Send again' }));
    await waitFor(() => expect(m.resendUnknown).toHaveBeenCalledOnce());
    expect(await within(panel).findByText('1 mark will be sent again')).toBeInTheDocument();

    await fireEvent.click(within(panel).getByRole('button', { name: 'Discard: Beto Ruiz' }));
    const confirm = await screen.findByRole('dialog', { name: 'Discard this mark?' });
    expect(m.discard).not.toHaveBeenCalled();
    await fireEvent.click(within(confirm).getByRole('button', { name: 'Discard' }));
    await waitFor(() => expect(m.discard).toHaveBeenCalledWith(8));

    await fireEvent.click(within(panel).getByRole('button', { name: 'Sync now' }));
    await waitFor(() => expect(m.syncNow).toHaveBeenCalledOnce());
  });

  it('shows the Demo badge and leaves the demo only after confirming', async () => {
    m.appInfo.mockResolvedValue({ ...baseInfo, demo: true });
    m.settings.mockResolvedValue({ ...baseSettings, demo: true });
    m.leaveDemo.mockResolvedValue(null);
    render(App);
    const badge = await screen.findByTestId('demo-badge');
    expect(badge).toHaveTextContent('Demo');
    await fireEvent.click(within(badge).getByRole('button', { name: 'Use my school' }));
    const dialog = await screen.findByRole('dialog', { name: 'Leave the demo?' });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(m.leaveDemo).not.toHaveBeenCalled();
    await fireEvent.click(within(badge).getByRole('button', { name: 'Use my school' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Restart with my school' }));
    expect(m.leaveDemo).toHaveBeenCalledOnce();
  });

  it('shows the code and message of a failed command', async () => {
    m.appInfo.mockRejectedValue(new IpcError('database_too_new', 'upgrade Rollbook'));
    render(App);
    const alert = await screen.findByTestId('error');
    expect(alert).toHaveTextContent('database_too_new');
    expect(alert).toHaveTextContent('upgrade Rollbook');
  });

  it('follows a Spanish system and can be switched to English', async () => {
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-CO']);
    m.today.mockResolvedValue([
      { id: 'a', name: 'Álgebra', teacher_assignment_id: 't', active_students: 2, marked: 0, unsent: 0, state: 'not_taken' },
    ]);
    render(App);
    expect(await screen.findByText('2 estudiantes')).toBeInTheDocument();
    expect(screen.getByText('Sin tomar')).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('es');
    await fireEvent.change(screen.getByLabelText('Idioma'), { target: { value: 'en' } });
    expect(await screen.findByText('2 students')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Settings' })).toBeInTheDocument();
    expect(localStorage.getItem('rollbook.locale')).toBe('en');
  });

  it('routes by hash to the roll call grid and to settings', async () => {
    m.roster.mockResolvedValue([]);
    render(App);
    location.hash = '#/roll/o1/2025-03-04';
    await fireEvent(window, new HashChangeEvent('hashchange'));
    expect(await screen.findByTestId('no-students')).toBeInTheDocument();
    expect(m.roster).toHaveBeenCalledWith('o1', '2025-03-04');
    location.hash = '#/settings';
    await fireEvent(window, new HashChangeEvent('hashchange'));
    expect(await screen.findByTestId('api-url')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Settings' })).toHaveAttribute('aria-current', 'page');
  });

  it('keeps the settings a screen saved when the first read of them answers late', async () => {
    let answer: (s: typeof baseSettings) => void = () => undefined;
    m.settings.mockReturnValue(new Promise((resolve) => (answer = resolve)));
    m.signIn.mockResolvedValue({ ...baseSettings, signed_in: true });
    location.hash = '#/settings';
    render(App);
    await fireEvent.input(await screen.findByTestId('token'), { target: { value: 'a-token' } });
    await fireEvent.click(screen.getByTestId('sign-in'));
    expect(await screen.findByTestId('signed-in')).toBeInTheDocument();
    // The first read left before the sign-in and says signed out.
    answer({ ...baseSettings, signed_in: false });
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.getByTestId('signed-in')).toBeInTheDocument();
    expect(screen.queryByTestId('token')).toBeNull();
  });
});
