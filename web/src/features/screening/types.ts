/** The screening API's shapes (worker/screening/schemas.ts), as the dashboard reads them. */
export type ScreeningList = {
  id: string;
  name: string;
  version: number;
  entries: number;
  created_at: string;
  updated_at: string;
};

export type ScreeningListDetail = ScreeningList & {
  versions: {
    version: number;
    format: string;
    file_name: string | null;
    entries: number;
    names: number;
    uploaded_at: string;
  }[];
};

export type ScreeningEntry = {
  entry_id: string;
  name: string;
  aliases: string[];
  type: 'person' | 'organization' | 'vessel';
  country: string | null;
  program: string | null;
};

export type ScreeningUploadResult = {
  id: string;
  name: string;
  version: number;
  entries: number;
  skipped: number;
  format: 'csv' | 'ftm';
};

export type ScreeningMatch = {
  list_id: string;
  list_name: string;
  entry_id: string;
  name: string;
  matched_name: string;
  type: string;
  country: string | null;
  program: string | null;
  score: number;
  explanation: string;
};
