/**
 * Jest globalSetup: bundles the function into dist/handler (the prebuilt code the construct
 * deploys, so the infra tests synthesize and load the current sources, never a stale build),
 * then starts DynamoDB Local once per run and hands its endpoint to the test workers in
 * `DYNAMODB_ENDPOINT` (workers inherit this process's environment). When `DYNAMODB_ENDPOINT` is
 * already set, that server is used and nothing is started.
 */
import { buildHandler } from '../../scripts/build-handler';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDbLocal, type LocalServer } from './dynamodb-local';

/** Where the server is kept between setup and teardown (they share this global scope). */
export const SERVER_GLOBAL = '__assumeroleWatchDynamoDbLocal';

/** Bundles the function, sets fake AWS credentials and starts DynamoDB Local unless DYNAMODB_ENDPOINT names one. */
export default async function globalSetup(): Promise<void> {
  // About a second; writes only files whose bytes changed (other processes may be reading them).
  await buildHandler();
  // Fake credentials: no test may reach a real account, whatever the developer's shell holds.
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  process.env.AWS_REGION = LOCAL_REGION;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (process.env.DYNAMODB_ENDPOINT) return;
  const server = await startDynamoDbLocal();
  process.env.DYNAMODB_ENDPOINT = server.endpoint;
  (globalThis as Record<string, unknown>)[SERVER_GLOBAL] = server satisfies LocalServer;
}
