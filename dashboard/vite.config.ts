import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The service manager's dashboard; dashboard/serve.ts serves the output under /dashboard. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  build: {
    // A folder of its own beside the compiled serve.js, so the server never hands out its own code.
    outDir: fileURLToPath(new URL('../dist/dashboard/public/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
  },
});
