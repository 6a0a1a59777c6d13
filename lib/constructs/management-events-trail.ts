/**
 * A CloudTrail trail for accounts without one: multi-region, management events read and write
 * (AssumeRole is a read event), log file validation, delivered to an encrypted, SSL-only,
 * private bucket whose access is itself logged.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Properties of {@link ManagementEventsTrail}. */
export interface ManagementEventsTrailProps {
  /** Days the bucket keeps log files (and the access logs). @default 365 */
  readonly retentionDays?: number;
}

/** The trail and its buckets. */
export class ManagementEventsTrail extends Construct {
  /** Receives the trail's log files. */
  public readonly bucket: s3.Bucket;
  /** Receives the server access logs of {@link bucket}. */
  public readonly accessLogsBucket: s3.Bucket;
  /** The trail. */
  public readonly trail: cloudtrail.Trail;

  constructor(scope: Construct, id: string, props: ManagementEventsTrailProps = {}) {
    super(scope, id);
    const expiration = Duration.days(props.retentionDays ?? 365);
    const secure = {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration, noncurrentVersionExpiration: Duration.days(30) }],
    };
    // cdk-nag's S1 (server access logs) exempts a bucket that receives access logs.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', secure);
    this.bucket = new s3.Bucket(this, 'Bucket', { ...secure, serverAccessLogsBucket: this.accessLogsBucket, serverAccessLogsPrefix: 'trail-bucket/' });
    this.trail = new cloudtrail.Trail(this, 'Trail', {
      bucket: this.bucket,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      managementEvents: cloudtrail.ReadWriteType.ALL,
      enableFileValidation: true,
      sendToCloudWatchLogs: false,
    });
  }
}
