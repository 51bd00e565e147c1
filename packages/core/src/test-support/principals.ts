// Callers for core's tests: an administrator, and members and readers of a project (the testkit's names).
import type { Principal } from '../image/principal.js';

export const adminPrincipal = (): Principal => ({ userId: 'admin-user', projectId: 'admin-project', roles: ['admin', 'member', 'reader'] });
export const projectMember = (projectId: string | null): Principal => ({ userId: 'member-user', projectId, roles: ['member', 'reader'] });
export const projectReader = (projectId: string | null): Principal => ({ userId: 'reader-user', projectId, roles: ['reader'] });
