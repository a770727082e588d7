// The two authentication context classes (acr) of an interactive sign-in, and its methods (amr, RFC 8176).

/** Password only (NIST SP 800-63B AAL1). */
export const ACR_PASSWORD = 'urn:principal-mfa:acr:password';
/** Password and a second factor (AAL2). Asked for in acr_values, it makes the second factor mandatory. */
export const ACR_MFA = 'urn:principal-mfa:acr:mfa';
export const ACR_VALUES = [ACR_PASSWORD, ACR_MFA] as const;

/** The amr of a password sign-in, plus the factor and `mfa` when a second one was verified. */
export function signInAmr(secondFactor: string[] | undefined): string[] {
  return secondFactor && secondFactor.length > 0 ? ['pwd', ...secondFactor, 'mfa'] : ['pwd'];
}

export const acrOf = (amr: readonly string[]): string => (amr.includes('mfa') ? ACR_MFA : ACR_PASSWORD);
