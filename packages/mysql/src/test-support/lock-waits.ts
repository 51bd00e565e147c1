// Proof that a statement really queued behind another transaction's row lock: InnoDB lists it as LOCK WAIT.
import type { Pool } from 'mysql2/promise';

/**
 * Waits (bounded, 10 s) until some transaction of this database waits for a lock while running a
 * statement containing `fragment`. Polls every 150 ms: InnoDB refreshes its INNODB_TRX snapshot
 * only after it has gone unread for 100 ms, so faster polling would keep reading a stale one.
 */
export async function waitUntilBlocked(pool: Pool, fragment: string): Promise<void> {
  for (let i = 0; i < 66; i++) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const [rows] = await pool.query(
      `SELECT 1 FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
       WHERE t.trx_state = 'LOCK WAIT' AND p.DB = DATABASE() AND INSTR(p.INFO, ?) > 0`,
      [fragment],
    );
    if ((rows as unknown[]).length > 0) return;
  }
  throw new Error(`no transaction blocked on a lock while running ${JSON.stringify(fragment)}`);
}
