import { ApiProblem, refreshSession } from './api';
import { sessionStore } from './session';

async function fetchWithToken(path: string): Promise<Response> {
  const token = sessionStore.accessToken();
  return fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** The file `path` answers with, saved under the name its content-disposition gives (the API needs the bearer token, so a plain link cannot). */
export async function downloadFile(path: string, fallbackName: string): Promise<void> {
  let response = await fetchWithToken(path);
  if (response.status === 401 && (await refreshSession())) response = await fetchWithToken(path);
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { title?: string; detail?: string };
    throw new ApiProblem(
      response.status,
      problem.title ?? `Download failed (${response.status})`,
      problem.detail ?? '',
    );
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
