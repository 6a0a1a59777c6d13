/** IAM role ARNs taken apart: the customer registry's lines and the role checker's targets. */

/** An IAM role ARN: partition, account, optional path, name (IAM's own character set). */
const ROLE_ARN = /^arn:(aws(?:-[a-z]+)*):iam::(\d{12}):role\/((?:[\x21-\x7e]*\/)?)([\w+=,.@-]{1,64})$/;

/** A role ARN's parts, or null when the text is not one. */
export function roleArnParts(arn: string): { partition: string; account: string; path: string; name: string } | null {
  const m = ROLE_ARN.exec(arn);
  return m ? { partition: m[1]!, account: m[2]!, path: m[3]!, name: m[4]! } : null;
}
