// The Glance versions document clients use for API discovery (GET / and GET /versions).

const SUPPORTED = ['2.16', '2.15', '2.9', '2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0'];

/** Each version points at `<origin>/v2/`, the only API this service serves. */
export function versionsDocument(origin: string): { versions: { id: string; status: string; links: { rel: string; href: string }[] }[] } {
  const href = `${origin.replace(/\/+$/, '')}/v2/`;
  return {
    versions: SUPPORTED.map((v, i) => ({
      id: `v${v}`,
      status: i === 0 ? 'CURRENT' : 'SUPPORTED',
      links: [{ rel: 'self', href }],
    })),
  };
}
