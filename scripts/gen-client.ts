// Writes the dashboard's generated API types (see scripts/client-source.ts).
//   npm run gen:client
import { writeFileSync } from 'node:fs';
import { CLIENT_TYPES_PATH, clientTypesSource } from './client-source.ts';

writeFileSync(CLIENT_TYPES_PATH, await clientTypesSource());
console.log(`wrote ${CLIENT_TYPES_PATH}`);
