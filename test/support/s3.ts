/** A real S3 API server (s3rver) on 127.0.0.1 for the tests that read objects from S3. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** A request as the server received it. */
export interface ServerRequest {
  readonly method: string;
  /** Path-style: `/bucket/key`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
}

/** A running server and a client pointed at it. */
export interface LocalS3 {
  readonly client: S3Client;
  /** Requests the client sent (each retry counts), by command name. */
  readonly sent: string[];
  /** The server's endpoint (`http://127.0.0.1:PORT`), for clients the code under test builds. */
  readonly endpoint: string;
  /** Every request the server received, from any client, in order. */
  readonly requests: ServerRequest[];
  /** Answers requests for these objects (`bucket/key`) with S3's 403 AccessDenied, as a bucket policy denying them would. */
  readonly denied: Set<string>;
  stop(): Promise<void>;
}

/** S3's error document for a denied request. */
const ACCESS_DENIED = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>0</RequestId></Error>';

/** The Koa context s3rver hands its middleware (the part used here). */
interface KoaContext {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  status: number;
  type: string;
  body: unknown;
}

/** An object as s3rver's store lists it. */
interface StoredObject {
  readonly key: string;
}

/** What s3rver's store answers a listing with. */
interface Listing {
  readonly objects: StoredObject[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
}

/** A listing's options in s3rver's store. */
interface ListOptions {
  readonly delimiter?: string;
  readonly prefix?: string;
  readonly startAfter?: string;
  readonly maxKeys?: number;
}

/**
 * Makes s3rver list as S3 does. s3rver 3.7 stops walking its folders at the first delimiter, so
 * a delimited listing finds a common prefix only when an object lies one folder below it
 * (`AWSLogs/` of `AWSLogs/123/CloudTrail/…` is never found), and it pages in the order its file
 * system lists folders. Here each listing is s3rver's own listing of every key under the prefix,
 * sorted by key, folded at the delimiter and cut at `maxKeys`, as S3 answers.
 */
function fixListings(server: S3rver): void {
  const store = (server as unknown as { store: { listObjects(bucket: string, options: ListOptions): Promise<Listing> } }).store;
  const list = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    const all = await list(bucket, { ...options, delimiter: '', maxKeys: Infinity });
    const prefix = options.prefix ?? '';
    const objects: StoredObject[] = [];
    const common = new Set<string>();
    for (const object of [...all.objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      const at = options.delimiter ? object.key.indexOf(options.delimiter, prefix.length) : -1;
      if (at === -1) objects.push(object);
      else common.add(object.key.slice(0, at + 1));
    }
    const max = options.maxKeys ?? 1000;
    return { objects: objects.slice(0, max), commonPrefixes: [...common].sort(), isTruncated: objects.length > max };
  };
}

/** Starts s3rver on a free port of 127.0.0.1 with the given buckets, in a fresh directory. */
export async function startLocalS3(buckets: readonly string[]): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'assumerole-watch-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  const requests: ServerRequest[] = [];
  const denied = new Set<string>();
  // First in s3rver's middleware (it is a Koa app): every request is logged, and denied objects answered as S3 would.
  server.middleware.unshift(async (ctx: KoaContext, next: () => Promise<void>) => {
    requests.push({ method: ctx.method, path: decodeURIComponent(ctx.path), query: { ...ctx.query } });
    if (denied.has(decodeURIComponent(ctx.path).slice(1))) {
      ctx.status = 403;
      ctx.type = 'application/xml';
      ctx.body = ACCESS_DENIED;
      return;
    }
    await next();
  });
  fixListings(server);
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
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    denied,
    async stop() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
