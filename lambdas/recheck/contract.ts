/**
 * What the scheduled re-check function and its deployment agree on: the environment it reads and
 * its entry in the prebuilt bundle. Free of SDK imports, so the CDK app and the build script can
 * load it.
 */

/** The names of the environment variables the re-check reads. */
export const RECHECK_ENVIRONMENT = {
  /** The customer registry (`customerRegistry`, s3://bucket/key): the roles to re-check. */
  registry: 'CUSTOMER_REGISTRY',
  /** The outbound role the re-check assumes first (`roleRecheckOutboundRoleArn`). */
  outboundRole: 'OUTBOUND_ROLE_ARN',
  /** The alert topic its alerts are published to. */
  topic: 'ALERT_TOPIC_ARN',
} as const;

/**
 * The re-check's entry in the function bundle (scripts/build-handler.ts writes `recheck.js` beside
 * the detect function's `index.js`): one asset, two handlers.
 */
export const RECHECK_ENTRY = 'recheck';

/** Customer roles probed at once: STS's request rate is the limit, not the function's time. */
export const RECHECK_CONCURRENCY = 8;
