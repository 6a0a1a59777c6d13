/** The part of s3rver 3.7 (which ships no types) the tests use. */
declare module 's3rver' {
  interface S3rverOptions {
    readonly address?: string;
    readonly port?: number;
    readonly silent?: boolean;
    readonly directory: string;
    readonly configureBuckets?: readonly { readonly name: string; readonly configs: readonly unknown[] }[];
  }
  class S3rver {
    constructor(options: S3rverOptions);
    /** Starts listening; resolves to the bound address. */
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    /** Koa's middleware list (s3rver is a Koa app): a function put first sees every request. */
    readonly middleware: ((ctx: never, next: () => Promise<void>) => Promise<void>)[];
  }
  export default S3rver;
}
