// Reads one sample from a server's Prometheus text at GET /metrics (the example service exposes one; prom-client format).

/** One unlabelled (or first labelled) sample of metric `name` at `<url>/metrics`; null when the server does not expose it. */
export async function scrapeMetric(url: string, name: string): Promise<number | null> {
  const response = await fetch(`${url}/metrics`);
  const text = await response.text();
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, 'm').exec(text);
  return response.ok && match !== null ? Number(match[1]) : null;
}
