import { api, apiJson, type Session } from './helpers';

/** A small sanctions list in the contract's CSV format: people, companies and a vessel, with aliases. */
export const SANCTIONS_CSV = `id,name,aliases,type,country,program
P-1,Vladimir Vladimirovich Putin,Vladimir Putin;Владимир Путин,person,RU,UKRAINE-EO13661
P-2,Muhammad Ali Hassan,,person,SY,SDGT
P-3,Osama bin Laden,Usama bin Ladin;Usama bin Muhammad bin Awad BIN LADIN,person,SA,SDGT
P-4,John Michael Smith,,person,GB,TEST
P-5,José García Márquez,,person,VE,VENEZUELA
O-1,ACME Trading LLC,ACME Trading FZE,organization,AE,IRAN
O-2,"Rosneft Oil Company, PJSC",Rosneft,organization,RU,UKRAINE-EO13662
V-1,Sea Star,MV Sea Star,vessel,IR,IRAN
`;

/** The multipart body a browser or `curl -F` sends. */
export function listForm(content: string, fields: { name?: string; list_id?: string; fileName?: string }): FormData {
  const form = new FormData();
  form.append('file', new Blob([content], { type: 'text/csv' }), fields.fileName ?? 'list.csv');
  if (fields.name !== undefined) form.append('name', fields.name);
  if (fields.list_id !== undefined) form.append('list_id', fields.list_id);
  return form;
}

export type UploadedList = { id: string; name: string; version: number; entries: number; skipped: number };

export async function uploadList(
  session: Session,
  content: string,
  fields: { name?: string; list_id?: string; fileName?: string } = { name: 'OFAC SDN (test)' },
): Promise<UploadedList> {
  return apiJson('POST', '/api/screening/lists', 201, {
    token: session.access_token,
    rawBody: listForm(content, fields),
  });
}

export type Match = {
  list_id: string;
  entry_id: string;
  name: string;
  matched_name: string;
  score: number;
  explanation: string;
};

export async function search(session: Session, body: Record<string, unknown>): Promise<Match[]> {
  const { matches } = await apiJson('POST', '/api/screening/search', 200, {
    token: session.access_token,
    body,
  });
  return matches;
}

export { api };
