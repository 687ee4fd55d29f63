/**
 * What an alert says, once, and how Slack and email show it. Every message is made from the
 * delivery's stored payload `{type, timestamp, data}`, which is also the signed webhook body.
 */

export type AlertPayload = { type: string; timestamp: string; data: Record<string, unknown> };

type Described = {
  title: string;
  severity: string | null;
  fields: [label: string, value: string][];
  detail: string | null;
  /** Examples of a digest, one line each. */
  lines: string[];
  link: { label: string; url: string } | null;
};

const TITLES: Record<string, string> = {
  'case.created': 'Case opened',
  'case.assigned': 'Case assigned',
  'case.sla_breached': 'Case past its deadline',
  'scan.completed': 'Scan completed',
  'scan.failed': 'Scan failed',
  'usage.limit_near': 'Plan limit nearly reached',
  'report.ready': 'Report ready',
  'job.failed': 'Job failed',
  'billing.payment_failed': 'Payment failed',
  'alert.test': 'Test alert from NitiLens',
};
// Data members shown as fields of a generic event, in this order.
const GENERIC_FIELDS = ['number', 'title', 'priority', 'account', 'assignee', 'status', 'total', 'violations_found'];
const MAX_FIELD = 300;

export function describe(payload: AlertPayload, appBaseUrl: string | undefined): Described {
  const { type, data } = payload;
  const link = (label: string, path: string) =>
    appBaseUrl ? { label, url: `${appBaseUrl.replace(/\/$/, '')}${path}` } : null;
  if (type === 'violation.created') {
    const severity = text(data.severity);
    return {
      title: `${capitalize(severity)} violation: ${text(data.rule_name)}`,
      severity,
      fields: [
        ['Severity', severity],
        ['Rule', text(data.rule_name)],
        ['Account', text(data.account)],
        ['Amount', `${text(data.amount)} ${text(data.currency)}`.trim()],
        ['Transaction', text(data.transaction_id)],
      ],
      detail: text(data.explanation),
      lines: [],
      link: link('Open violation', `/violations/${text(data.violation_id)}`),
    };
  }
  if (type === 'alert.digest') return describeDigest(data, link('Open violations', '/violations'));
  if (type === 'report.ready') {
    const size = typeof data.size === 'number' ? `${(data.size / 1024).toFixed(1)} KB` : '';
    return {
      title: `Report ready: ${text(data.title)}`,
      severity: null,
      fields: [
        ['File', text(data.file_name)],
        ['Size', size],
        ['SHA-256', text(data.sha256)],
      ],
      detail: 'Email carries the file when it is under 10 MB; every member can download it from the Reports page.',
      lines: [],
      link: link('Open report', `/reports?report=${text(data.report_id)}`),
    };
  }
  if (type === 'alert.test') {
    return {
      title: TITLES[type]!,
      severity: null,
      fields: [['Channel', text(data.channel_name)]],
      detail: 'If you can read this, alerts reach this channel.',
      lines: [],
      link: link('Open NitiLens', '/'),
    };
  }
  const fields = GENERIC_FIELDS.filter((key) => data[key] !== undefined && data[key] !== null).map(
    (key): [string, string] => [capitalize(key.replaceAll('_', ' ')), text(data[key])],
  );
  const severity = typeof data.severity === 'string' ? data.severity : null;
  return {
    title: TITLES[type] ?? type,
    severity,
    fields: severity ? [['Severity', severity], ...fields] : fields,
    detail: typeof data.error === 'string' ? data.error : typeof data.message === 'string' ? data.message : null,
    lines: [],
    link: targetLink(data, link),
  };
}

function targetLink(
  data: Record<string, unknown>,
  link: (label: string, path: string) => Described['link'],
): Described['link'] {
  if (typeof data.case_id === 'string') return link('Open case', `/cases/${data.case_id}`);
  if (typeof data.violation_id === 'string') return link('Open violation', `/violations/${data.violation_id}`);
  if (typeof data.scan_id === 'string') return link('Open scans', '/scans');
  return link('Open NitiLens', '/');
}

