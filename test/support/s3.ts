/** A real S3 API server (s3rver) on 127.0.0.1 for the tests that read objects from S3. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** A running server and a client pointed at it. */
export interface LocalS3 {
  readonly client: S3Client;
  /** Requests the client sent (each retry counts), by command name. */
  readonly sent: string[];
  stop(): Promise<void>;
}

/** Starts s3rver on a free port of 127.0.0.1 with the given buckets, in a fresh directory. */
export async function startLocalS3(buckets: readonly string[]): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'assumerole-watch-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  const { port } = await server.run();
  const client = new S3Client({ endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, maxAttempts: 1 });
  const sent: string[] = [];
  client.middlewareStack.add((next, context) => (args) => {
    sent.push(context.commandName ?? 'unknown');
    return next(args);
  }, { step: 'initialize', name: 'countRequests' });
  return {
    client,
    sent,
    async stop() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
