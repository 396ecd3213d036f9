import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/**
 * `npm run dev -w admin-ui` serves the app with hot reload on 3004 (the provider must list
 * http://localhost:3004/callback, which it does when USHER_ADMIN_UI_URL is set, as `npm start` does).
 * In development /config.json comes from public/config.json; the UI server writes it at run time.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  server: { port: 3004, strictPort: true },
  preview: { port: 3004, strictPort: true },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.tsx', 'src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
  },
});
