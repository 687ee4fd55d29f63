type OpenApiDocument = {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, { summary?: string; tags?: string[]; 'x-permission'?: string }>>;
};

const escapeXml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** A self-contained reference page (no CDN): every operation by tag, with its permission. */
export function renderDocsPage(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const tag = operation.tags?.[0] ?? 'other';
      const row =
        `<tr><td class="m ${method}">${method.toUpperCase()}</td><td><code>${escapeXml(path)}</code></td>` +
        `<td>${escapeXml(operation.summary ?? '')}</td><td><code>${escapeXml(operation['x-permission'] ?? '')}</code></td></tr>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), row]);
    }
  }
  const sections = [...byTag].map(
    ([tag, rows]) =>
      `<h2>${escapeXml(tag)}</h2><table><thead><tr><th>Method</th><th>Path</th><th>What it does</th><th>Permission</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(doc.info.title)} API</title><style>
body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#0f172a}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}td,th{border-bottom:1px solid #e2e8f0;padding:.4rem .6rem;text-align:left}
.m{font-weight:600;font-family:monospace}.get{color:#0369a1}.post{color:#15803d}.put,.patch{color:#b45309}.delete{color:#b91c1c}
</style></head><body><h1>${escapeXml(doc.info.title)} API <small>${escapeXml(doc.info.version)}</small></h1>
<p>${escapeXml(doc.info.description ?? '')} The machine-readable document is <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>
${sections.join('\n')}</body></html>`;
}
