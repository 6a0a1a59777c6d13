/** Jest globalTeardown: stops the DynamoDB Local that global-setup.ts started (its whole process group). */
import type { LocalServer } from './dynamodb-local';
import { SERVER_GLOBAL } from './global-setup';

/** Stops the DynamoDB Local of this run, if global-setup started one. */
export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>)[SERVER_GLOBAL] as LocalServer | undefined;
  if (!server) return;
  delete (globalThis as Record<string, unknown>)[SERVER_GLOBAL];
  delete process.env.DYNAMODB_ENDPOINT;
  await server.stop();
}
