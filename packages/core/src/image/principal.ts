// Who is asking: the authenticated caller a use case acts for.

export interface Principal {
  readonly userId: string;
  /** The caller's project (Keystone project / tenant); `null` for a project-less token. */
  readonly projectId: string | null;
  readonly roles: readonly string[];
}

/** Role names compare case-insensitively, as oslo.policy's `role:` check does. */
export function hasRole(principal: Principal, role: string): boolean {
  const wanted = role.toLowerCase();
  return principal.roles.some((r) => r.toLowerCase() === wanted);
}

/** The `admin` role makes a principal an administrator. */
export function isAdmin(principal: Principal): boolean {
  return hasRole(principal, 'admin');
}
