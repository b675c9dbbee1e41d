// The API client in src/client/ is generated from openapi.json (the server's schema) by
// `npm run generate`; never edit it by hand. Refresh the schema with `npm run schema`.
import { defineConfig } from '@hey-api/openapi-ts';

export default defineConfig({
  input: './openapi.json',
  output: { path: './src/client' },
  plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
});
