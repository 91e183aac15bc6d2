"""The schema scripts the store ran before Alembic (PRAGMA user_version 1 to 5), verbatim from
interviewer/migrations.py at e12abde: tests build the databases earlier versions wrote with them."""

MIGRATIONS: list[str] = [
    # 1: sessions and their turns, follow-ups, hints and grades.
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        owner TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        settings TEXT NOT NULL,
        grader TEXT NOT NULL,
        questions TEXT NOT NULL,
        total INTEGER NOT NULL,
        overall REAL,
        summary TEXT,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL
    );
    CREATE TABLE turns (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        question_id TEXT NOT NULL,
        question_hash TEXT NOT NULL,
        question TEXT NOT NULL,
        reference TEXT NOT NULL,
        kind TEXT NOT NULL,
        answer TEXT,
        skipped INTEGER NOT NULL DEFAULT 0,
        asked_at TEXT,
        answered_at TEXT,
        PRIMARY KEY (session_id, idx)
    );
    CREATE TABLE followups (
        session_id TEXT NOT NULL, idx INTEGER NOT NULL, n INTEGER NOT NULL,
        question TEXT NOT NULL, answer TEXT,
        PRIMARY KEY (session_id, idx, n),
        FOREIGN KEY (session_id, idx) REFERENCES turns(session_id, idx) ON DELETE CASCADE
    );
    CREATE TABLE hints (
        session_id TEXT NOT NULL, idx INTEGER NOT NULL, n INTEGER NOT NULL, hint TEXT NOT NULL,
        PRIMARY KEY (session_id, idx, n),
        FOREIGN KEY (session_id, idx) REFERENCES turns(session_id, idx) ON DELETE CASCADE
    );
    CREATE TABLE grades (
        session_id TEXT NOT NULL, idx INTEGER NOT NULL,
        grader TEXT NOT NULL, model TEXT, overall REAL NOT NULL, grade TEXT NOT NULL,
        PRIMARY KEY (session_id, idx),
        FOREIGN KEY (session_id, idx) REFERENCES turns(session_id, idx) ON DELETE CASCADE
    );
    """,
    # 2: spaced-review state per question, and a lookup of a question's attempts.
    """
    CREATE TABLE reviews (
        question_id TEXT PRIMARY KEY,
        question_hash TEXT NOT NULL,
        state TEXT NOT NULL,
        due TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX turns_by_question ON turns(question_id);
    """,
    # 3: review state per owner (each browser, and '' for the command line), so one user's scores never
    #    order another's questions and "delete my history" takes its reviews too.
    """
    CREATE TABLE reviews_by_owner (
        owner TEXT NOT NULL DEFAULT '',
        question_id TEXT NOT NULL,
        question_hash TEXT NOT NULL,
        state TEXT NOT NULL,
        due TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (owner, question_id)
    );
    INSERT INTO reviews_by_owner SELECT '', question_id, question_hash, state, due, updated_at FROM reviews;
    DROP TABLE reviews;
    ALTER TABLE reviews_by_owner RENAME TO reviews;
    """,
    # 4: the terminal's sessions are owner '' like its reviews (they were NULL), so every read names its owner.
    """
    UPDATE sessions SET owner = '' WHERE owner IS NULL;
    CREATE INDEX sessions_by_owner ON sessions(owner, started_at);
    """,
    # 5: deliberate practice. The hint ladder: each hint's level (1 nudge, 2 concept, 3 partial answer), its
    #    cost and the point it aims at (the hints saved before were key points revealed in full, for free);
    #    attempts: a retried question is a further turn with the same question and attempt 2, 3, ...; and
    #    re-grades: a session graded again by another grader names the one it re-grades.
    """
    ALTER TABLE turns ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE sessions ADD COLUMN regrade_of TEXT;
    ALTER TABLE hints ADD COLUMN level INTEGER NOT NULL DEFAULT 3;
    ALTER TABLE hints ADD COLUMN cost REAL NOT NULL DEFAULT 0;
    ALTER TABLE hints ADD COLUMN point TEXT;
    UPDATE hints SET point = hint;
    """,
]

