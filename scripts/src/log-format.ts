/**
 * `npm start` on a terminal: the services' JSON log lines as short readable ones, e.g.
 * `10:42:07 gateway  POST /graphql 200 OK 12.3 ms LookUpMember hospital a0000000-... fetches=2 req=abc`.
 * Anything that is not a JSON log line (the launcher's own messages) passes unchanged. Off a
 * terminal (pipes, files, containers) the JSON lines go out as they are, for a log pipeline.
 */
export function readableLogLine(line: string): string {
  const match = /^\[([\w-]+)\] (\{.*\})$/.exec(line);
  if (!match) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(match[2]) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const service = String(entry.service ?? match[1]).padEnd(8);
  const level = entry.level && entry.level !== 'info' ? `${String(entry.level).toUpperCase()} ` : '';
  if (entry.msg === 'request') {
    const parts = [
      `${entry.method} ${entry.route}`,
      entry.status,
      entry.outcome,
      `${entry.durationMs} ms`,
      entry.operation,
      entry.partnerKind ? String(entry.partnerKind).toLowerCase() : undefined,
      entry.subgraphFetches !== undefined ? `fetches=${entry.subgraphFetches}` : undefined,
      `req=${entry.requestId}`,
    ];
    return `${time} ${service} ${level}${parts.filter((p) => p !== undefined && p !== null).join(' ')}`;
  }
  const { time: _t, service: _s, level: _l, msg, pid: _p, hostname: _h, ...rest } = entry;
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `${time} ${service} ${level}${String(msg ?? '')}${extra}`;
}
