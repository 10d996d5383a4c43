/** A note as the demo notes API stores and returns it (the shape `get_note`'s output_schema describes). */
export interface Note {
  id: string;
  title: string;
  text: string;
  tags: string[];
  pinned: boolean;
  /** Who created the note; Tengine's `create_note` sends `tengine:<project>/<integration>`. */
  source: string | null;
  created_at: string;
  updated_at: string;
}

/** A note in a list: the full text is left to `GET /notes/{id}`, as list endpoints usually do. */
export interface NoteSummary {
  id: string;
  title: string;
  excerpt: string;
  tags: string[];
  pinned: boolean;
  created_at: string;
  updated_at: string;
}

/** The fields `POST /notes` accepts, after validation. */
export interface NewNote {
  title: string;
  text: string;
  tags: string[];
  pinned: boolean;
  source?: string;
}

/** Limits of the demo API; the quick-start tool schemas declare the same ones. */
export const NOTE_LIMITS = { title: 200, text: 10_000, tags: 10, tag: 40, source: 200, search: 200, listMax: 100, listDefault: 20 } as const;

const EXCERPT_CHARS = 120;

const SEED: readonly (NewNote & { at: string })[] = [
  {
    title: 'Welcome to the demo notes app',
    text: 'This in-memory notes API is what the Tengine quick start calls. Ask your assistant to list, read or create notes; every change is lost when `npm start` stops.',
    tags: ['welcome'],
    pinned: true,
    at: '2025-01-06T09:00:00Z',
  },
  {
    title: 'Groceries',
    text: 'Oat milk, coffee beans, two lemons, basil, sourdough bread.',
    tags: ['todo', 'home'],
    pinned: false,
    at: '2025-01-07T18:30:00Z',
  },
  {
    title: 'Idea: weekly team demo',
    text: 'Fifteen minutes every Friday where one person shows something they shipped. Keep it informal; no slides required.',
    tags: ['idea', 'work'],
    pinned: false,
    at: '2025-01-08T11:15:00Z',
  },
  {
    title: 'Book recommendations',
    text: 'Designing Data-Intensive Applications; The Pragmatic Programmer; A Philosophy of Software Design.',
    tags: ['reading'],
    pinned: false,
    at: '2025-01-09T20:45:00Z',
  },
];

/** An in-memory note store seeded with a few notes; ids are `n_1`, `n_2`, ... in creation order. */
export class NotesStore {
  private readonly notes = new Map<string, Note>();
  private seq = 0;

  /** Creates the store with the seed notes; `now` stamps notes created later. */
  constructor(private readonly now: () => Date = () => new Date()) {
    for (const { at, ...note } of SEED) this.insert(note, at);
  }

  /**
   * Lists notes, pinned first and then newest first. Every word of `search` must appear (case-insensitively) in
   * the title, the text or a tag; an empty search lists everything. `total` counts matches before `limit`.
   */
  list(search: string, limit: number): { notes: NoteSummary[]; total: number } {
    const words = search.toLowerCase().split(/\s+/).filter(Boolean);
    const matches = [...this.notes.values()].filter((n) => {
      const hay = `${n.title}\n${n.text}\n${n.tags.join(' ')}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    });
    matches.sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.created_at.localeCompare(a.created_at) || idNumber(b.id) - idNumber(a.id));
    return { notes: matches.slice(0, limit).map(summary), total: matches.length };
  }

  /** The note with this id, or undefined. */
  get(id: string): Note | undefined {
    return this.notes.get(id);
  }

  /** Stores a new note and returns it. */
  create(input: NewNote): Note {
    return this.insert(input, this.now().toISOString().replace(/\.\d{3}Z$/, 'Z'));
  }

  private insert(input: NewNote, at: string): Note {
    this.seq += 1;
    const note: Note = {
      id: `n_${this.seq}`,
      title: input.title,
      text: input.text,
      tags: [...input.tags],
      pinned: input.pinned,
      source: input.source ?? null,
      created_at: at,
      updated_at: at,
    };
    this.notes.set(note.id, note);
    return note;
  }
}

/**
 * Checks a `POST /notes` body. `title` and `text` are required; `tags` defaults to [] and `pinned` to false.
 * Unknown fields are refused, so a typo in a `body_template` shows up as a 400 instead of being dropped silently.
 */
export function parseNewNote(body: unknown): { ok: true; value: NewNote } | { ok: false; errors: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, errors: ['the body must be a JSON object'] };
  const b = body as Record<string, unknown>;
  const errors: string[] = [];
  const allowed = new Set(['title', 'text', 'tags', 'pinned', 'source']);
  for (const k of Object.keys(b)) if (!allowed.has(k)) errors.push(`unknown field "${k}"`);
  if (typeof b.title !== 'string' || b.title.trim() === '' || b.title.length > NOTE_LIMITS.title) {
    errors.push(`"title" must be a non-empty string of at most ${NOTE_LIMITS.title} characters`);
  }
  if (typeof b.text !== 'string' || b.text.length > NOTE_LIMITS.text) errors.push(`"text" must be a string of at most ${NOTE_LIMITS.text} characters`);
  const tags = b.tags ?? [];
  if (!Array.isArray(tags) || tags.length > NOTE_LIMITS.tags || !tags.every((t) => typeof t === 'string' && t !== '' && t.length <= NOTE_LIMITS.tag)) {
    errors.push(`"tags" must be an array of at most ${NOTE_LIMITS.tags} non-empty strings of at most ${NOTE_LIMITS.tag} characters`);
  }
  const pinned = b.pinned ?? false;
  if (typeof pinned !== 'boolean') errors.push('"pinned" must be true or false');
  if (b.source !== undefined && (typeof b.source !== 'string' || b.source.length > NOTE_LIMITS.source)) {
    errors.push(`"source" must be a string of at most ${NOTE_LIMITS.source} characters`);
  }
  if (errors.length > 0) return { ok: false, errors };
  const value: NewNote = { title: b.title as string, text: b.text as string, tags: tags as string[], pinned: pinned as boolean };
  if (typeof b.source === 'string') value.source = b.source;
  return { ok: true, value };
}

function summary(n: Note): NoteSummary {
  const flat = n.text.replace(/\s+/g, ' ').trim();
  const excerpt = flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS - 1)}…` : flat;
  return { id: n.id, title: n.title, excerpt, tags: n.tags, pinned: n.pinned, created_at: n.created_at, updated_at: n.updated_at };
}

function idNumber(id: string): number {
  return Number(id.slice(2)) || 0;
}
