"""Full-text search over every message: the index, the query and the highlighted words.

Each message (a ticket's first message or a reply) has a `message_search` row; its words live
in the database's own engine: an FTS5 table `message_fts` (rowid = message_search.id, porter
stems; a trigger writes them as the row is inserted) on SQLite, a `document` tsvector column
with a GIN index (English stems) on PostgreSQL.
Migration 0007 created and filled them; the actions that write a message call `index_message`
in their own transaction, so a message is findable exactly when it is committed.

A search is a handful of words: every word must appear (in the message or its ticket's subject),
as a prefix of a word or a form of it ("refun" and "refunded" find "refund"). Customers never
match internal notes. The best-matching message of each ticket ranks the ticket.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import snowballstemmer
from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    bindparam,
    column,
    false,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
    values,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import col

from xobito_web.models import MessageSearch, Reply, Ticket

# Longer input is refused with a message (the screen and the API say so); words beyond the cap
# are dropped: they would only narrow an already narrow search.
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 8
# Shorter words match whole words only: a one- or two-letter prefix matches half the dictionary.
MIN_PREFIX = 3
# A team search ranks the newest matching messages, at most this many: a word in every tenth
# message of a million would otherwise rank a hundred thousand of them for one page.
CANDIDATES = 2000
# A customer's search on SQLite reads their messages when they have at most this many.
CUSTOMER_SCAN = 5000
TOO_LONG = f"The search must be at most {MAX_SEARCH_LENGTH} characters."

# Objects of the full-text engines, made by migration 0007 for one dialect only and not in
# models.py: the migrations' schema check and autogenerate leave them alone.
ENGINE_TABLES = frozenset(
    {"message_fts", "message_fts_data", "message_fts_idx", "message_fts_docsize", "message_fts_config"}
)
ENGINE_INDEXES = frozenset({"ix_message_search_document"})
ENGINE_COLUMNS = frozenset({("message_search", "document")})

_PG_DOCUMENT = "setweight(to_tsvector('english', :subject), 'A') || setweight(to_tsvector('english', :body), 'B')"
_WORD = re.compile(r"[^\W_]+")
# A team search's candidates on PostgreSQL, per session and search (forgotten when it indexes).
_CANDIDATES_FOUND = "team_search_candidates"
_fts = table("message_fts", column("rowid"), column("message_fts"))


def is_engine_object(name: str | None, type_: str, parent_name: str | None = None) -> bool:
    """For Alembic's include_object/compare: True for the engines' own tables, index and column."""
    if type_ == "table":
        return name in ENGINE_TABLES
    if type_ == "index":
        return name in ENGINE_INDEXES
    if type_ == "column":
        return (parent_name, name) in ENGINE_COLUMNS
    return False


# --- Keeping the index in step -----------------------------------------------------------------


def index_message(session: OrmSession, ticket: Ticket, reply: Reply | None = None) -> None:
    """Index a message just written (flushed) in the caller's transaction: one statement (on
    SQLite the trigger `message_search_words` of migration 0007 writes the FTS5 words)."""
    session.info.pop(_CANDIDATES_FOUND, None)
    params = {
        "ticket_id": ticket.id,
        "reply_id": reply.id if reply is not None else None,
        "is_internal": bool(reply is not None and reply.is_internal),
    }
    if _is_postgresql(session):
        session.execute(
            text(
                "INSERT INTO message_search (ticket_id, reply_id, is_internal, document)"
                f" VALUES (:ticket_id, :reply_id, :is_internal, {_PG_DOCUMENT})"
            ),
            {**params, "subject": ticket.subject, "body": reply.body if reply is not None else ticket.body},
        )
        return
    session.execute(
        text(
            "INSERT INTO message_search (ticket_id, reply_id, is_internal) VALUES (:ticket_id, :reply_id, :is_internal)"
        ),
        params,
    )


def index_tickets(session: OrmSession, first_ticket_id: int, last_ticket_id: int) -> None:
    """Index every message of the tickets with ids in [first, last], which have none indexed yet
    (the bulk seeder's batches; the same statements as migration 0007)."""
    messages = (
        "SELECT t.id AS ticket_id, NULL AS reply_id, false AS is_internal, t.subject, t.body,"
        " t.created_at, 0 AS position FROM ticket AS t WHERE t.id BETWEEN :first AND :last"
        " UNION ALL"
        " SELECT r.ticket_id, r.id, r.is_internal, t.subject, r.body, r.created_at, r.id"
        " FROM reply AS r JOIN ticket AS t ON t.id = r.ticket_id WHERE r.ticket_id BETWEEN :first AND :last"
    )
    bounds = {"first": first_ticket_id, "last": last_ticket_id}
    session.info.pop(_CANDIDATES_FOUND, None)
    if _is_postgresql(session):
        document = _PG_DOCUMENT.replace(":subject", "m.subject").replace(":body", "m.body")
        session.execute(
            text(
                "INSERT INTO message_search (ticket_id, reply_id, is_internal, document)"
                f" SELECT m.ticket_id, m.reply_id, m.is_internal, {document}"
                f" FROM ({messages}) AS m ORDER BY m.created_at, m.ticket_id, m.position"
            ),
            bounds,
        )
        return
    session.execute(  # the trigger writes each row's FTS5 words
        text(
            "INSERT INTO message_search (ticket_id, reply_id, is_internal)"
            f" SELECT m.ticket_id, m.reply_id, m.is_internal FROM ({messages}) AS m"
            " ORDER BY m.created_at, m.ticket_id, m.position"
        ),
        bounds,
    )


# --- Asking ------------------------------------------------------------------------------------


def search_terms(search: str) -> tuple[str, ...]:
    """The words of a search, lower case, each once, at most MAX_SEARCH_WORDS."""
    words = _WORD.findall((search or "")[:MAX_SEARCH_LENGTH].lower())
    return tuple(dict.fromkeys(words))[:MAX_SEARCH_WORDS]


def matching_messages(
    session: OrmSession, terms: tuple[str, ...], *, team: bool, conditions: list[ColumnElement[bool]]
) -> Subquery:
    """The messages matching every term, one best message per ticket, as a subquery with columns
    ticket_id, reply_id (None: the first message) and score (lower is better).

    `conditions` (visibility and filters, on Ticket) are applied here for customers, whose few
    tickets are read first: on PostgreSQL the GIN index checks their messages, on SQLite they
    are matched here (_customer_scan). A team member's search starts from the index instead
    (the newest CANDIDATES matches). The caller applies the conditions again outside, which
    costs nothing when they were already applied.
    """
    if _is_postgresql(session):
        hits = _postgresql_hits(session, terms, team, conditions)
        # A team's candidates are ranked here, only they: ts_rank reads each one's whole tsvector.
        score = (
            (-func.ts_rank(literal_column("message_search.document"), _pg_query(terms))).cast(Float)
            if team
            else hits.c.score
        )
    else:
        if not team:
            scanned = _customer_scan(session, terms, conditions)
            if scanned is not None:
                return scanned
        hits = _sqlite_hits(_sqlite_team_query(session, terms))
        score = hits.c.score
    matches = (
        select(
            col(MessageSearch.ticket_id),
            col(MessageSearch.reply_id),
            score.label("score"),
            func.row_number()
            .over(partition_by=col(MessageSearch.ticket_id), order_by=(score, col(MessageSearch.id).desc()))
            .label("position"),
        )
        .join(hits, hits.c.message_id == col(MessageSearch.id))
        .where(*(() if team else (col(MessageSearch.is_internal).is_(False),)))
        .subquery("matches")
    )
    return select(matches.c.ticket_id, matches.c.reply_id, matches.c.score).where(matches.c.position == 1).subquery()


def team_candidates_capped(session: OrmSession, terms: tuple[str, ...]) -> bool:
    """Whether a team search found CANDIDATES matching messages or more: then it ranked only
    the newest of them, and the list says "of many" rather than a count of those."""
    if _is_postgresql(session):
        return _pg_team_candidates(session, terms)[1]
    return _sqlite_count(session, _fts5_query(terms, prefixes=False)) >= CANDIDATES or (
        _sqlite_count(session, _fts5_query(terms)) >= CANDIDATES
    )


def _fts5_query(terms: tuple[str, ...], prefixes: bool = True) -> str:
    # Each term is letters and digits only (search_terms), so quoting it cannot break the syntax.
    return " AND ".join(f'"{term}"*' if prefixes and len(term) >= MIN_PREFIX else f'"{term}"' for term in terms)


def _sqlite_count(session: OrmSession, fts_query: str) -> int:
    """Matches of an FTS5 query, counted up to CANDIDATES (newest first: FTS5 stops there)."""
    found = select(_fts.c.rowid).where(_fts.c.message_fts.op("MATCH")(fts_query)).order_by(_fts.c.rowid.desc())
    return session.execute(select(func.count()).select_from(found.limit(CANDIDATES).subquery())).scalar_one()


def _sqlite_team_query(session: OrmSession, terms: tuple[str, ...]) -> str:
    """The FTS5 query of a team search. FTS5 answers a prefix ("refu"*) by merging the posting
    lists of every word that begins with it before it can return one match (80 ms for a word in
    15 % of a million messages), a whole word it reads lazily, newest first. So when the words
    themselves (in any form) already match CANDIDATES messages, those are the candidates.
    (Prefixes of 3, 4 and 5 letters have their own index since migration 0007's `prefix='3 4 5'`:
    those are read directly; a longer prefix still merges, but matches fewer words.)"""
    exact = _fts5_query(terms, prefixes=False)
    if _sqlite_count(session, exact) >= CANDIDATES:
        return exact
    return _fts5_query(terms)


def _sqlite_hits(fts_query: str) -> Subquery:
    query: ColumnElement[str] = bindparam("fts_query", fts_query)
    # Subject words weigh four times as much as body words.
    score = func.bm25(_fts.c.message_fts, 4.0, 1.0)
    return (
        select(_fts.c.rowid.label("message_id"), score.label("score"))
        .where(_fts.c.message_fts.op("MATCH")(query))
        .order_by(_fts.c.rowid.desc())
        .limit(CANDIDATES)
        .subquery("hits")
    )


def _customer_scan(session: OrmSession, terms: tuple[str, ...], conditions: list[ColumnElement[bool]]):
    """A customer's search on SQLite: their own messages are few, so they are read and matched
    here by the index's rules (stems, prefixes, every word), instead of one FTS5 lookup per
    message, which costs a prefix's whole posting list each time (2 s for a common word at
    300,000 messages). None when they have more than CUSTOMER_SCAN messages: then the index."""
    rows = session.execute(
        select(
            col(MessageSearch.ticket_id),
            col(MessageSearch.reply_id),
            col(Ticket.subject),
            func.coalesce(col(Reply.body), col(Ticket.body)),
        )
        .join(Ticket, col(Ticket.id) == col(MessageSearch.ticket_id))
        .outerjoin(Reply, col(Reply.id) == col(MessageSearch.reply_id))
        .where(*conditions, col(MessageSearch.is_internal).is_(False))
        .limit(CUSTOMER_SCAN + 1)
    ).all()
    if len(rows) > CUSTOMER_SCAN:
        return None
    best: dict[int, tuple[int | None, float]] = {}
    subject_counts: dict[int, dict[str, int]] = {}
    for ticket_id, reply_id, subject, body in rows:
        if ticket_id not in subject_counts:
            subject_counts[ticket_id] = _term_counts(subject, terms)
        score = _scan_score(subject_counts[ticket_id], _term_counts(body, terms), terms)
        if score is not None and (ticket_id not in best or score < best[ticket_id][1]):
            best[ticket_id] = (reply_id, score)
    return _as_rows([(ticket_id, reply_id, score) for ticket_id, (reply_id, score) in best.items()])


def _term_counts(value: str, terms: tuple[str, ...]) -> dict[str, int]:
    """How often each term matches a word of `value`, and the word count under ""."""
    counts = dict.fromkeys(terms, 0)
    words = _WORD.findall(value)
    for word in words:
        for term in terms:
            if _is_hit(word, (term,)):
                counts[term] += 1
    counts[""] = len(words)
    return counts


def _scan_score(subject: dict[str, int], body: dict[str, int], terms: tuple[str, ...]) -> float | None:
    """Like bm25 with the subject weighing 4: frequent in a short text is best; lower is better."""
    total = 0.0
    for term in terms:
        hits = 4 * subject[term] / (1 + subject[""] / 8) + body[term] / (1 + body[""] / 30)
        if not (subject[term] or body[term]):
            return None
        total += hits
    return -total


def _as_rows(found: list[tuple[int, int | None, float]]):
    """(ticket_id, reply_id, score) rows as a FROM clause for the list's query."""
    if not found:
        return (
            select(literal(0).label("ticket_id"), literal(None, Integer).label("reply_id"), literal(0.0).label("score"))
            .where(false())
            .subquery("matched")
        )
    # A CTE names the columns in a way SQLite understands ("(VALUES …) AS m (a, b)" it does not).
    return (
        values(column("ticket_id", Integer), column("reply_id", Integer), column("score", Float), name="found")
        .data(found)
        .cte("matched")
    )


def _pg_tsquery(terms: tuple[str, ...]) -> str:
    # Letters and digits only (search_terms); the stemmer turns 'refunded':* into 'refund':*.
    return " & ".join(f"'{term}':*" if len(term) >= MIN_PREFIX else f"'{term}'" for term in terms)


def _pg_query(terms: tuple[str, ...]):
    return func.to_tsquery(literal_column("'english'::regconfig"), bindparam("ts_query", _pg_tsquery(terms)))


COMMON_SHARE = 0.1
# A team search on PostgreSQL looks first among the newest messages only, in a window expected
# to hold WINDOW_MATCHES matches (at least MIN_WINDOW messages): the GIN index gives no order, so
# "the newest matches" otherwise means reading every match from all over the table (83,000 for a
# five-letter prefix at 1,000,000 messages, 340 ms). The window's bitmap (a range of the primary
# key) is combined with the GIN index's, and only the matches inside it are read. When the
# window holds fewer than ENOUGH_MATCHES, the whole table is searched instead.
WINDOW_MATCHES = 600
ENOUGH_MATCHES = 300
MIN_WINDOW = 25_000


@dataclass(frozen=True)
class _PgPlan:
    estimate: float  # the planner's count of messages matching every term
    postings: float  # its count of each term's matches, summed: what the GIN index reads
    messages: float  # its count of messages
    newest_id: int


def _pg_estimate(session: OrmSession, terms: tuple[str, ...]) -> float:
    plan = session.execute(
        text("EXPLAIN (FORMAT JSON) SELECT 1 FROM message_search WHERE document @@ to_tsquery('english', :q)"),
        {"q": _pg_tsquery(terms)},
    ).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return float(plan[0]["Plan"]["Plan Rows"])


def _pg_plan(session: OrmSession, terms: tuple[str, ...]) -> _PgPlan:
    """PostgreSQL's statistics for a search (from the tsvector column's commonest words) and
    the table's size."""
    estimate = _pg_estimate(session, terms)
    postings = sum(_pg_estimate(session, (term,)) for term in terms) if len(terms) > 1 else estimate
    messages = session.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'message_search'")).scalar_one()
    newest = session.execute(select(func.coalesce(func.max(col(MessageSearch.id)), 0))).scalar_one()
    return _PgPlan(estimate, postings, float(messages), int(newest))


def _pg_window_floor(plan: _PgPlan) -> int | None:
    """The id below which the first look leaves messages out; None: the first look reads all."""
    if plan.messages <= MIN_WINDOW:
        return None
    window = max(MIN_WINDOW, int(plan.messages * WINDOW_MATCHES / max(plan.estimate, 1.0)))
    return plan.newest_id - window if window < plan.messages else None


def _pg_team_candidates(session: OrmSession, terms: tuple[str, ...]) -> tuple[list[int], bool]:
    """The ids of the newest matching messages a team search ranks (at most CANDIDATES), and
    whether matches may have been left out (the list then says "of many"). Found once per
    transaction: the count asks first, then counts the same candidates."""
    session.connection()  # begins the transaction the candidates belong to, if none has begun
    current = session.get_transaction()
    transaction, found_before = session.info.get(_CANDIDATES_FOUND, (None, {}))
    if transaction is not current:
        found_before = {}
        session.info[_CANDIDATES_FOUND] = (current, found_before)
    if terms not in found_before:
        found_before[terms] = _pg_find_team_candidates(session, terms)
    return found_before[terms]


def _pg_find_team_candidates(session: OrmSession, terms: tuple[str, ...]) -> tuple[list[int], bool]:
    document: ColumnElement[Any] = literal_column("message_search.document")
    plan = _pg_plan(session, terms)
    found = select(col(MessageSearch.id)).where(document.op("@@")(_pg_query(terms)))
    floor = _pg_window_floor(plan)
    if floor is not None:
        windowed = found.where(col(MessageSearch.id) > floor).order_by(col(MessageSearch.id).desc())
        # Several common words: the GIN index would read every posting of each (290,000 for two
        # words in 15 % of a million messages, 85 ms); walking the window's messages costs less.
        walk = (plan.newest_id - floor) * 2 < plan.postings
        if walk:
            session.execute(text("SET LOCAL enable_bitmapscan = off"))
        ids = list(session.execute(windowed.limit(CANDIDATES)).scalars())
        if walk:
            session.execute(text("SET LOCAL enable_bitmapscan = on"))
        if len(ids) >= ENOUGH_MATCHES:
            return ids, True
    # A word in a tenth of the messages or more: the newest matches are found by walking the
    # newest messages (about ten per candidate). Otherwise "+ 0" makes PostgreSQL collect the
    # matches through the GIN index instead of walking and testing (90 ms for a rarer word at
    # 100,000 messages), as it did on its own estimates.
    common = plan.messages > 0 and plan.estimate >= COMMON_SHARE * plan.messages
    newest = col(MessageSearch.id) if common else col(MessageSearch.id) + 0
    ids = list(session.execute(found.order_by(newest.desc()).limit(CANDIDATES)).scalars())
    return ids, len(ids) >= CANDIDATES


def _postgresql_hits(
    session: OrmSession, terms: tuple[str, ...], team: bool, conditions: list[ColumnElement[bool]]
) -> Subquery:
    query = _pg_query(terms)
    document: ColumnElement[Any] = literal_column("message_search.document")
    if team:
        ids, _ = _pg_team_candidates(session, terms)
        return select(
            func.unnest(bindparam("candidate_ids", ids, type_=postgresql.ARRAY(Integer))).label("message_id")
        ).subquery("hits")
    score = (-func.ts_rank(document, query)).cast(Float)
    found: Select = select(col(MessageSearch.id).label("message_id"), score.label("score")).where(
        document.op("@@")(query)
    )
    return (
        found.join(Ticket, col(Ticket.id) == col(MessageSearch.ticket_id))
        .where(*conditions, col(MessageSearch.is_internal).is_(False))
        .subquery("hits")
    )


def _is_postgresql(session: OrmSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- Showing what matched ----------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """A piece of a shown text; `hit` pieces are the words the search matched."""

    text: str
    hit: bool


SNIPPET_LENGTH = 160


@cache
def _stemmer():
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=20_000)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def _is_hit(word: str, terms: tuple[str, ...]) -> bool:
    lowered = word.lower()
    for term in terms:
        if len(term) < MIN_PREFIX:
            if lowered == term:
                return True
        elif lowered.startswith(term) or _stem(lowered).startswith(_stem(term)):
            return True
    return False


def highlight(value: str, terms: tuple[str, ...]) -> tuple[Piece, ...]:
    """`value` cut into plain and matched pieces (shown as text, never as markup)."""
    pieces: list[Piece] = []
    position = 0
    for match in _WORD.finditer(value):
        hit = _is_hit(match.group(), terms)
        if hit:
            if match.start() > position:
                pieces.append(Piece(value[position : match.start()], False))
            pieces.append(Piece(match.group(), True))
            position = match.end()
    if position < len(value):
        pieces.append(Piece(value[position:], False))
    return tuple(pieces)


def snippet(value: str, terms: tuple[str, ...]) -> tuple[Piece, ...]:
    """About SNIPPET_LENGTH characters of `value` around its first matched word, highlighted;
    empty when no word of it matched (the ticket matched by its subject)."""
    flat = " ".join(value.split())
    first = next((m for m in _WORD.finditer(flat) if _is_hit(m.group(), terms)), None)
    if first is None:
        return ()
    start = max(0, first.start() - SNIPPET_LENGTH // 3)
    if start > 0:
        start = flat.find(" ", start, first.start()) + 1 or start
    end = min(len(flat), start + SNIPPET_LENGTH)
    if end < len(flat):
        end = flat.rfind(" ", first.end(), end) if flat.rfind(" ", first.end(), end) > 0 else end
    cut = ("…" if start > 0 else "") + flat[start:end] + ("…" if end < len(flat) else "")
    return highlight(cut, terms)
