/** The value of a sample in Prometheus text, found by name and labels (whatever their order; others ignored), or undefined. */
export function metricSample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

/** A sample from a service's /metrics: `serviceUrl` is its base URL or its /graphql URL; absent counts as 0. */
export async function scrapeMetric(serviceUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${serviceUrl.replace(/\/graphql$/, '')}/metrics`);
  return metricSample(await response.text(), name, labels) ?? 0;
}
