/**
 * check-role on inputs nobody should write: any JSON in any field of a role, any document in a
 * file. The lint never throws on a role, and the command always ends with an exit code (an input
 * it cannot use is exit 2, never an internal error); what the vendor wrote reaches the terminal
 * escaped.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { lintRole } from '../cli/check-role/lint';
import { DEFAULT_LINT_OPTIONS, type PolicyDocument, type RoleDefinition } from '../cli/check-role/types';
import { cli, tempDir } from './support/cli';

const SOURCE = { file: 'fuzz.json', line: 1 };

/** A document of statements that are whatever JSON came. */
function doc(label: string, statements: readonly unknown[]): PolicyDocument {
  return {
    label,
    statements: statements.filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null && !Array.isArray(s)).map((json, index) => ({ json, index, sid: null, source: SOURCE, when: null })),
    source: SOURCE,
    when: null,
  };
}

/** JSON shaped like a statement, its fields any JSON or a plausible value. */
const field = fc.oneof(fc.jsonValue(), fc.constantFrom('*', 'Allow', 'Deny', 'sts:AssumeRole', 's3:Get*', 'arn:aws:iam::123456789012:root', '${X}', ['a', 'b']));
const statement = fc.dictionary(fc.constantFrom('Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition', 'Sid', 'effect'), field);

describe('check-role on hostile input', () => {
  it('lints any statements without throwing', () => {
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 6 }), fc.array(statement, { maxLength: 6 }), fc.option(fc.string()), (trust, policy, vendor) => {
        const role: RoleDefinition = {
          name: 'r',
          aliases: [],
          arn: null,
          accountId: null,
          origin: 'fuzz',
          source: SOURCE,
          when: null,
          trust: doc('trust policy', trust),
          inline: [doc('inline policy p', policy)],
          attached: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess', source: SOURCE, when: null, document: null }],
          unreadable: [],
          maxSessionDuration: 7200,
          permissionsBoundary: null,
        };
        const findings = lintRole(role, { ...DEFAULT_LINT_OPTIONS, vendorRole: vendor });
        expect(Array.isArray(findings)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('ends with an exit code on any document, whatever shape it borrows', async () => {
    const dir = tempDir('arw-check-role-fuzz-');
    const shapes = fc.oneof(
      fc.jsonValue(),
      fc.jsonValue().map((v) => ({ Resources: { R: { Type: 'AWS::IAM::Role', Properties: v } } })),
      fc.jsonValue().map((v) => ({ Role: v })),
      fc.jsonValue().map((v) => ({ RoleDetailList: [v], Policies: [v] })),
      fc.jsonValue().map((v) => ({ format_version: '1.2', planned_values: { root_module: { resources: [{ address: 'aws_iam_role.x', type: 'aws_iam_role', values: v }] } } })),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(shapes, async (value) => {
        const file = join(dir, `doc-${n++}.json`);
        writeFileSync(file, JSON.stringify(value) ?? 'null');
        const { code, err } = await cli(['check-role', file]);
        expect([0, 1, 2]).toContain(code);
        expect(err).not.toContain('internal error');
      }),
      { numRuns: 200 },
    );
  });

  it('shows a vendor\'s control characters escaped in the text listing', async () => {
    const dir = tempDir('arw-check-role-');
    const file = join(dir, 'evil.json');
    const name = 'x\u001b]0;pwned\u0007\u202e\nHIGH fake';
    writeFileSync(file, JSON.stringify({ Role: { RoleName: name, Arn: 'arn:aws:iam::111122223333:role/x', AssumeRolePolicyDocument: { Statement: [{ Sid: name, Effect: 'Allow', Principal: { AWS: name }, Action: 'sts:AssumeRole' }] } } }));
    const { code, out } = await cli(['check-role', file]);
    expect(code).toBe(1);
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    expect(out).not.toContain('\nHIGH fake');
  });
});
