/**
 * Alert severities as the construct's props take them (`minSeverity` of subscribers and chat
 * channels): an enum, since jsii makes one in every language, where a union of string literals
 * would reach Python or Java as a bare string. Its values are the engine's severities, the
 * strings the context keys take, so a parsed configuration needs no conversion (a test holds the
 * two lists together).
 */

/** An alert severity, lowest first. */
export enum AlertSeverity {
  LOW = 'low',
  MEDIUM = 'medium',
  HIGH = 'high',
  CRITICAL = 'critical',
}
