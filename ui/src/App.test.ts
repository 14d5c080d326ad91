import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { IpcError } from './lib/ipc';

// Only ipc.ts is mocked: the page renders what the commands return.
vi.mock('./lib/ipc', async (importOriginal) => {
  const real = await importOriginal<typeof import('./lib/ipc')>();
  return { ...real, appInfo: vi.fn(), offerings: vi.fn() };
});

import * as ipc from './lib/ipc';
import App from './App.svelte';

const info = {
  data_dir: '/home/t/.local/share/org.rollbook.app',
  db_path: '/home/t/.local/share/org.rollbook.app/rollbook.db',
  schema_version: 1,
  version: '0.1.0',
};

beforeEach(() => {
  localStorage.clear();
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['en-US']);
  vi.mocked(ipc.appInfo).mockResolvedValue(info);
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe('App', () => {
  it('lists the offerings with their student counts', async () => {
    vi.mocked(ipc.offerings).mockResolvedValue([
      { id: 'a', name: 'Algebra I', teacher_assignment_id: 't', active_students: 3 },
      { id: 'b', name: 'Biology', teacher_assignment_id: 't', active_students: 1 },
    ]);
    render(App);
    expect(await screen.findByText('Algebra I')).toBeInTheDocument();
    expect(screen.getByText('3 students')).toBeInTheDocument();
    expect(screen.getByText('1 student')).toBeInTheDocument();
    expect(screen.getByTestId('data-dir')).toHaveTextContent(info.data_dir);
    expect(screen.queryByTestId('no-roster')).toBeNull();
  });

  it('says how to import a roster when there is none', async () => {
    vi.mocked(ipc.offerings).mockResolvedValue([]);
    render(App);
    expect(await screen.findByTestId('no-roster')).toHaveTextContent(
      'No roster yet — import one with rollbook-cli roster import FILE',
    );
  });

  it('shows the code and message of a failed command', async () => {
    vi.mocked(ipc.offerings).mockRejectedValue(new IpcError('database_too_new', 'upgrade Rollbook'));
    render(App);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('database_too_new');
    expect(alert).toHaveTextContent('upgrade Rollbook');
  });

  it('follows a Spanish system and can be switched to English', async () => {
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-MX']);
    vi.mocked(ipc.offerings).mockResolvedValue([
      { id: 'a', name: 'Álgebra', teacher_assignment_id: 't', active_students: 2 },
    ]);
    render(App);
    expect(await screen.findByText('2 estudiantes')).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('es');
    await fireEvent.change(screen.getByLabelText('Idioma'), { target: { value: 'en' } });
    expect(await screen.findByText('2 students')).toBeInTheDocument();
    expect(localStorage.getItem('rollbook.locale')).toBe('en');
  });
});
