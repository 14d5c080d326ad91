import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';

vi.mock('../lib/ipc', async () => (await import('../test/fake-ipc')).fakeIpc());

import * as ipc from '../lib/ipc';
import { IpcError } from '../lib/ipc';
import type { Settings } from '../lib/ipc';
import { baseInfo, baseSettings, resetEachTest } from '../test/fake-ipc';
import SettingsScreen from './Settings.svelte';

const m = vi.mocked(ipc);
const TOKEN = 'athena-secret-token-123';
const signedOut: Settings = { ...baseSettings, signed_in: false };

function renderSettings(initial: Settings) {
  const onsettings = vi.fn();
  const view = render(SettingsScreen, { settings: initial, info: baseInfo, onsettings });
  return { ...view, onsettings };
}

resetEachTest();

describe('settings', () => {
  it('saves the API URL and school id', async () => {
    m.saveSettings.mockResolvedValue({ ...signedOut, api_url: 'http://127.0.0.1:8080', school_id: '3f2b0c1e-0000-4000-8000-000000000001' });
    renderSettings(signedOut);
    const url = screen.getByTestId('api-url') as HTMLInputElement;
    await waitFor(() => expect(url.value).toBe('https://api.athena-erp.com'));
    await fireEvent.input(url, { target: { value: 'http://127.0.0.1:8080' } });
    await fireEvent.input(screen.getByLabelText('School id (optional)'), { target: { value: '3f2b0c1e-0000-4000-8000-000000000001' } });
    await fireEvent.click(screen.getByTestId('save-settings'));
    await waitFor(() => expect(m.saveSettings).toHaveBeenCalledWith('http://127.0.0.1:8080', '3f2b0c1e-0000-4000-8000-000000000001'));
    expect(await screen.findByText('Saved')).toBeInTheDocument();
  });

  it('keeps what was typed before the stored settings arrived', async () => {
    const { rerender } = render(SettingsScreen, { settings: null, info: baseInfo, onsettings: vi.fn() });
    const url = screen.getByTestId('api-url') as HTMLInputElement;
    await fireEvent.input(url, { target: { value: 'http://127.0.0.1:8080' } });
    await rerender({ settings: { ...signedOut, school_id: '3f2b0c1e-0000-4000-8000-000000000001', refresh_minutes: 5 } });
    expect(url.value).toBe('http://127.0.0.1:8080');
    // The fields not typed in are filled from the stored settings.
    expect((screen.getByTestId('school-id') as HTMLInputElement).value).toBe('3f2b0c1e-0000-4000-8000-000000000001');
    expect((screen.getByTestId('refresh-minutes') as HTMLInputElement).value).toBe('5');
  });

  it('saves how often the server records are fetched, and shows a refusal', async () => {
    m.saveRefreshMinutes.mockResolvedValueOnce({ ...baseSettings, refresh_minutes: 5 });
    renderSettings(baseSettings);
    const field = screen.getByTestId('refresh-minutes') as HTMLInputElement;
    await waitFor(() => expect(field.value).toBe('10'));
    await fireEvent.input(field, { target: { value: '5' } });
    await fireEvent.click(screen.getByTestId('save-refresh'));
    await waitFor(() => expect(m.saveRefreshMinutes).toHaveBeenCalledWith('5'));
    expect(await screen.findByText('Saved')).toBeInTheDocument();
    m.saveRefreshMinutes.mockRejectedValueOnce(
      new IpcError('invalid', '"7.5" is not a refresh interval: expected a whole number of minutes from 1 to 240'),
    );
    await fireEvent.input(field, { target: { value: '7' } });
    await fireEvent.click(screen.getByTestId('save-refresh'));
    expect(await screen.findByRole('alert')).toHaveTextContent('from 1 to 240');
  });

  it('sends an empty school id as null and shows a refused URL', async () => {
    m.saveSettings.mockRejectedValue(new IpcError('invalid', 'plain http only for loopback hosts'));
    renderSettings(signedOut);
    await fireEvent.input(screen.getByTestId('api-url'), { target: { value: 'http://example.com' } });
    await fireEvent.click(screen.getByTestId('save-settings'));
    expect(await screen.findByRole('alert')).toHaveTextContent('plain http only for loopback hosts');
    expect(m.saveSettings).toHaveBeenCalledWith('http://example.com', null);
  });

  it('never shows the token again after signing in', async () => {
    m.signIn.mockResolvedValue({ ...baseSettings, signed_in: true });
    const { onsettings, rerender } = renderSettings(signedOut);
    const field = screen.getByTestId('token') as HTMLInputElement;
    expect(field).toHaveAttribute('type', 'password');
    expect(field).toHaveAttribute('autocomplete', 'off');
    await fireEvent.input(field, { target: { value: TOKEN } });
    await fireEvent.click(screen.getByTestId('sign-in'));
    await waitFor(() => expect(m.signIn).toHaveBeenCalledWith(TOKEN));
    expect(field.value).toBe('');
    await rerender({ settings: onsettings.mock.calls[0][0] });
    expect(await screen.findByTestId('signed-in')).toHaveTextContent('Signed in');
    expect(screen.queryByTestId('token')).toBeNull();
    expect(document.body.innerHTML).not.toContain(TOKEN);
    for (const input of document.querySelectorAll('input')) expect(input.value).not.toContain(TOKEN);
  });

  it('clears the field when the token is refused too', async () => {
    m.signIn.mockRejectedValue(new IpcError('auth', 'the server refused this token'));
    renderSettings(signedOut);
    const field = screen.getByTestId('token') as HTMLInputElement;
    await fireEvent.input(field, { target: { value: TOKEN } });
    await fireEvent.click(screen.getByTestId('sign-in'));
    expect(await screen.findByRole('alert')).toHaveTextContent('the server refused this token');
    expect(field.value).toBe('');
    expect(document.body.innerHTML).not.toContain(TOKEN);
  });

  it('signs out', async () => {
    m.signOut.mockResolvedValue(signedOut);
    const { onsettings } = renderSettings(baseSettings);
    await fireEvent.click(screen.getByTestId('sign-out'));
    await waitFor(() => expect(m.signOut).toHaveBeenCalledOnce());
    expect(onsettings).toHaveBeenCalledWith(signedOut);
  });

  it('labels a read-only token', () => {
    renderSettings({ ...baseSettings, read_only: true });
    expect(screen.getByTestId('read-only-note')).toHaveTextContent('Read-only: this token cannot record attendance');
  });

  it('has a section for how long records are kept on this computer', async () => {
    renderSettings(baseSettings);
    const section = screen.getByRole('group', { name: 'Keep records on this computer' });
    expect(section).toContainElement(screen.getByLabelText('Days to keep (empty: keep everything)'));
    await waitFor(() => expect(m.retention).toHaveBeenCalledOnce());
  });

  it('has a section for the school calendar', async () => {
    m.calendar.mockResolvedValue({
      non_school_days: [],
      offerings: [{ offering_id: 'o1', name: 'Algebra I', meeting_days: [1, 2, 3, 4, 5] }],
    });
    renderSettings(baseSettings);
    const section = screen.getByRole('group', { name: 'School calendar' });
    expect(await within(section).findByRole('group', { name: 'Algebra I' })).toBeInTheDocument();
    expect(within(section).getByLabelText('Import non-school days (CSV with a date column)')).toHaveAttribute('type', 'file');
  });

  it('shows where the data lives', () => {
    renderSettings(baseSettings);
    expect(screen.getByTestId('data-dir')).toHaveTextContent(baseInfo.data_dir);
  });
});
