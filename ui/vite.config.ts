import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// The Tauri shell loads `ui/dist` (release) or this dev server (`tauri dev`, devUrl 5173).
export default defineConfig(({ mode }) => ({
  plugins: [svelte(), svelteTesting()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    host: '127.0.0.1',
    // Under vitest, also the app's command list and the core's error codes, which
    // src/lib/ipc.test.ts reads as text; the dev server keeps to the UI.
    ...(mode === 'test' && { fs: { allow: ['.', '../src-tauri', '../crates/core/src'] } }),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK 2.40+ (Debian 12) supports ES2021.
    target: 'es2021',
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['./src/test-setup.ts'],
  },
}));