function describeDigest(data: Record<string, unknown>, link: Described['link']): Described {
  const total = Number(data.total ?? 0);
  const bySeverity = (data.by_severity ?? {}) as Record<string, number>;
  const byRule = (data.by_rule ?? []) as { rule_name: string | null; count: number }[];
  const examples = (data.examples ?? []) as AlertPayload[];
  return {
    title: `${total} ${total === 1 ? 'event' : 'events'} since ${text(data.window_start)}`,
    severity: null,
    fields: [
      ...Object.entries(bySeverity).map(([severity, count]): [string, string] => [capitalize(severity), String(count)]),
      ...byRule.slice(0, 5).map((rule): [string, string] => [`Rule: ${rule.rule_name ?? 'other'}`, String(rule.count)]),
    ],
    detail: total > examples.length ? `The first ${examples.length} of ${total}:` : null,
    lines: examples.map((example) => {
      const described = describe(example, undefined);
      return described.detail && example.type === 'violation.created'
        ? `${described.title} (${text(example.data.account)}): ${described.detail}`
        : described.title;
    }),
    link,
  };
}

/** A Slack incoming-webhook body: `text` for notifications, `blocks` (Block Kit) for the message. */
export function slackMessage(payload: AlertPayload, appBaseUrl: string | undefined) {
  const described = describe(payload, appBaseUrl);
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(described.title, 150), emoji: false } },
  ];
  if (described.fields.length > 0)
    blocks.push({
      type: 'section',
      fields: described.fields
        .slice(0, 10)
        .map(([label, value]) => ({ type: 'mrkdwn', text: `*${escapeSlack(label)}*\n${escapeSlack(value)}` })),
    });
  const body = [described.detail, ...described.lines.map((line) => `• ${line}`)].filter(Boolean).join('\n');
  if (body) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(escapeSlack(body), 3000) } });
  if (described.link)
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: described.link.label }, url: described.link.url }],
    });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `NitiLens · ${payload.type}` }] });
  return { text: clip(described.detail ? `${described.title}: ${described.detail}` : described.title, 3000), blocks };
}

/** An email: the subject starts with [NitiLens]; a plain-text part and an HTML part say the same. */
export function emailMessage(payload: AlertPayload, appBaseUrl: string | undefined) {
  const described = describe(payload, appBaseUrl);
  const textBody = [
    described.title,
    '',
    ...described.fields.map(([label, value]) => `${label}: ${value}`),
    ...(described.detail ? ['', described.detail] : []),
    ...described.lines.map((line) => `- ${line}`),
    ...(described.link ? ['', `${described.link.label}: ${described.link.url}`] : []),
  ].join('\n');
  const rows = described.fields
    .map(([label, value]) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('');
  const html = [
    `<h2>${escapeHtml(described.title)}</h2>`,
    rows ? `<table cellpadding="4">${rows}</table>` : '',
    described.detail ? `<p>${escapeHtml(described.detail)}</p>` : '',
    described.lines.length ? `<ul>${described.lines.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>` : '',
    described.link ? `<p><a href="${escapeHtml(described.link.url)}">${escapeHtml(described.link.label)}</a></p>` : '',
  ].join('');
  // A line break in a subject (a rule's name) would start a header of its own.
  return { subject: clip(`[NitiLens] ${described.title}`.replace(/\s+/g, ' '), 200), text: textBody, html };
}

/** The one-line summary the delivery log shows. */
export function summarize(payload: AlertPayload): string {
  return clip(describe(payload, undefined).title, 200);
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return clip(typeof value === 'string' ? value : JSON.stringify(value), MAX_FIELD);
}

function capitalize(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/** Slack's mrkdwn treats &, < and > as markup. */
function escapeSlack(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function escapeHtml(value: string): string {
  return escapeSlack(value).replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}
